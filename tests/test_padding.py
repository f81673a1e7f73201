"""Padding strategies: where the pads go, masks, bucket boundaries and exact padded shares."""

from dataclasses import dataclass

import numpy as np
import pytest

from harness.api import VectorizedSplit
from harness.batching.padding import (
    BUCKET,
    MASK,
    NO_PADDING_MASK,
    ROWS_PER_BUCKET_IN_BATCHES,
    bucket_boundaries,
    padded_share,
)


def split_of(rows: list[list[int]]) -> VectorizedSplit:
    return VectorizedSplit(
        token_ids=np.array([t for row in rows for t in row], dtype="int32"),
        lengths=np.array([len(row) for row in rows], dtype="int32"),
        labels=np.arange(len(rows), dtype="int32") % 2,
    )


ROWS = [[7], [4, 5, 6], [8, 9], [2, 3, 4, 5]]


def batches_of(strategy, rows, batch_size=2, training_lengths=None, shuffle_seed=None):
    split = split_of(rows)
    lengths = split.lengths if training_lengths is None else np.array(training_lengths)
    dataset = strategy.batches(
        split, batch_size, training_lengths=lengths, shuffle_seed=shuffle_seed
    )
    return dataset, [tokens.tolist() for tokens, _ in dataset.as_numpy_iterator()]


def test_mask_pads_each_batch_after_the_text():
    _, batches = batches_of(MASK, ROWS)
    assert batches == [[[7, 0, 0], [4, 5, 6]], [[8, 9, 0, 0], [2, 3, 4, 5]]]


def test_none_pads_each_batch_before_the_text_which_keeps_its_order():
    """Unmasked, a recurrent model's last state must follow the text's last word."""
    _, batches = batches_of(NO_PADDING_MASK, ROWS)
    assert batches == [[[0, 0, 7], [4, 5, 6]], [[0, 0, 8, 9], [2, 3, 4, 5]]]


def test_none_pads_shuffled_batches_before_the_text_too():
    rows = [[k + 1, k + 2, k + 3][: k % 3 + 1] for k in range(12)]
    _, batches = batches_of(NO_PADDING_MASK, rows, batch_size=4, shuffle_seed=5)
    fed = [[t for t in row if t] for batch in batches for row in batch]
    assert sorted(fed) == sorted(rows)
    for batch in batches:
        for row in batch:
            pads = len(row) - np.count_nonzero(row)
            assert not any(row[:pads]) and all(row[pads:]), row


def test_a_masking_strategy_cannot_pad_before_the_text():
    from harness.batching.padding import PadToLongestInBatch

    with pytest.raises(ValueError, match="masked batch must be padded after the text"):
        PadToLongestInBatch("left-mask", "pads first and masks", masks=True, pads_before_text=True)


def test_padded_share_by_hand():
    # batch 1: 2 rows x 3 = 6 tokens, 2 pads; batch 2: 2 x 4 = 8 tokens, 2 pads -> 4 / 14
    dataset, _ = batches_of(NO_PADDING_MASK, ROWS)
    assert padded_share(dataset) == pytest.approx(4 / 14)


def test_only_mask_and_bucket_mask():
    assert (NO_PADDING_MASK.masks, MASK.masks, BUCKET.masks) == (False, True, True)


def test_bucket_groups_rows_of_similar_length():
    rows = [[1], [2, 2, 2, 2, 2], [3], [4, 4, 4, 4, 4]]
    training_lengths = [1] * 6 + [5] * 6  # two buckets: 1 token, and 5 tokens
    (boundary,) = bucket_boundaries(np.array(training_lengths), batch_size=2)
    assert 1 < boundary <= 5
    dataset, batches = batches_of(BUCKET, rows, training_lengths=training_lengths)
    assert sorted(batches) == [[[1], [3]], [[2, 2, 2, 2, 2], [4, 4, 4, 4, 4]]]
    assert padded_share(dataset) == 0.0
    unbucketed, _ = batches_of(MASK, rows)
    assert padded_share(unbucketed) == pytest.approx(8 / 20)


def test_bucket_boundaries_follow_length_quantiles():
    lengths = np.arange(1, 601)
    rows_per_bucket = 10 * ROWS_PER_BUCKET_IN_BATCHES
    boundaries = bucket_boundaries(lengths, batch_size=10)
    assert boundaries == sorted(set(boundaries))
    assert len(boundaries) == 600 // rows_per_bucket - 1
    per_bucket = np.diff([1, *boundaries, 601])
    assert per_bucket.min() >= rows_per_bucket - 1


def test_shuffled_batches_hold_every_row_once_and_change_between_epochs():
    rows = [[k + 1] * (k % 5 + 1) for k in range(40)]
    for strategy in (NO_PADDING_MASK, BUCKET):
        dataset, first = batches_of(strategy, rows, batch_size=4, shuffle_seed=7)
        second = [tokens.tolist() for tokens, _ in dataset.as_numpy_iterator()]
        fed = sorted(max(row) for batch in first for row in batch)
        assert fed == list(range(1, 41)), strategy.name
        assert first != second, strategy.name


def test_labels_travel_with_their_rows():
    split = split_of([[5] * (k + 1) for k in range(6)])
    dataset = BUCKET.batches(split, 2, training_lengths=split.lengths, shuffle_seed=3)
    for tokens, labels in dataset.as_numpy_iterator():
        lengths = (tokens != 0).sum(axis=1)
        np.testing.assert_array_equal(labels, (lengths - 1) % 2)


def test_the_mask_hides_the_pads_from_the_model():
    import keras

    layer = keras.layers.Embedding(10, 3, mask_zero=True)
    _, batches = batches_of(MASK, ROWS)
    mask = np.asarray(layer.compute_mask(np.array(batches[0])))
    assert mask.tolist() == [[True, False, False], [True, True, True]]


@pytest.mark.parametrize("strategy", [MASK, BUCKET])
def test_masks_meet_what_the_fused_cudnn_kernels_require(strategy):
    """On a GPU, Keras runs LSTM and GRU through cuDNN only on masks that are strictly
    right-padded with no row fully masked; any other mask fails a runtime assertion."""
    import keras

    layer = keras.layers.Embedding(10, 3, mask_zero=True)
    rows = [[7], [4, 5, 6], [8, 9], [2, 3, 4, 5], [1], [3, 1, 2]]
    _, batches = batches_of(strategy, rows, training_lengths=[1, 3, 2, 4, 1, 3])
    for batch in batches:
        mask = np.asarray(layer.compute_mask(np.array(batch)))
        real_tokens = mask.sum(axis=1)
        assert (real_tokens > 0).all()
        assert (mask == (np.arange(mask.shape[1]) < real_tokens[:, None])).all()


@pytest.mark.parametrize("name", ["none", "mask", "bucket"])
def test_built_in_strategies_keep_the_contract(name, padding_strategy_contract):
    from harness.plugin.manager import load_registry

    padding_strategy_contract(load_registry().padding_strategy(name).item)


@dataclass(frozen=True)
class LeftPadding:
    """A third party's strategy that pads before the text, masked or not."""

    name: str = "left"
    summary: str = "pads before the text"
    masks: bool = True

    def batches(self, split, batch_size, *, training_lengths, shuffle_seed=None):
        reversed_rows = VectorizedSplit(
            np.concatenate([row[::-1] for row in split.rows()]), split.lengths, split.labels
        )
        batches = MASK.batches(
            reversed_rows, batch_size, training_lengths=training_lengths, shuffle_seed=shuffle_seed
        )
        return batches.map(lambda ids, labels: (ids[:, ::-1], labels))


def test_a_masking_strategy_that_pads_before_the_text_breaks_the_contract():
    """The fused cuDNN kernels refuse a mask that is not right-padded."""
    from harness.testing import check_padding_strategy

    with pytest.raises(AssertionError, match="not padded with 0 after the text"):
        check_padding_strategy(LeftPadding(masks=True))


def test_an_unmasked_strategy_may_pad_before_the_text_but_not_inside_it():
    import tensorflow as tf

    from harness.testing import check_padding_strategy

    check_padding_strategy(LeftPadding(masks=False))

    @dataclass(frozen=True)
    class PadsInTheMiddle(LeftPadding):
        masks: bool = False

        def batches(self, split, batch_size, *, training_lengths, shuffle_seed=None):
            batches = MASK.batches(
                split, batch_size, training_lengths=training_lengths, shuffle_seed=shuffle_seed
            )
            return batches.map(lambda ids, labels: (tf.roll(ids, 1, axis=1), labels))  # 3,2,4,11

    with pytest.raises(AssertionError, match="not padded with 0 on one side"):
        check_padding_strategy(PadsInTheMiddle())
