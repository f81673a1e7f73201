"""``stacked-bilstm``: the tutorial's two-layer bidirectional LSTM(64), depth adjustable."""

from __future__ import annotations

from collections.abc import Mapping

from harness import Architecture, HyperParameter, ParamValue, SearchRange, hookimpl


def build_encoder(embedded, params: Mapping[str, ParamValue]):
    import keras

    sequence = embedded
    depth = int(params["depth"])
    for layer in range(depth):
        last = layer == depth - 1
        lstm = keras.layers.LSTM(params["units"], return_sequences=not last)
        sequence = keras.layers.Bidirectional(lstm)(sequence)
    return sequence


@hookimpl
def harness_architectures() -> list[Architecture]:
    return [
        Architecture(
            name="stacked-bilstm",
            summary="Stacked bidirectional LSTM layers; the top layer's last states feed the head.",
            hyperparameters=(
                HyperParameter(
                    "depth",
                    2,
                    "number of bidirectional LSTM layers",
                    minimum=1,
                    maximum=16,
                    search=SearchRange(1, 3),
                ),
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
