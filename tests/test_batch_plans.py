"""Batch plans: a worker without TensorFlow forms the very batches (and masks) a strategy's
pipeline forms, epoch after epoch, for the built-in strategies and a third party's."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

from harness.api import VectorizedSplit
from harness.batching.padding import BUCKET, MASK, NO_PADDING_MASK
from harness.batching.plan import BatchPlan, BatchShapes, length_quanta, plan_batches
from harness.training.feed import PlannedBatches, batch_shapes, planned_pass

EPOCHS = 3


def made_up_split(rows: int = 90, seed: int = 0) -> VectorizedSplit:
    """Rows of 1 to 30 tokens (ids from 2), labelled 0..3."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 31, size=rows).astype("int32")
    token_ids = rng.integers(2, 50, size=int(lengths.sum())).astype("int32")
    return VectorizedSplit(token_ids, lengths, rng.integers(0, 4, size=rows).astype("int32"))


def fed_by_fit(strategy, split, batch_size, shuffle_seed):
    """What Keras's ``fit`` on TensorFlow feeds a model, ``EPOCHS`` epochs, from the
    strategy's pipeline made as a cell's worker makes it (its seeds set first); without a
    seed, one pass in the pipeline's fixed order, as a cell's scoring takes it. Token ids
    and labels, batch after batch."""
    import keras
    import tensorflow as tf

    if shuffle_seed is None:
        pipeline = strategy.batches(split, batch_size, training_lengths=split.lengths)
        return list(pipeline.as_numpy_iterator())
    keras.utils.set_random_seed(shuffle_seed)
    pipeline = strategy.batches(
        split, batch_size, training_lengths=split.lengths, shuffle_seed=shuffle_seed
    )
    model = keras.Sequential(
        [keras.layers.Embedding(50, 4), keras.layers.GlobalAveragePooling1D(),
         keras.layers.Dense(4, activation="softmax")]
    )  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy")
    fed, step = [], model.train_step

    def recorded(data):
        def record(token_ids, labels):
            fed.append((token_ids.numpy(), labels.numpy()))
            return 0

        with tf.control_dependencies([tf.py_function(record, list(data), tf.int32)]):
            return step(data)

    model.train_step = recorded
    model.fit(pipeline, epochs=EPOCHS, shuffle=False, verbose=0)
    return fed


@dataclass(frozen=True)
class EveryOtherRowFirst:
    """A third party's strategy: the even rows, then the odd ones, padded to 40 tokens."""

    name: str = "every-other"
    summary: str = "even rows first"
    masks: bool = True

    def batches(self, split, batch_size, *, training_lengths, shuffle_seed=None):
        import tensorflow as tf

        order = np.concatenate([np.arange(0, len(split), 2), np.arange(1, len(split), 2)])
        rows = split.rows()
        padded = np.zeros((len(split), 40), "int32")
        for position, row in enumerate(order):
            padded[position, : len(rows[row])] = rows[row]
        return tf.data.Dataset.from_tensor_slices((padded, split.labels[order])).batch(batch_size)


@pytest.mark.parametrize(
    "strategy", [NO_PADDING_MASK, MASK, BUCKET, EveryOtherRowFirst()], ids=lambda s: s.name
)
@pytest.mark.parametrize("shuffle_seed", [None, 3])
def test_a_plan_forms_the_pipelines_batches_and_masks_epoch_after_epoch(strategy, shuffle_seed):
    import tensorflow as tf

    split = made_up_split()
    tf.random.set_seed(12345)  # whatever the harness's process drew before
    epochs = 1 if shuffle_seed is None else EPOCHS
    plan = plan_batches(
        strategy, split, 8, training_lengths=split.lengths, shuffle_seed=shuffle_seed,
        epochs=epochs,
    )  # fmt: skip
    fed = fed_by_fit(strategy, split, 8, shuffle_seed)
    planned = PlannedBatches(split, plan, BatchShapes())
    assert len(planned) == epochs * plan.batches_per_epoch == len(fed)
    for index in reversed(range(len(planned))):  # any batch, in any order: read ahead
        token_ids, labels = fed[index]
        planned_ids, planned_labels, weights = planned[index]
        np.testing.assert_array_equal(planned_ids, token_ids)
        np.testing.assert_array_equal(planned_ids != 0, token_ids != 0)  # the mask
        np.testing.assert_array_equal(planned_labels, labels)
        assert weights.tolist() == [1.0] * len(labels)
    if shuffle_seed is not None and strategy.name != "every-other":
        assert plan.rows_of(0, 0).tolist() != plan.rows_of(1, 0).tolist()  # reshuffled


def test_bounded_shapes_keep_every_row_and_its_mask_and_add_rows_of_weight_0():
    split = made_up_split(rows=45)
    plan = plan_batches(BUCKET, split, 8, training_lengths=split.lengths, shuffle_seed=1, epochs=2)
    shapes = batch_shapes("jax", BUCKET, split.lengths, 8)
    assert shapes.widths == length_quanta(split.lengths, 8)
    planned = PlannedBatches(split, plan, shapes)
    exact = PlannedBatches(split, plan, BatchShapes())
    seen_shapes = set()
    for number in range(len(planned)):
        token_ids, _, weights = planned[number]
        rows, width = exact[number][0].shape
        seen_shapes.add(token_ids.shape)
        assert token_ids.shape[0] == 8 and token_ids.shape[1] in shapes.widths
        np.testing.assert_array_equal(token_ids[:rows, :width], exact[number][0])
        assert not token_ids[:rows, width:].any()  # more pads, masked
        assert weights.tolist() == [1.0] * rows + [0.0] * (8 - rows)
        assert (token_ids[rows:, 0] == 1).all() and not token_ids[rows:, 1:].any()
    assert len(seen_shapes) <= len(shapes.widths)


def test_an_unmasked_strategy_keeps_its_widths_on_jax_and_torch_keeps_every_shape():
    split = made_up_split()
    assert batch_shapes("jax", NO_PADDING_MASK, split.lengths, 8) == BatchShapes(8, ())
    assert batch_shapes("torch", BUCKET, split.lengths, 8) == BatchShapes()


def test_a_scoring_pass_names_each_row_once_in_the_pipelines_order():
    split = made_up_split(rows=21)
    plan = plan_batches(BUCKET, split, 8, training_lengths=split.lengths)
    shapes = batch_shapes("jax", BUCKET, split.lengths, 8)
    order = np.concatenate([rows for _, rows in planned_pass(split, plan, shapes)])
    indexed = VectorizedSplit(split.token_ids, split.lengths, np.arange(21, dtype="int32"))
    pipeline = BUCKET.batches(indexed, 8, training_lengths=split.lengths)
    assert order.tolist() == [int(i) for _, rows in pipeline.as_numpy_iterator() for i in rows]


def test_a_plan_survives_the_cache_format():
    split = made_up_split(rows=30)
    plan = plan_batches(MASK, split, 8, training_lengths=split.lengths, shuffle_seed=0, epochs=2)
    again = BatchPlan.from_arrays(plan.arrays())
    assert again.epochs == 2 and again.batches_per_epoch == plan.batches_per_epoch
    for name, array in plan.arrays().items():
        np.testing.assert_array_equal(again.arrays()[name], array)


def test_a_strategy_that_cuts_rows_is_planned_and_one_that_pads_inside_them_is_not():
    import tensorflow as tf

    @dataclass(frozen=True)
    class FirstTokens(EveryOtherRowFirst):
        def batches(self, split, batch_size, *, training_lengths, shuffle_seed=None):
            batches = MASK.batches(split, batch_size, training_lengths=training_lengths)
            return batches.map(lambda ids, labels: (ids[:, :3], labels))

    @dataclass(frozen=True)
    class PadsInside(EveryOtherRowFirst):
        def batches(self, split, batch_size, *, training_lengths, shuffle_seed=None):
            batches = MASK.batches(split, batch_size, training_lengths=training_lengths)
            return batches.map(lambda ids, labels: (tf.roll(ids, 1, axis=1), labels))

    split = made_up_split(rows=20)
    plan = plan_batches(FirstTokens(), split, 8, training_lengths=split.lengths)
    (token_ids, _), *_ = fed_by_fit(FirstTokens(), split, 8, None)
    np.testing.assert_array_equal(next(planned_pass(split, plan, BatchShapes()))[0], token_ids)
    with pytest.raises(ValueError, match="no plan can repeat it"):
        plan_batches(PadsInside(), split, 8, training_lengths=split.lengths)


TRAINED_FROM_PLANS = """
import dataclasses, json, sys
from pathlib import Path
import tensorflow as tf
tf.config.experimental.enable_op_determinism()
from harness.config import DataConfig, DeviceConfig, RunOptions, TrainingConfig
from harness.data.vectorize import prepare
from harness.execution.batch_plans import make_batch_plans
from harness.execution.runner import plan_cells, select
from harness.plugin.manager import load_registry
from harness.training.feed import load_cell_plans
from harness.training.fit import train_and_score

registry = load_registry()
news, cache, padding = sys.argv[1:]
options = RunOptions(
    architectures=("lstm",), paddings=(padding,), seeds=1, data=DataConfig(source=news),
    training=TrainingConfig(max_epochs=3, batch_size=16),
)
data = prepare(options.data, registry, Path(cache))
(cell,) = plan_cells(options, select(options, registry), registry, data, {}, DeviceConfig())
make_batch_plans([dataclasses.replace(cell, backend="jax")], data, registry, print)
measured = [
    train_and_score(cell, data, registry, lambda line: None, plans=plans)
    for plans in (None, load_cell_plans(cell, data.cache_path))
]
print(json.dumps([[m["test_predictions"], m["test_confidence"], m["history"]] for m in measured]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("padding", ["none", "mask"])
def test_tensorflow_trains_the_very_same_cell_from_its_plans_as_from_its_pipeline(
    padding, news_dir, tmp_path
):
    """The plan is what Keras's fit takes from the pipeline, epoch after epoch (a fit may
    start an iterator it never reads, and each start reshuffles): deterministic, the same
    losses, predictions and confidences. (With ``bucket``, whose pipeline has no length,
    Keras's fit on TensorFlow counts a step more per epoch than it runs, which Adam's bias
    correction sees; docs/backends.md.)"""
    result = subprocess.run(
        [sys.executable, "-c", TRAINED_FROM_PLANS, str(news_dir), str(tmp_path), padding],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    pipeline, planned = json.loads(result.stdout.splitlines()[-1])
    assert pipeline[:2] == planned[:2]
    assert [epoch["loss"] for epoch in pipeline[2]] == [epoch["loss"] for epoch in planned[2]]
