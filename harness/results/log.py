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
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

from harness.errors import HarnessError, HarnessWarning, shortened
from harness.results.schema import (
    FINISHED,
    MEASUREMENT_DEFAULTS,
    OPTIONAL_FIELDS,
    OPTIONAL_MEASUREMENTS,
    ROW_DEFAULTS,
    SCHEMA_VERSION,
    Measurements,
    ResultRow,
    Status,
    scored_on_test,
)
from harness.results.validation import row_problem

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


MAX_NAMED_LINES = 5  # damaged lines named one by one; the rest in one line
_CONFIG_HASH = re.compile(rb'"config_hash":\s*"([^"\\]{1,64})"')


def read_rows(path: Path) -> list[ResultRow]:
    """Every valid row of ``path``, oldest first, as of the current schema (see
    :func:`parse_rows`); none when there is no such file. A path that cannot be read (a
    directory, a link that loops or leads nowhere) raises :class:`HarnessError` naming it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if path.is_symlink():
            raise HarnessError(
                f"{path}: a link to {os.readlink(path)}, which does not exist"
            ) from None
        return []
    except OSError as error:
        raise HarnessError(f"{path}: cannot read it ({error.strerror or error})") from None
    return parse_rows(data, str(path))


@dataclass(frozen=True)
class _Damaged:
    """A line that cannot count: its number, what is wrong, and its cell's hash if legible."""

    number: int
    what: str
    config_hash: str | None
    looks_like_a_row: bool


def parse_rows(data: bytes, where: str) -> list[ResultRow]:
    """Every valid row of ``data``, the text of a results file that ``where`` names.

    Each row is checked field by field against the schema
    (:mod:`harness.results.validation`). A line that is not a valid row (the last one cut off
    by a crash, or a damaged one) is skipped with a :class:`ResultsWarning` that names it; a
    few are named one by one, the rest in one line. Rows of an earlier schema get
    :data:`ROW_DEFAULTS` for what they lack. Raises :class:`HarnessError` for a row of a
    newer schema, since this code cannot know what its fields mean, and for text that holds
    no row at all and nothing like one (not a results file).
    """
    rows: list[ResultRow] = []
    lines_of: dict[str, list[int]] = {}  # each cell's valid rows, by line number
    damaged: list[_Damaged] = []
    older = 0
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError(f"a JSON {type(raw).__name__}, not an object")
            version = raw.get("schema_version", ROW_DEFAULTS["schema_version"])
            if type(version) is not int:
                raise ValueError(f"schema_version {shortened(repr(version))} is not a whole number")
        except (ValueError, RecursionError) as error:  # JSON and UTF-8 errors are ValueErrors
            what = (
                "cut off (a run stopped while writing it)"
                if number == len(lines)
                else f"not a complete result row ({shortened(error, 80)})"
            )
            legible = _CONFIG_HASH.search(line)
            cell = legible.group(1).decode("utf-8", "replace") if legible else None
            damaged.append(_Damaged(number, what, cell, line.lstrip().startswith(b"{")))
            continue
        if version > SCHEMA_VERSION:
            raise HarnessError(
                f"{where}, line {number}: a row of schema version {version}, newer than this "
                f"harness reads ({SCHEMA_VERSION}); upgrade rnn-harness to use this file"
            )
        problem = row_problem(raw)
        if problem:
            cell = raw.get("config_hash")
            what = f"not a valid result row ({problem})"
            damaged.append(_Damaged(number, what, cell if isinstance(cell, str) else None, True))
            continue
        older += version < SCHEMA_VERSION or not _complete(raw)
        row = _with_defaults(raw, line)
        lines_of.setdefault(row["config_hash"], []).append(number)
        rows.append(row)
    if damaged and not rows and not any(line.looks_like_a_row for line in damaged):
        raise HarnessError(
            f"{where}: not a results file (line {damaged[0].number}: {damaged[0].what}); a "
            "results file holds one JSON result row a line (docs/results.md)"
        )
    _warn_of_damage(where, damaged, lines_of)
    if older:
        warnings.warn(
            f"{where}: {older} row{'s' if older > 1 else ''} of an older schema, read with "
            "defaults for the fields they lack (see docs/results.md)",
            ResultsWarning,
            stacklevel=2,
        )
    return rows


def _warn_of_damage(where: str, damaged: list[_Damaged], lines_of: dict[str, list[int]]) -> None:
    """One warning for each of the first damaged lines, saying what becomes of its cell; one
    for the rest."""
    for line in damaged[:MAX_NAMED_LINES]:
        later = [n for n in lines_of.get(line.config_hash or "", []) if n > line.number]
        if later:
            fate = f"line {later[-1]} holds its cell"
        elif line.config_hash is not None:
            fate = "its cell will run again"
        else:
            fate = "if it was its cell's only row, the cell will run again"
        warnings.warn(
            f"{where}, line {line.number}: {line.what}; skipped, {fate}",
            ResultsWarning,
            stacklevel=3,
        )
    rest = [line.number for line in damaged[MAX_NAMED_LINES:]]
    if rest:
        shown = ", ".join(map(str, rest[:3])) + (f", …, {rest[-1]}" if len(rest) > 3 else "")
        warnings.warn(
            f"{where}: and {len(rest)} more damaged lines (lines {shown}), skipped likewise",
            ResultsWarning,
            stacklevel=3,
        )


def _complete(raw: dict[str, Any]) -> bool:
    measurements = raw.get("measurements")
    return set(ResultRow.__annotations__) - OPTIONAL_FIELDS <= set(raw) and (
        not isinstance(measurements, dict)
        or set(Measurements.__annotations__) - OPTIONAL_MEASUREMENTS <= set(measurements)
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
    if row["status"] == Status.DONE and row["measurements"] is None:
        row["status"] = Status.ERROR
        row["reason"] = "the row says done but holds no measurements (older schema)"
    elif (
        row["status"] == Status.DONE
        and row["measurements"]["test_accuracy"] is None
        and scored_on_test(row)  # a tuning trial is never scored on the test split
    ):
        row["status"] = Status.ERROR
        row["reason"] = "the row says done but holds no test accuracy"
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
