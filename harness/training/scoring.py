"""Scoring a split: the model's class probabilities for each of its rows, in the split's order.

On TensorFlow, one inference function is traced per cell, with an input signature that
every batch fits, and serves both the validation pass after each epoch and the test pass at
the end, so a cell traces inference once rather than once for validation and again, for
each new batch shape, for the test rows (:func:`inference_function`). A padding strategy
may reorder rows (``bucket`` groups them by length): the batches carry each row's index in
place of its label, which a strategy passes through untouched, so every probability goes
back to its row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.api import PaddingStrategy, VectorizedData, VectorizedSplit

if TYPE_CHECKING:
    import keras
    import tensorflow as tf


@dataclass(frozen=True)
class Scored:
    """A split's class probabilities (rows x classes, in row order) and the pass's seconds."""

    probabilities: np.ndarray
    seconds: float


Passes = Callable[[str], Iterable[tuple[Any, np.ndarray]]]  # a split's batches, with their rows


class Scorer:
    """Scores the splits of ``data`` with ``infer``, a batch's class probabilities from the
    model as it is at the time of each call (the averaged weights, when they are swapped
    in); ``passes(split)`` gives one pass of a split's batches, each with its rows' indices
    (a batch filled up with more rows than it names is scored for those it names)."""

    def __init__(self, infer: Callable[[Any], np.ndarray], passes: Passes, data: VectorizedData):
        self.data = data
        self.infer = infer
        self.passes = passes

    def score(self, split: str) -> Scored:
        """One pass over ``split``; raises ``RuntimeError`` unless the strategy's batches
        held every row exactly once."""
        rows = len(self.data.splits[split])
        probabilities = np.zeros((rows, len(self.data.class_names)), dtype="float32")
        seen = np.zeros(rows, dtype="int64")
        started = time.perf_counter()
        for token_ids, where in self.passes(split):
            probabilities[where] = self.infer(token_ids)[: len(where)]
            seen[where] += 1
        seconds = time.perf_counter() - started
        if not np.all(seen == 1):
            raise RuntimeError(f"the padding strategy did not batch every {split} row once")
        return Scored(probabilities, seconds)


def indexed_batches(
    strategy: PaddingStrategy, data: VectorizedData, split: str, batch_size: int
) -> tf.data.Dataset:
    """``split`` batched by ``strategy`` in its fixed (unshuffled) order, each row's index in
    place of its label."""
    rows = data.splits[split]
    indexed = VectorizedSplit(rows.token_ids, rows.lengths, np.arange(len(rows), dtype="int32"))
    return strategy.batches(indexed, batch_size, training_lengths=data.train.lengths)


def keras_inference_function(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """``model``'s class probabilities of a batch of token ids as a NumPy array, on JAX or
    torch: on JAX a compiled call that reads the weights without taking them over (Keras's
    ``predict_on_batch`` donates them, and after ``SwapEMAWeights`` a weight and its
    average can share one buffer, which the average would then lose); elsewhere Keras's
    own ``predict_on_batch``."""
    import keras

    if keras.backend.backend() != "jax":
        return lambda token_ids: np.asarray(model.predict_on_batch(token_ids))
    import jax

    @jax.jit
    def probabilities(trainable: list, non_trainable: list, token_ids: Any) -> Any:
        return model.stateless_call(trainable, non_trainable, token_ids, training=False)[0]

    def infer(token_ids: np.ndarray) -> np.ndarray:
        trainable = [variable.value for variable in model.trainable_variables]
        non_trainable = [variable.value for variable in model.non_trainable_variables]
        return np.asarray(probabilities(trainable, non_trainable, token_ids))

    return infer


def inference_function(model: keras.Model) -> Callable[[tf.Tensor], tf.Tensor]:
    """``model``'s class probabilities of a batch of token ids, traced once for batches of
    any size and length."""
    import tensorflow as tf

    return tf.function(
        lambda token_ids: model(token_ids, training=False),
        input_signature=[tf.TensorSpec([None, None], tf.int32)],
    )
