"""The results file: one self-describing JSON line per finished cell, appended as it finishes.

The schema is :class:`ResultRow`; ``docs/results.md`` describes each field. A
cell whose latest row is ``done`` or ``diverged`` (a seeded divergence repeats)
counts as finished and is skipped when the same command runs again; ``error``
and ``timeout`` rows are re-run. Rows are only ever appended: a re-run adds a
new row, and readers take the latest row per configuration hash.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Literal, TypedDict

from filelock import FileLock

SCHEMA_VERSION = 1
Status = Literal["done", "diverged", "timeout", "error"]
FINISHED: frozenset[str] = frozenset({"done", "diverged"})
RESULTS_FILE = "results.jsonl"


class Measurements(TypedDict):
    """What a ``done`` cell measured (see :mod:`harness.training`)."""

    test_accuracy: float
    test_macro_f1: float
    test_loss: float
    best_val_accuracy: float
    best_epoch: int
    epochs_run: int
    seconds_per_epoch: float
    warmup_seconds: float | None
    train_examples_per_second: float
    inference_examples_per_second: float
    trainable_parameters: int
    padded_share: float
    peak_host_memory_mb: float
    peak_gpu_memory_mb: float | None
    history: list[dict[str, float]]


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
    params: dict[str, Any]
    plugin: dict[str, str]
    summary: str
    training: dict[str, Any]
    data: dict[str, Any]
    device: dict[str, Any]
    measurements: Measurements | None
    cell_wall_seconds: float
    versions: dict[str, str | None]
    host: dict[str, Any]
    git_commit: str | None
    command: str
    run_started_at: str
    finished_at: str


def append_row(path: Path, row: ResultRow) -> None:
    """Append ``row`` as one line, under a lock so that concurrent runs do not interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(row, sort_keys=True, default=str) + "\n"
    with FileLock(f"{path}.lock"), path.open("a", encoding="utf-8") as results:
        results.write(line)
        results.flush()


def read_rows(path: Path) -> list[ResultRow]:
    """Every row of ``path``, oldest first; a damaged line (a run killed mid-write) is reported."""
    if not path.exists():
        return []
    rows: list[ResultRow] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            warnings.warn(
                f"{path}, line {number}: not a JSON result row ({error}); "
                "its cell will be run again",
                stacklevel=2,
            )
    return rows


def latest_by_config(rows: list[ResultRow]) -> dict[str, ResultRow]:
    """The newest row of each configuration hash."""
    latest: dict[str, ResultRow] = {}
    for row in rows:
        latest[row["config_hash"]] = row
    return latest


def finished_configs(rows: list[ResultRow]) -> set[str]:
    return {key for key, row in latest_by_config(rows).items() if row["status"] in FINISHED}
