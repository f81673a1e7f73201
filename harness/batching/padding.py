"""Padding strategies: how vectorised rows of different lengths become batches.

Every strategy pads with token id 0, returns a ``tf.data`` pipeline of
``(token_ids, labels)`` batches and states what an epoch of them costs
(``padded_tokens``). The core's three strategies are contributed through the same hook
as a third party's (:func:`harness_padding_strategies`).

- ``none``: pad each batch to its longest row, *before* the text; the model sees
  the pads. Unmasked, a recurrent model then reads the pads first and the text last,
  so its last state follows the text's last word (Keras's own ``pad_sequences`` pads
  before the text by default for this reason).
- ``mask``: pad each batch to its longest row, after the text; the embedding masks
  the pads.
- ``bucket``: group rows of similar length, then pad after the text and mask.

A strategy that masks pads after the text: the fused cuDNN kernels of LSTM and GRU
on a GPU accept a mask only when it is right-padded.

Timing note: the pipelines turn tf.data autotuning off and prefetch a fixed
number of batches. With autotuning on, ``fit()`` on a small CPU sometimes stalls
at the end of an epoch, which inflates epoch times by up to 2x.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from harness.api import PaddingStrategy, VectorizedSplit, pad_to_longest_tokens
from harness.plugin import hookimpl

if TYPE_CHECKING:
    import tensorflow as tf

PREFETCH_BATCHES = 4
ROWS_PER_BUCKET_IN_BATCHES = 2  # padded share 0.09 on the AG News sample at batch 128


@dataclass(frozen=True)
class PadToLongestInBatch:
    """Consecutive rows form a batch, padded to its longest row: after the text, or before
    it with ``pads_before_text`` (which a masking strategy cannot have: see the module).

    Padding before the text reverses each row once (cached), pads the batch after it,
    and reverses the batch along time: the text comes last, in its own order.
    """

    name: str
    summary: str
    masks: bool
    pads_before_text: bool = False

    def __post_init__(self) -> None:
        if self.masks and self.pads_before_text:
            raise ValueError(f"{self.name}: a masked batch must be padded after the text")

    def batches(
        self,
        split: VectorizedSplit,
        batch_size: int,
        *,
        training_lengths: np.ndarray,
        shuffle_seed: int | None = None,
    ) -> tf.data.Dataset:
        import tensorflow as tf

        rows = _rows(split, shuffle_seed, reversed_rows=self.pads_before_text)
        batched = rows.padded_batch(batch_size)
        if self.pads_before_text:
            batched = batched.map(lambda token_ids, labels: (tf.reverse(token_ids, [1]), labels))
        return _finish(batched, shuffled=shuffle_seed is not None)

    def padded_tokens(self, lengths: np.ndarray, batch_size: int) -> float:
        """Tokens an epoch feeds: consecutive rows, each batch padded to its longest."""
        return pad_to_longest_tokens(lengths, batch_size)


@dataclass(frozen=True)
class BucketByLength:
    """Rows are grouped into length buckets, then batched and padded within a bucket.

    Bucket boundaries are quantiles of the training lengths, as many as leave
    every bucket about :data:`ROWS_PER_BUCKET_IN_BATCHES` full batches of rows,
    so that few batches are partial.
    """

    name: str = "bucket"
    summary: str = (
        "group rows of similar length, then pad each batch to its longest, after the text, and mask"
    )
    masks: bool = True

    def batches(
        self,
        split: VectorizedSplit,
        batch_size: int,
        *,
        training_lengths: np.ndarray,
        shuffle_seed: int | None = None,
    ) -> tf.data.Dataset:
        import tensorflow as tf

        boundaries = bucket_boundaries(training_lengths, batch_size)
        rows = _rows(split, shuffle_seed)
        batched = rows.bucket_by_sequence_length(
            element_length_func=lambda token_ids, label: tf.shape(token_ids)[0],
            bucket_boundaries=boundaries,
            bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        )
        if shuffle_seed is not None:  # buckets fill in turn; mix their batches
            batched = batched.shuffle(64, seed=shuffle_seed, reshuffle_each_iteration=True)
        return _finish(batched, shuffled=shuffle_seed is not None)

    def padded_tokens(self, lengths: np.ndarray, batch_size: int) -> float:
        """Tokens an epoch feeds: the rows of each length bucket, in the order given, in
        batches padded to their longest."""
        lengths = np.asarray(lengths)
        buckets = np.searchsorted(bucket_boundaries(lengths, batch_size), lengths, side="right")
        return sum(
            pad_to_longest_tokens(lengths[buckets == bucket], batch_size)
            for bucket in np.unique(buckets)
        )


def bucket_boundaries(training_lengths: np.ndarray, batch_size: int) -> list[int]:
    """Bucket boundaries (exclusive upper lengths) at quantiles of the training lengths."""
    lengths = np.asarray(training_lengths)
    bucket_count = max(1, len(lengths) // (batch_size * ROWS_PER_BUCKET_IN_BATCHES))
    quantiles = np.linspace(0, 1, bucket_count + 1)[1:-1]
    cuts = np.unique(np.ceil(np.quantile(lengths, quantiles)).astype(int) + 1)
    return [int(cut) for cut in cuts if lengths.min() < cut <= lengths.max()]


def padded_share(batches: tf.data.Dataset) -> float:
    """Padding tokens / all tokens fed, over one pass of ``batches`` (token id 0 is padding)."""
    padding = total = 0
    for token_ids, _ in batches.as_numpy_iterator():
        padding += int(np.count_nonzero(token_ids == 0))
        total += token_ids.size
    return padding / total if total else 0.0


def _rows(
    split: VectorizedSplit, shuffle_seed: int | None, *, reversed_rows: bool = False
) -> tf.data.Dataset:
    """The rows of ``split`` (each reversed with ``reversed_rows``), cached, then shuffled."""
    import tensorflow as tf

    token_ids = tf.constant(split.token_ids)
    starts = np.concatenate([[0], np.cumsum(split.lengths)[:-1]]).astype("int64")

    def row(start: tf.Tensor, length: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        tokens = token_ids[start : start + length]
        return (tf.reverse(tokens, [0]) if reversed_rows else tokens), label

    rows = (
        tf.data.Dataset.from_tensor_slices((starts, split.lengths.astype("int64"), split.labels))
        .map(row)
        .cache()
    )
    if shuffle_seed is not None:
        rows = rows.shuffle(len(split.labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    return rows


def _finish(batched: tf.data.Dataset, *, shuffled: bool) -> tf.data.Dataset:
    import tensorflow as tf

    if not shuffled:  # the same batches every pass: keep them
        batched = batched.cache()
    options = tf.data.Options()
    options.autotune.enabled = False
    options.deterministic = True
    return batched.prefetch(PREFETCH_BATCHES).with_options(options)


NO_PADDING_MASK = PadToLongestInBatch(
    name="none",
    summary="pad each batch to its longest row, before the text; the model sees the pads",
    masks=False,
    pads_before_text=True,
)
MASK = PadToLongestInBatch(
    name="mask",
    summary="pad each batch to its longest row, after the text; the embedding masks the pads",
    masks=True,
)
BUCKET = BucketByLength()


@hookimpl
def harness_padding_strategies() -> list[PaddingStrategy]:
    return [NO_PADDING_MASK, MASK, BUCKET]
