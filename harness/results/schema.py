"""The schema of a result row, written down once: :class:`ResultRow` and its :class:`Measurements`.

``docs/results.md`` describes each field. A cell whose latest row is ``done``,
``diverged`` (a seeded divergence repeats) or ``pruned`` counts as finished (:data:`FINISHED`);
``error``, ``timeout`` and ``crash`` rows are re-run. What a row of an earlier schema lacks
reads as :data:`ROW_DEFAULTS` and :data:`MEASUREMENT_DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypedDict

from harness.results.predictions import StoredConfidence, StoredPredictions

SCHEMA_VERSION = 2  # 2: measurements carry test_predictions (and rows their placement)


class Status(str, Enum):
    """How a cell ended. A status is its own text, so rows read from JSON compare equal."""

    DONE = "done"  # trained and scored
    DIVERGED = "diverged"  # the training loss became NaN or infinite: a seeded divergence repeats
    TIMEOUT = "timeout"  # killed after the per-cell timeout
    ERROR = "error"  # raised
    CRASH = "crash"  # its worker died (killed, out of memory) or its Ray task was lost
    PRUNED = "pruned"  # a tuning trial stopped by the pruner (harness tune --prune)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)

    def __hash__(self) -> int:
        return hash(self.value)


FINISHED: frozenset[str] = frozenset({Status.DONE, Status.DIVERGED, Status.PRUNED})


class Measurements(TypedDict):
    """What a ``done`` cell measured (see :mod:`harness.training.fit`)."""

    test_accuracy: float | None  # None: a tuning trial (not scored on the test split)
    test_macro_f1: float | None
    test_loss: float | None
    best_val_accuracy: float
    best_epoch: int
    epochs_run: int
    seconds_per_epoch: float
    warmup_seconds: float | None
    train_examples_per_second: float
    inference_examples_per_second: float | None
    trainable_parameters: int
    padded_share: float
    peak_host_memory_mb: float
    peak_gpu_memory_mb: float | None
    history: list[dict[str, float]]
    test_predictions: (
        StoredPredictions | None
    )  # schema 2 (harness.results.predictions); None before
    test_confidence: StoredConfidence | None  # the predicted class's probability; None before


class RowEmbeddings(TypedDict):
    """A row's ``embeddings``: the pretrained vectors its cell's embedding started from
    (docs/embeddings.md); what the reports read of them, checked when a row is read."""

    source: str
    fingerprint: str
    format: str
    dimension: int
    trainable: bool
    vocabulary_coverage: float
    token_coverage: float
    words_found: int
    vocabulary_words: int


class RowTuning(TypedDict):
    """A row's ``tuning``: what ``harness tune`` records of one of its cells (docs/results.md);
    what the tuner and its board read of it, checked when a row is read."""

    study: str
    study_id: str
    role: str
    trial: int | None
    value: float | None


class ResultRow(TypedDict):
    """One cell's outcome; measurement fields are null unless ``status`` is ``done``."""

    schema_version: int
    config_hash: str
    comparison: str
    status: Status
    reason: str | None
    architecture: str
    padding: str
    seed: int
    backend: str  # Keras's backend the cell trained on
    params: dict[str, Any]
    plugin: dict[str, str]
    padding_plugin: dict[str, str]
    summary: str
    training: dict[str, Any]
    data: dict[str, Any]
    embeddings: dict[str, Any] | None  # pretrained vectors (RowEmbeddings), or None
    device: dict[str, Any]
    measurements: Measurements | None
    cell_wall_seconds: float
    versions: dict[str, str | None]
    host: dict[str, Any]
    placement: dict[str, Any]
    git_commit: str | None
    command: str
    run_started_at: str
    finished_at: str
    estimate: dict[str, float] | None  # before the run: this cell's and the run's seconds
    tuning: dict[str, Any] | None  # harness tune's cells (RowTuning), or None


# What a row of an earlier schema lacks reads as these: a field added to the schema
# gets one line here, and readers of old rows then never meet a missing key.
ROW_DEFAULTS: dict[str, Any] = {
    "schema_version": 0,  # rows that did not say
    "comparison": "unknown (older schema)",
    "reason": None,
    "architecture": "unknown",
    "padding": "unknown",
    "seed": -1,
    "backend": "tensorflow",  # rows before --backend trained on TensorFlow
    "params": {},
    "plugin": {"name": "unknown", "distribution": "unknown", "version": "unknown"},
    "padding_plugin": {"name": "unknown", "distribution": "unknown", "version": "unknown"},
    "summary": "",
    "training": {},
    "data": {"source": "unknown", "rows": {}},
    "embeddings": None,  # rows before --embeddings learned theirs from scratch
    "device": {},
    "measurements": None,
    "cell_wall_seconds": 0.0,
    "versions": {},
    "host": {"cpu": "unknown", "cores": "?", "memory_gb": "?", "gpus": []},
    "placement": {"executor": "local"},  # rows before the executors ran their cells locally
    "git_commit": None,
    "command": "unknown",
    "run_started_at": "1970-01-01T00:00:00+00:00",
    "finished_at": "1970-01-01T00:00:00+00:00",
    "estimate": None,  # rows written before runs made an estimate
    "tuning": None,  # rows of harness run, and rows written before harness tune existed
}
# Fields a row may lack and still be of the current schema: a writer before them left them
# out, and nothing is lost (each reads as its default above).
OPTIONAL_FIELDS: frozenset[str] = frozenset({"estimate", "tuning", "embeddings", "backend"})
# Within the free-form records of a row, the parts that readers rely on, each checked as a
# field of the row is (harness/results/validation.py).
NESTED_FIELDS: dict[str, Any] = {
    "embeddings": RowEmbeddings | None,
    "tuning": RowTuning | None,
    "data.rows": dict[str, int],
    "host.gpus": list[dict[str, Any]],
    "placement.cluster": dict[str, float],
}
TIME_FIELDS = ("run_started_at", "finished_at")  # ISO 8601 times with their zone
SHARE_FIELDS = (  # measurements that are shares, in [0, 1] when present
    "test_accuracy", "test_macro_f1", "best_val_accuracy", "padded_share",
)  # fmt: skip
MEASUREMENT_DEFAULTS: dict[str, Any] = {
    "test_accuracy": None,
    "test_macro_f1": None,
    "test_loss": None,
    "best_val_accuracy": None,
    "best_epoch": None,
    "epochs_run": None,
    "seconds_per_epoch": None,
    "warmup_seconds": None,
    "train_examples_per_second": None,
    "inference_examples_per_second": None,
    "trainable_parameters": None,
    "padded_share": None,
    "peak_host_memory_mb": None,
    "peak_gpu_memory_mb": None,
    "history": [],
    "test_predictions": None,  # schema 1: no predictions, the unpaired fallback
    "test_confidence": None,  # rows written before it: calibration not recorded
}
# Measurements a row may lack and still be of the current schema, as OPTIONAL_FIELDS.
OPTIONAL_MEASUREMENTS: frozenset[str] = frozenset({"test_confidence"})


def measurements_of(row: ResultRow) -> Measurements:
    """The measurements of a ``done`` row (the reader makes a done row without any an error)."""
    if row["measurements"] is None:
        raise ValueError(f"the {row['status']} row {row['config_hash']} holds no measurements")
    return row["measurements"]


def test_accuracy_of(row: ResultRow) -> float:
    """The test accuracy of a ``done`` row; a tuning trial's row, never scored on the test
    split, raises ``ValueError``."""
    accuracy = measurements_of(row)["test_accuracy"]
    if accuracy is None:
        raise ValueError(f"the row {row['config_hash']} is a tuning trial: no test score")
    return accuracy


def scored_on_test(row: Mapping[str, Any]) -> bool:
    """Whether ``row`` is of a cell that scores the test split: any but a tuning trial's."""
    return (row.get("tuning") or {}).get("role") != "trial"
