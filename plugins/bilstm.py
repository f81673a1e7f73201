"""``bilstm``: one bidirectional LSTM layer of 64 units per direction."""

from __future__ import annotations

from collections.abc import Mapping

from harness import Architecture, HyperParameter, ParamValue, SearchRange, hookimpl


def build_encoder(embedded, params: Mapping[str, ParamValue]):
    import keras

    return keras.layers.Bidirectional(keras.layers.LSTM(params["units"]))(embedded)


@hookimpl
def harness_architectures() -> list[Architecture]:
    return [
        Architecture(
            name="bilstm",
            summary="One bidirectional LSTM layer; both last states feed the head.",
            hyperparameters=(
                HyperParameter(
                    "units",
                    64,
                    "LSTM units in each direction",
                    minimum=1,
                    maximum=4096,
                    search=SearchRange(8, 256, log=True),
                ),
            ),
            build_encoder=build_encoder,
        )
    ]
