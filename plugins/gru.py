"""``gru``: one GRU layer of 16 units, cuDNN-compatible (``reset_after=True``)."""

from __future__ import annotations

from collections.abc import Mapping

from harness import Architecture, HyperParameter, ParamValue, SearchRange, hookimpl


def build_encoder(embedded, params: Mapping[str, ParamValue]):
    import keras

    return keras.layers.GRU(params["units"], reset_after=True)(embedded)


@hookimpl
def harness_architectures() -> list[Architecture]:
    return [
        Architecture(
            name="gru",
            summary="One GRU layer; its last state feeds the head.",
            hyperparameters=(
                HyperParameter(
                    "units",
                    16,
                    "recurrent units",
                    minimum=1,
                    maximum=4096,
                    search=SearchRange(8, 256, log=True),
                ),
            ),
            build_encoder=build_encoder,
        )
    ]
