"""Batch plans: which rows every batch of a padding strategy holds, epoch after epoch, as arrays.

A strategy forms its batches as a ``tf.data`` pipeline, whose seeded shuffle only TensorFlow
can repeat. A plan records them once, where TensorFlow is (the harness's own process), from
the strategy's own pipeline with each row's index in place of its label, as a cell's
training on TensorFlow takes them (:func:`plan_batches`): the rows of each batch in their
order, the batch's width, and on which side of the text its pads are. A worker of another
Keras backend then forms the very same batches, and so the same masks, from the plan with
NumPy alone (:meth:`BatchPlan.token_ids`); a plugin's strategy is planned the same way.
Each batch is checked as it is recorded: the plan gives back exactly what the pipeline gave.

:class:`BatchShapes` bounds the shapes a plan's batches take, for a backend that compiles a
program per shape (JAX): a masked batch is widened to the next of a few widths, and a batch
of fewer rows is filled up with rows that weigh nothing.

>>> split = VectorizedSplit(np.array([5, 6, 7, 8, 9, 3], "int32"), np.array([3, 1, 2]),
...                         np.zeros(3, "int32"))
>>> plan = BatchPlan.from_batches([([2, 0], 3, False), ([1], 1, False)], epochs=1)
>>> plan.token_ids(split, plan.rows_of(0, 0), 3, pads_before=False)
array([[9, 3, 0],
       [5, 6, 7]], dtype=int32)
>>> BatchShapes(batch_size=4, widths=(4, 8)).shape(rows=2, width=5)
(4, 8)
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.api import OOV_TOKEN_ID, PaddingStrategy, VectorizedSplit
from harness.batching.padding import bucket_boundaries
from harness.config import CellSpec
from harness.hashing import CACHE_KEY_LENGTH, digest

PLAN_FORMAT = 1  # bump when the stored arrays change


@dataclass(frozen=True)
class BatchPlan:
    """The batches of ``epochs`` passes over a split: the rows of every batch, batch after
    batch and epoch after epoch (``rows``), how many each holds (``sizes``), its width
    (``widths``) and whether its pads come before the text (``pads_before``). Every epoch
    has the same number of batches."""

    rows: np.ndarray
    sizes: np.ndarray
    widths: np.ndarray
    pads_before: np.ndarray
    epochs: int

    @classmethod
    def from_batches(
        cls, batches: Iterable[tuple[Iterable[int], int, bool]], epochs: int
    ) -> BatchPlan:
        """The plan of ``(rows, width, pads_before)`` batches, every epoch's in turn."""
        listed = [(np.asarray(rows, "int32"), width, before) for rows, width, before in batches]
        if len(listed) % epochs:
            raise ValueError(f"{len(listed)} batches do not split into {epochs} equal epochs")
        return cls(
            rows=np.concatenate([rows for rows, _, _ in listed] or [np.zeros(0, "int32")]),
            sizes=np.array([len(rows) for rows, _, _ in listed], "int32"),
            widths=np.array([width for _, width, _ in listed], "int32"),
            pads_before=np.array([before for _, _, before in listed], bool),
            epochs=epochs,
        )

    @property
    def batches_per_epoch(self) -> int:
        return len(self.sizes) // self.epochs

    def batch(self, epoch: int, number: int) -> tuple[np.ndarray, int, bool]:
        """Batch ``number`` of ``epoch``: its rows, width and pad side."""
        index = epoch * self.batches_per_epoch + number
        return self.rows_of(epoch, number), int(self.widths[index]), bool(self.pads_before[index])

    def rows_of(self, epoch: int, number: int) -> np.ndarray:
        index = epoch * self.batches_per_epoch + number
        start = int(self._starts[index])
        return self.rows[start : start + int(self.sizes[index])]

    @functools.cached_property
    def _starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.sizes)[:-1]])

    @staticmethod
    def token_ids(
        split: VectorizedSplit, rows: np.ndarray, width: int, *, pads_before: bool
    ) -> np.ndarray:
        """The batch of ``split``'s ``rows``, each padded with 0 to ``width`` tokens after its
        text, or before it with ``pads_before`` (a longer row keeps its first ``width``
        tokens, or its last)."""
        lengths = split.lengths[rows].astype("int64")
        starts = (np.cumsum(split.lengths, dtype="int64") - split.lengths)[rows]
        positions = np.arange(width)[None, :]
        offsets = (width - lengths if pads_before else np.zeros_like(lengths))[:, None]
        valid = (positions >= offsets) & (positions < offsets + lengths[:, None])
        source = np.clip(starts[:, None] + positions - offsets, 0, max(len(split.token_ids) - 1, 0))
        taken = split.token_ids[source] if len(split.token_ids) else np.zeros(source.shape)
        return np.where(valid, taken, 0).astype("int32")

    def arrays(self) -> dict[str, np.ndarray]:
        """The plan as the arrays the data cache stores."""
        return {
            "rows": self.rows,
            "sizes": self.sizes,
            "widths": self.widths,
            "pads_before": self.pads_before,
            "epochs": np.array(self.epochs),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> BatchPlan:
        return cls(
            arrays["rows"],
            arrays["sizes"],
            arrays["widths"],
            arrays["pads_before"],
            int(arrays["epochs"]),
        )


def plan_batches(
    strategy: PaddingStrategy,
    split: VectorizedSplit,
    batch_size: int,
    *,
    training_lengths: np.ndarray,
    shuffle_seed: int | None = None,
    epochs: int = 1,
) -> BatchPlan:
    """The plan of ``strategy``'s batches of ``split``, read from its own pipeline with each
    row's index in place of its label: with ``shuffle_seed``, the batches of ``epochs``
    epochs of a cell's training, as Keras's ``fit`` on TensorFlow takes them from the
    pipeline (:func:`_fitted_epochs`); without, one pass in its fixed order, as a cell's
    scoring takes it. Raises ``ValueError`` when a batch is not its rows padded with 0 (or
    cut) on one side, or the epochs differ in their number of batches: no plan could
    repeat them."""
    indexed = VectorizedSplit(split.token_ids, split.lengths, np.arange(len(split), dtype="int32"))

    def pipeline() -> Any:
        return strategy.batches(
            indexed, batch_size, training_lengths=training_lengths, shuffle_seed=shuffle_seed
        )

    if shuffle_seed is None:
        passes = [list(_numpy_batches(pipeline()))]
    else:
        passes = _fitted_epochs(pipeline, shuffle_seed, epochs)
    counts = {len(batches) for batches in passes}
    if len(counts) > 1:
        raise ValueError(
            f"{strategy.name}: its epochs hold {sorted(counts)} batches; a plan needs as many "
            "in every epoch"
        )
    planned = [_planned(strategy.name, split, *batch) for batches in passes for batch in batches]
    return BatchPlan.from_batches(planned, len(passes))


def _fitted_epochs(
    pipeline: Callable[[], Any], seed: int, epochs: int
) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """The batches that ``epochs`` epochs of Keras's ``fit`` on TensorFlow take from the
    pipeline that ``pipeline()`` makes once the cell's ``seed`` is set, as a cell's worker
    makes it: a seeded ``tf.data`` shuffle draws from TensorFlow's global seed too, and
    ``fit`` may start an iterator it never reads (each start reshuffles). A model that only
    records what it is fed is fitted on it."""
    import keras
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            f"batch plans repeat Keras's fit on TensorFlow, and Keras here runs on "
            f"{keras.backend.backend()} (KERAS_BACKEND)"
        )
    fed: list[list[tuple[np.ndarray, np.ndarray]]] = []

    class Recorder(keras.Model):
        def train_step(self, data: Any) -> dict[str, Any]:
            def record(token_ids: Any, rows: Any) -> int:
                fed[-1].append((token_ids.numpy(), rows.numpy()))
                return 0

            return {"fed": tf.py_function(record, list(data), tf.int32)}

    class EpochStarts(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            fed.append([])

    keras.utils.set_random_seed(seed)
    batches = pipeline()
    recorder = Recorder()
    recorder.compile()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Your input ran out of data")
        recorder.fit(batches, epochs=epochs, shuffle=False, verbose=0, callbacks=[EpochStarts()])
    return fed


def _numpy_batches(pipeline: Any) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """One pass over a strategy's pipeline, as NumPy arrays."""
    passes = pipeline.as_numpy_iterator() if hasattr(pipeline, "as_numpy_iterator") else pipeline
    for token_ids, labels in passes:
        yield np.asarray(token_ids), np.asarray(labels)


def _planned(
    name: str, split: VectorizedSplit, token_ids: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, int, bool]:
    """A pipeline's batch as a plan records it: its rows, width and pad side, checked by
    forming it again from the plan."""
    width = int(token_ids.shape[1])
    for before in (False, True):
        if np.array_equal(BatchPlan.token_ids(split, rows, width, pads_before=before), token_ids):
            return rows.astype("int32"), width, before
    raise ValueError(
        f"{name}: a batch is not its rows padded with 0 (or cut) to its width on one side; "
        "no plan can repeat it"
    )


@dataclass(frozen=True)
class PlanRequest:
    """One plan a cell trains or scores on: ``epochs`` passes over ``split``, shuffled with
    ``shuffle_seed`` (the training split, with the cell's seed) or in a fixed order (None)."""

    split: str
    shuffle_seed: int | None
    epochs: int
    key: str  # its name in the data cache: everything that decides its batches


def cell_plans(spec: CellSpec) -> list[PlanRequest]:
    """The plans of ``spec``: its training batches for every epoch it may run, then its
    validation and test batches."""
    padding = {"padding": spec.padding, "plugin": spec.padding_plugin}

    def request(split: str, shuffle_seed: int | None, epochs: int) -> PlanRequest:
        material = {
            "format": PLAN_FORMAT, **padding, "batch_size": spec.training.batch_size,
            "split": split, "shuffle_seed": shuffle_seed, "epochs": epochs,
        }  # fmt: skip
        return PlanRequest(split, shuffle_seed, epochs, digest(material, CACHE_KEY_LENGTH))

    return [
        request("train", spec.seed, spec.training.max_epochs),
        request("validation", None, 1),
        request("test", None, 1),
    ]


@dataclass(frozen=True)
class BatchShapes:
    """The shapes a plan's batches take: each widened to the first of ``widths`` that holds
    it (wider ones keep their width), and with ``batch_size`` rows (None: their own)."""

    batch_size: int | None = None
    widths: tuple[int, ...] = ()

    def shape(self, rows: int, width: int) -> tuple[int, int]:
        wider = [bound for bound in self.widths if bound >= width]
        return (self.batch_size or rows), (min(wider) if wider else width)

    def batch(
        self, split: VectorizedSplit, rows: np.ndarray, width: int, *, pads_before: bool
    ) -> np.ndarray:
        """``split``'s ``rows`` as a batch of this shape: the rows added hold one
        out-of-vocabulary token each (a row of pads alone would be all mask, whose mean is
        undefined); weigh them 0."""
        size, wide = self.shape(len(rows), width)
        token_ids = np.zeros((size, wide), "int32")
        token_ids[: len(rows)] = BatchPlan.token_ids(split, rows, wide, pads_before=pads_before)
        token_ids[len(rows) :, -1 if pads_before else 0] = OOV_TOKEN_ID
        return token_ids


def length_quanta(training_lengths: np.ndarray, batch_size: int) -> tuple[int, ...]:
    """A few batch widths that fit the training rows: the longest row of each length bucket
    of the ``bucket`` strategy (so its batches keep their bucket's width), and the longest
    training row."""
    lengths = np.asarray(training_lengths)
    bounds = [cut - 1 for cut in bucket_boundaries(lengths, batch_size)]
    return tuple(sorted({*bounds, int(lengths.max())}))
