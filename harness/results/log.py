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
from typing import Any

from filelock import FileLock

from harness.errors import HarnessError, HarnessWarning
from harness.results.schema import (
    FINISHED,
    MEASUREMENT_DEFAULTS,
    OPTIONAL_FIELDS,
    ROW_DEFAULTS,
    SCHEMA_VERSION,
    Measurements,
    ResultRow,
    Status,
)

RESULTS_FILE = "results.jsonl"


class ResultsWarning(HarnessWarning):
    """A line of the results file that cannot count: cut off by a crash, or damaged."""


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
    return set(ResultRow.__annotations__) - OPTIONAL_FIELDS <= set(raw) and (
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
        row["status"] = Status.DONE if row["measurements"] else Status.ERROR
    if row["status"] == Status.DONE and not row["measurements"]:
        row["status"] = Status.ERROR
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
