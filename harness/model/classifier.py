"""The classifier every architecture is scored in: shared input, embedding and head."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from harness.api import Architecture
from harness.config import Params

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class ModelShape:
    """What the core fixes for every model of a comparison. ``embedding_weights``: pretrained
    vectors the embedding starts from (None: a random start), kept as they are unless
    ``embedding_trainable``."""

    vocabulary_size: int
    num_classes: int
    embedding_dim: int = 64
    embedding_dropout: float = 0.0
    word_dropout: float = 0.0
    embedding_weights: np.ndarray | None = field(default=None, compare=False, repr=False)
    embedding_trainable: bool = True


def build_classifier(
    architecture: Architecture, params: Params, shape: ModelShape, *, mask: bool
) -> keras.Model:
    """Token ids [-> WordDropout] -> Embedding(mask_zero) [-> Dropout] -> the plugin's encoder
    -> softmax head."""
    import keras

    from harness.model.word_dropout import WordDropout

    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    fed_ids = token_ids
    if shape.word_dropout:
        fed_ids = WordDropout(shape.word_dropout, name="word_dropout")(token_ids)
    embedding = keras.layers.Embedding(
        shape.vocabulary_size, shape.embedding_dim, mask_zero=mask, name="embedding",
        trainable=shape.embedding_trainable,
    )  # fmt: skip
    embedded = embedding(fed_ids)
    if shape.embedding_weights is not None:
        embedding.set_weights([shape.embedding_weights])
    if shape.embedding_dropout:  # Dropout keeps the padding mask flowing
        embedded = keras.layers.Dropout(shape.embedding_dropout, name="embedding_dropout")(embedded)
    encoded = architecture.build_encoder(embedded, params)
    if len(encoded.shape) != 2:
        raise ValueError(
            f"architecture {architecture.name!r} returned an encoding of shape "
            f"{tuple(encoded.shape)}; the head needs (batch, features)"
        )
    probabilities = keras.layers.Dense(
        shape.num_classes, activation="softmax", dtype="float32", name="head"
    )(encoded)
    return keras.Model(token_ids, probabilities, name=architecture.name)
