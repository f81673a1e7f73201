"""Word dropout: in training, some words are replaced by the out-of-vocabulary token.

A model that cannot count on any single word learns from the rest of the text;
on a few thousand rows this holds back the memorising of rare words that an
embedding of 20,000 tokens otherwise does within a few epochs.
"""

from __future__ import annotations

import keras

from harness.api import OOV_TOKEN_ID


class WordDropout(keras.layers.Layer):
    """In training only, replaces each word's id by the out-of-vocabulary id with
    probability ``rate``. Padding (id 0) stays padding, so a padding mask is unchanged."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"word dropout rate must be in [0, 1), not {rate}")
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, token_ids, training=None):
        if not training or not self.rate:
            return token_ids
        draws = keras.random.uniform(keras.ops.shape(token_ids), seed=self.seed_generator)
        dropped = keras.ops.logical_and(draws < self.rate, token_ids > OOV_TOKEN_ID)
        return keras.ops.where(dropped, keras.ops.full_like(token_ids, OOV_TOKEN_ID), token_ids)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
