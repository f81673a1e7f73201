"""``simple-rnn``: the tutorial's first model, one SimpleRNN layer of 16 units."""

from __future__ import annotations

from collections.abc import Mapping

from harness import Architecture, HyperParameter, ParamValue, SearchRange, hookimpl


def build_encoder(embedded, params: Mapping[str, ParamValue]):
    import keras

    return keras.layers.SimpleRNN(params["units"])(embedded)


@hookimpl
def harness_architectures() -> list[Architecture]:
    return [
        Architecture(
            name="simple-rnn",
            summary="One SimpleRNN layer; its last state feeds the head.",
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
