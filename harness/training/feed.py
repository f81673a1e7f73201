"""What a cell trains and is scored on: its padding strategy's batches, and how they reach Keras.

On TensorFlow, Keras ``fit`` takes the strategy's ``tf.data`` pipeline and one traced
function scores the validation and test splits (:func:`pipeline_feed`). On JAX and torch,
whose workers do not import TensorFlow, the same batches come from the cell's batch plans
(:mod:`harness.batching.plan`), made in the harness's process and kept in the data cache,
as NumPy arrays through a ``keras.utils.PyDataset`` (:func:`planned_feed`). JAX compiles
a program for each shape it meets, so its batches take a few shapes (:func:`batch_shapes`):
a masked batch is widened to the next of a few widths (more pads, masked, change nothing),
and a batch of fewer rows is filled up with rows of weight 0 (left out of the loss and the
accuracy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from harness.api import PaddingStrategy, VectorizedData, VectorizedSplit
from harness.batching.padding import padded_share
from harness.batching.plan import BatchPlan, BatchShapes, cell_plans, length_quanta
from harness.config import CellSpec
from harness.data.cache import load_arrays, plan_path
from harness.training.scoring import (
    Scorer,
    indexed_batches,
    inference_function,
    keras_inference_function,
)

PIPELINE, PLANS = "tf.data", "batch plans"  # where a row says its batches came from


@dataclass(frozen=True)
class CellPlans:
    """A cell's batch plans: its training batches, epoch after epoch, and the fixed batches
    of its validation and test splits."""

    train: BatchPlan
    validation: BatchPlan
    test: BatchPlan


def load_cell_plans(spec: CellSpec, data_path: Path) -> CellPlans:
    """``spec``'s plans, from the data cache entry at ``data_path``; ``RuntimeError`` when
    one is missing (the harness makes them before the cell runs)."""
    plans = {}
    for request in cell_plans(spec):
        path = plan_path(data_path, request.key)
        try:
            plans[request.split] = BatchPlan.from_arrays(load_arrays(path))
        except FileNotFoundError:
            missing = f"the {request.split} batch plan is not in the data cache: {path}"
            raise RuntimeError(missing) from None
    return CellPlans(**plans)


@dataclass(frozen=True)
class Feed:
    """A cell's batches: what ``fit`` takes (with its steps per epoch, when it holds every
    epoch's batches in one), the scorer of its validation and test splits, and the share of
    padding in an epoch of its training batches."""

    train: Any
    steps_per_epoch: int | None
    scorer: Scorer
    padded_share: Callable[[], float]


def pipeline_feed(
    train: Any, model: keras.Model, strategy: PaddingStrategy, data: VectorizedData, batch_size: int
) -> Feed:
    """The strategy's ``tf.data`` pipelines: ``train`` (made before the model, so that a cell
    draws its numbers in the order it always has) and one traced inference function."""
    infer = inference_function(model)
    evaluation = {
        split: indexed_batches(strategy, data, split, batch_size)
        for split in ("validation", "test")
    }

    def passes(split: str) -> Iterator[tuple[Any, np.ndarray]]:
        for token_ids, rows in evaluation[split]:
            yield token_ids, rows.numpy()

    scorer = Scorer(lambda token_ids: infer(token_ids).numpy(), passes, data)
    return Feed(train, None, scorer, lambda: padded_share(train))


def planned_feed(
    model: keras.Model, data: VectorizedData, plans: CellPlans, shapes: BatchShapes
) -> Feed:
    """The cell's batches from its ``plans``, in ``shapes``, as NumPy arrays; scored with
    compiled inference (:func:`~harness.training.scoring.keras_inference_function`)."""
    splits = {"validation": plans.validation, "test": plans.test}

    def passes(split: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return planned_pass(data.splits[split], splits[split], shapes)

    train = PlannedBatches(data.train, plans.train, shapes)
    scorer = Scorer(keras_inference_function(model), passes, data)
    return Feed(
        train,
        plans.train.batches_per_epoch,
        scorer,
        lambda: planned_padded_share(data.train, plans.train, shapes),
    )


def batch_shapes(
    backend: str, strategy: PaddingStrategy, training_lengths: np.ndarray, batch_size: int
) -> BatchShapes:
    """The shapes a cell's planned batches take on ``backend``: few on JAX (see the module),
    their own elsewhere."""
    if backend != "jax":
        return BatchShapes()
    widths = length_quanta(training_lengths, batch_size) if strategy.masks else ()
    return BatchShapes(batch_size, widths)


class PlannedBatches(keras.utils.PyDataset):
    """The training batches of ``plan`` over ``split`` in ``shapes``, every epoch's, one
    after the other: ``(token_ids, labels, weights)``, weight 0 for the rows that fill a
    batch up. Batch ``index`` is always the same batch (Keras may read ahead, across an
    epoch's end): ``fit`` takes it with ``steps_per_epoch=plan.batches_per_epoch``."""

    def __init__(self, split: VectorizedSplit, plan: BatchPlan, shapes: BatchShapes) -> None:
        super().__init__()
        self.split, self.plan, self.shapes = split, plan, shapes

    def __len__(self) -> int:
        return self.plan.epochs * self.plan.batches_per_epoch

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, width, before = self.plan.batch(*divmod(index, self.plan.batches_per_epoch))
        token_ids = self.shapes.batch(self.split, rows, width, pads_before=before)
        labels = np.zeros(len(token_ids), "int32")
        labels[: len(rows)] = self.split.labels[rows]
        weights = np.zeros(len(token_ids), "float32")
        weights[: len(rows)] = 1.0
        return token_ids, labels, weights


def planned_pass(
    split: VectorizedSplit, plan: BatchPlan, shapes: BatchShapes
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One pass over ``plan``'s batches of ``split`` in ``shapes``: each batch with its rows
    (a batch filled up holds more rows than it names)."""
    for number in range(plan.batches_per_epoch):
        rows, width, before = plan.batch(0, number)
        yield shapes.batch(split, rows, width, pads_before=before), rows


def planned_padded_share(split: VectorizedSplit, plan: BatchPlan, shapes: BatchShapes) -> float:
    """Padding tokens / all tokens fed, over the first epoch of ``plan`` in ``shapes``."""
    padding = total = 0
    for token_ids, _ in planned_pass(split, plan, shapes):
        padding += int(np.count_nonzero(token_ids == 0))
        total += token_ids.size
    return padding / total if total else 0.0
