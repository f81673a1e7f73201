"""The results log survives crashes: appends, cut lines, concurrent writers, older and newer
schemas (no training: rows are made up)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import pytest
from helpers.result_rows import result_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.report.leaderboard import Leaderboard, render
from harness.results.log import ResultsWarning, append_row, finished_configs, read_rows
from harness.results.schema import SCHEMA_VERSION, Measurements, ResultRow


def read_quietly(path: Path) -> list[ResultRow]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultsWarning)
        return read_rows(path)


def test_the_made_up_row_is_complete():
    row = result_row()
    assert set(ResultRow.__annotations__) <= set(row)
    assert set(Measurements.__annotations__) <= set(row["measurements"])


def test_a_row_appended_after_a_cut_line_starts_a_line_of_its_own(tmp_path):
    path = tmp_path / "results.jsonl"
    append_row(path, result_row(config_hash="a"))
    cut_line = json.dumps(result_row(config_hash="b")).encode()[:100]  # a crash while writing row b
    path.write_bytes(path.read_bytes() + cut_line)
    before = path.read_bytes()
    append_row(path, result_row(config_hash="c"))
    assert path.read_bytes().startswith(before)  # nothing on disk is rewritten
    with pytest.warns(ResultsWarning, match="line 2: not a complete result row"):
        rows = read_rows(path)
    assert [row["config_hash"] for row in rows] == ["a", "c"]


def test_a_cut_last_line_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "results.jsonl"
    append_row(path, result_row(config_hash="a"))
    path.write_bytes(path.read_bytes() + b'{"config_hash": "b", "sta')
    with pytest.warns(ResultsWarning, match=r"line 2: cut off .*its cell will run again"):
        rows = read_rows(path)
    assert [row["config_hash"] for row in rows] == ["a"]


def test_a_complete_last_row_without_its_newline_counts(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(result_row(config_hash="a")))  # cut just before its newline
    assert [row["config_hash"] for row in read_rows(path)] == ["a"]
    append_row(path, result_row(config_hash="b"))
    assert [row["config_hash"] for row in read_rows(path)] == ["a", "b"]


def _paths(row: dict) -> list[tuple[str, ...]]:
    """Every field of ``row`` and of its nested records, as key paths."""
    paths = []
    for key, value in row.items():
        paths.append((key,))
        if isinstance(value, dict) and key != "params":
            paths += [(key, inner) for inner in value]
    paths.append(("data", "rows", "test"))
    return paths


@pytest.mark.parametrize("path", _paths(result_row()), ids="/".join)
def test_a_row_without_any_one_field_still_reads_reports_and_resumes(tmp_path, path):
    """Rows of an earlier schema lack fields: they get defaults, and the report renders."""
    row = result_row()
    parent = row
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps(row) + "\n" + json.dumps(result_row(config_hash="h1")) + "\n")
    rows = read_quietly(results)
    assert len(rows) == 2
    assert finished_configs(rows) >= {"h1"}
    markdown = render(Leaderboard.from_rows(rows), None)
    assert "## Failures" in markdown
    assert "Traceback" not in markdown


def test_an_older_row_is_named_once_and_filled_with_defaults(tmp_path):
    row = result_row()
    for key in ("comparison", "host", "device", "status", "schema_version"):
        del row[key]
    del row["measurements"]["padded_share"]
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n")
    with pytest.warns(ResultsWarning, match="2 rows of an older schema") as caught:
        first, _ = read_rows(results)
    assert len(caught) == 1
    assert first["status"] == "done"  # it was measured: schema 1 measured done cells only
    assert first["measurements"]["padded_share"] is None
    assert first["host"]["gpus"] == [] and first["device"] == {}


def test_a_row_of_a_newer_schema_is_refused(tmp_path):
    results = tmp_path / "results.jsonl"
    newer = result_row()
    newer["schema_version"] = SCHEMA_VERSION + 1
    results.write_text(json.dumps(result_row()) + "\n" + json.dumps(newer) + "\n")
    with pytest.raises(HarnessError, match=rf"line 2: .*schema version {SCHEMA_VERSION + 1}"):
        read_rows(results)


def test_a_row_whose_schema_version_is_not_a_number_is_skipped(tmp_path):
    results = tmp_path / "results.jsonl"
    odd = {**result_row(config_hash="odd"), "schema_version": "2"}
    results.write_text(json.dumps(odd) + "\n" + json.dumps(result_row(config_hash="ok")) + "\n")
    with pytest.warns(ResultsWarning, match="line 1: .*schema_version '2' is not a whole number"):
        rows = read_rows(results)
    assert [row["config_hash"] for row in rows] == ["ok"]


rows_text = st.text(max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(rows_text, st.none() | st.floats(0, 1)), max_size=12))
def test_appends_and_cuts_at_any_byte_never_lose_a_complete_row(steps):
    """Each step appends a row; a crash may then cut what that append wrote at any byte.
    Every row whose whole line survived reads back, in order; the others are warned of."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "results.jsonl")
        expected = []
        for number, (reason, cut) in enumerate(steps):
            before = path.stat().st_size if path.exists() else 0
            append_row(path, result_row(config_hash=f"row-{number}", reason=reason))
            written = path.read_bytes()[before:]
            kept = len(written) if cut is None else round(cut * len(written))
            if kept < len(written):
                with path.open("r+b") as file:
                    file.truncate(before + kept)
            if kept >= len(written) - 1:  # all of the row's text, with or without its newline
                expected.append(f"row-{number}")
        assert [row["config_hash"] for row in read_quietly(path)] == expected


@settings(max_examples=20, deadline=None)
@given(
    writers=st.lists(st.lists(rows_text, max_size=6), min_size=2, max_size=4),
    cut_first=st.booleans(),
)
def test_concurrent_writers_never_lose_a_row(writers, cut_first):
    """Threads append at once, after a cut line or not: every row reads back whole."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "results.jsonl")
        if cut_first:
            path.write_bytes(json.dumps(result_row(config_hash="cut")).encode()[:50])

        def write(number: int, reasons: list[str]) -> None:
            for index, reason in enumerate(reasons):
                append_row(path, result_row(config_hash=f"{number}-{index}", reason=reason))

        threads = [
            threading.Thread(target=write, args=(number, copy.copy(reasons)))
            for number, reasons in enumerate(writers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        read = {(row["config_hash"], row["reason"]) for row in read_quietly(path)}
        assert read == {
            (f"{number}-{index}", reason)
            for number, reasons in enumerate(writers)
            for index, reason in enumerate(reasons)
        }


WRITER = """
import sys
from pathlib import Path
from harness.results.log import append_row

path, count, name = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for index in range(count):
    append_row(path, {"config_hash": f"{name}-{index}", "status": "error", "reason": "x" * 5000})
"""


def test_concurrent_processes_never_lose_a_row(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_bytes(json.dumps(result_row(config_hash="cut")).encode()[:50])
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), "25", str(number)])
        for number in range(4)
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0] * 4
    hashes = [row["config_hash"] for row in read_quietly(path)]
    assert sorted(hashes) == sorted(f"{n}-{i}" for n in range(4) for i in range(25))


def test_a_row_without_an_estimate_is_not_of_an_older_schema(tmp_path):
    """``estimate`` came after schema 2's other fields; a row without it loses nothing."""
    path = tmp_path / "results.jsonl"
    row = result_row()
    del row["estimate"]
    append_row(path, row)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultsWarning)
        (read,) = read_rows(path)
    assert read["estimate"] is None


def test_a_row_without_confidences_is_not_of_an_older_schema(tmp_path):
    """``test_confidence`` came after schema 2's other measurements; a row without it reads
    without a warning, and as not recorded."""
    path = tmp_path / "results.jsonl"
    row = result_row()
    del row["measurements"]["test_confidence"]
    append_row(path, row)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultsWarning)
        (read,) = read_rows(path)
    assert read["measurements"]["test_confidence"] is None
