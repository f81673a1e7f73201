"""The results file: one self-describing JSON line per finished cell, appended as it finishes.

The schema is :class:`ResultRow`; ``docs/results.md`` describes each field. A
cell whose latest row is ``done`` or ``diverged`` (a seeded divergence repeats)
counts as finished and is skipped when the same command runs again; ``error``,
``timeout`` and ``crash`` rows are re-run. Rows are only ever appended: a re-run adds a
new row, and readers take the latest row per configuration hash.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any, Literal, TypedDict

from filelock import FileLock

from harness.errors import HarnessError
from harness.predictions import StoredPredictions

SCHEMA_VERSION = 2  # 2: measurements carry test_predictions (and rows their placement)
Status = Literal["done", "diverged", "timeout", "error", "crash"]
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
    test_predictions: StoredPredictions | None  # schema 2 (harness.predictions); None before


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
    placement: dict[str, Any]
    git_commit: str | None
    command: str
    run_started_at: str
    finished_at: str


class ResultsWarning(UserWarning):
    """A line of the results file that cannot count: cut off by a crash, or damaged."""


# What a row of an earlier schema lacks reads as these: a field added to the schema
# gets one line here, and readers of old rows then never meet a missing key.
ROW_DEFAULTS: dict[str, Any] = {
    "schema_version": 0,  # rows that did not say
    "comparison": "unknown (older schema)",
    "reason": None,
    "architecture": "unknown",
    "padding": "unknown",
    "seed": -1,
    "params": {},
    "plugin": {"name": "unknown", "distribution": "unknown", "version": "unknown"},
    "summary": "",
    "training": {},
    "data": {"source": "unknown", "rows": {}},
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
}
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
}


def append_row(path: Path, row: ResultRow) -> None:
    """Append ``row`` as one line, under a lock so that concurrent runs do not interleave.

    Nothing on disk is rewritten: when the file ends inside a line (a writer killed
    mid-write), the row starts a new line after it. The row is on disk when this returns.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(row, sort_keys=True, default=str).encode() + b"\n"
    with FileLock(f"{path}.lock"), path.open("a+b") as results:
        if results.seek(0, os.SEEK_END) > 0:
            results.seek(-1, os.SEEK_END)
            if results.read(1) != b"\n":
                line = b"\n" + line
        results.write(line)
        results.flush()
        os.fsync(results.fileno())


def read_rows(path: Path) -> list[ResultRow]:
    """Every complete row of ``path``, oldest first, as of the current schema.

    A line that is not a complete row (the last one cut off by a crash, or a damaged
    one) is skipped with a :class:`ResultsWarning`: its cell runs again. Rows of an
    earlier schema get :data:`ROW_DEFAULTS` for what they lack; a row of a newer schema
    raises :class:`HarnessError`, since this code cannot know what its fields mean.
    """
    if not path.exists():
        return []
    rows: list[ResultRow] = []
    older = 0
    lines = path.read_bytes().split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError(f"a JSON {type(raw).__name__}, not an object")
            version = raw.get("schema_version", ROW_DEFAULTS["schema_version"])
            if type(version) is not int:
                raise ValueError(f"schema_version {version!r} is not a whole number")
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            what = (
                "cut off (a run stopped while writing it)"
                if number == len(lines)
                else f"not a complete result row ({error})"
            )
            warnings.warn(
                f"{path}, line {number}: {what}; skipped, its cell will run again",
                ResultsWarning,
                stacklevel=2,
            )
            continue
        if version > SCHEMA_VERSION:
            raise HarnessError(
                f"{path}, line {number}: a row of schema version {version}, newer than this "
                f"harness reads ({SCHEMA_VERSION}); upgrade rnn-harness to use this file"
            )
        older += version < SCHEMA_VERSION or not _complete(raw)
        rows.append(_with_defaults(raw, line))
    if older:
        warnings.warn(
            f"{path}: {older} row{'s' if older > 1 else ''} of an older schema, read with "
            "defaults for the fields they lack (see docs/results.md)",
            ResultsWarning,
            stacklevel=2,
        )
    return rows


def _complete(raw: dict[str, Any]) -> bool:
    measurements = raw.get("measurements")
    return set(ResultRow.__annotations__) <= set(raw) and (
        not isinstance(measurements, dict) or set(Measurements.__annotations__) <= set(measurements)
    )


def _with_defaults(raw: dict[str, Any], line: bytes) -> ResultRow:
    """``raw`` with what an earlier schema lacked: defaults, and a status and hash derived."""
    row = copy.deepcopy(ROW_DEFAULTS)
    for key, value in raw.items():
        default = row.get(key)
        row[key] = (
            {**default, **value} if isinstance(default, dict) and isinstance(value, dict) else value
        )
    if isinstance(row["measurements"], dict):
        row["measurements"] = {**MEASUREMENT_DEFAULTS, **row["measurements"]}
    if "status" not in raw:  # schema 1 measured done cells and no others
        row["status"] = "done" if row["measurements"] else "error"
    if row["status"] == "done" and not row["measurements"]:
        row["status"] = "error"
        row["reason"] = "the row says done but holds no measurements (older schema)"
    if "config_hash" not in raw:  # matches no cell of a run: its cell runs again
        row["config_hash"] = "unknown:" + hashlib.sha256(line).hexdigest()[:16]
    return row  # type: ignore[return-value]


def latest_by_config(rows: list[ResultRow]) -> dict[str, ResultRow]:
    """The newest row of each configuration hash."""
    latest: dict[str, ResultRow] = {}
    for row in rows:
        latest[row["config_hash"]] = row
    return latest


def finished_configs(rows: list[ResultRow]) -> set[str]:
    return {key for key, row in latest_by_config(rows).items() if row["status"] in FINISHED}
