"""``bag-of-embeddings``: the order-blind reference baseline, the mean of the embeddings.

It is the model of the unit before the tutorial's RNN unit: if a recurrent model
does not beat it, word order did not pay for its cost. Under a masking padding
strategy the mean is taken over real tokens only; under ``none`` the pads count.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness import Architecture, ParamValue, hookimpl


def build_encoder(embedded, params: Mapping[str, ParamValue]):
    import keras

    return keras.layers.GlobalAveragePooling1D()(embedded)


@hookimpl
def harness_architectures() -> list[Architecture]:
    return [
        Architecture(
            name="bag-of-embeddings",
            summary="Mean of the token embeddings, no recurrence: the order-blind baseline.",
            build_encoder=build_encoder,
            reference_baseline=True,
        )
    ]
