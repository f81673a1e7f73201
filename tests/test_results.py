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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.report.leaderboard import Leaderboard, render
from harness.results.log import ResultsWarning, append_row, finished_configs, read_rows
from harness.results.schema import SCHEMA_VERSION, Measurements, ResultRow


def complete_row(config_hash: str = "h0", reason: str | None = None) -> dict:
    """A ``done`` row with every field of the current schema."""
    measurements = {
        "test_accuracy": 0.9, "test_macro_f1": 0.89, "test_loss": 0.3, "best_val_accuracy": 0.91,
        "best_epoch": 2, "epochs_run": 4, "seconds_per_epoch": 1.5, "warmup_seconds": 0.5,
        "train_examples_per_second": 1000.0, "inference_examples_per_second": 5000.0,
        "trainable_parameters": 1234, "padded_share": 0.1, "peak_host_memory_mb": 700.0,
        "peak_gpu_memory_mb": None, "history": [{"loss": 1.0, "val_accuracy": 0.5}],
        "test_predictions": None,  # none recorded: boards of these rows take the fallback
    }  # fmt: skip
    training = {
        "max_epochs": 30, "patience": 3, "batch_size": 128, "learning_rate": 0.005,
        "embedding_dim": 64, "embedding_dropout": 0.5, "word_dropout": 0.25, "ema_momentum": 0.98,
    }  # fmt: skip
    data = {
        "source": "news", "fields": "title", "normalize": True, "vocabulary_size_used": 100,
        "fingerprint": "sha256:0123456789abcdef0123", "class_names": ["a", "b"],
        "rows": {"train": 100, "validation": 10, "test": 1000},
    }  # fmt: skip
    device = {
        "device": "auto", "deterministic": False, "parallel_cells": 1, "used": "CPU",
        "precision_policy": "float32", "threads_used": None,
    }  # fmt: skip
    return {
        "schema_version": SCHEMA_VERSION,
        "config_hash": config_hash,
        "comparison": "c1",
        "status": "done",
        "reason": reason,
        "architecture": "lstm",
        "padding": "mask",
        "seed": 0,
        "params": {"units": 8},
        "plugin": {"name": "lstm", "distribution": "rnn-harness", "version": "0.1.0"},
        "padding_plugin": {"name": "core", "distribution": "rnn-harness", "version": "0.1.0"},
        "summary": "One LSTM layer.",
        "training": training,
        "data": data,
        "device": device,
        "measurements": measurements,
        "cell_wall_seconds": 10.0,
        "versions": {"python": "3.11", "tensorflow": "2.21.0"},
        "host": {"cpu": "A CPU", "cores": 2, "memory_gb": 24, "gpus": []},
        "placement": {"executor": "local", "jobs": 1},
        "git_commit": "abc",
        "command": "harness run -a lstm",
        "run_started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:01:00+00:00",
        "estimate": {"cell_seconds": 12.0, "run_seconds": 60.0},
    }


def read_quietly(path: Path) -> list[ResultRow]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultsWarning)
        return read_rows(path)


def test_the_made_up_row_is_complete():
    row = complete_row()
    assert set(ResultRow.__annotations__) <= set(row)
    assert set(Measurements.__annotations__) <= set(row["measurements"])


def test_a_row_appended_after_a_cut_line_starts_a_line_of_its_own(tmp_path):
    path = tmp_path / "results.jsonl"
    append_row(path, complete_row("a"))
    cut_line = json.dumps(complete_row("b")).encode()[:100]  # a crash while writing row b
    path.write_bytes(path.read_bytes() + cut_line)
    before = path.read_bytes()
    append_row(path, complete_row("c"))
    assert path.read_bytes().startswith(before)  # nothing on disk is rewritten
    with pytest.warns(ResultsWarning, match="line 2: not a complete result row"):
        rows = read_rows(path)
    assert [row["config_hash"] for row in rows] == ["a", "c"]


def test_a_cut_last_line_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "results.jsonl"
    append_row(path, complete_row("a"))
    path.write_bytes(path.read_bytes() + b'{"config_hash": "b", "sta')
    with pytest.warns(ResultsWarning, match=r"line 2: cut off .*its cell will run again"):
        rows = read_rows(path)
    assert [row["config_hash"] for row in rows] == ["a"]


def test_a_complete_last_row_without_its_newline_counts(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(complete_row("a")))  # cut just before its newline
    assert [row["config_hash"] for row in read_rows(path)] == ["a"]
    append_row(path, complete_row("b"))
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


@pytest.mark.parametrize("path", _paths(complete_row()), ids="/".join)
def test_a_row_without_any_one_field_still_reads_reports_and_resumes(tmp_path, path):
    """Rows of an earlier schema lack fields: they get defaults, and the report renders."""
    row = complete_row()
    parent = row
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps(row) + "\n" + json.dumps(complete_row("h1")) + "\n")
    rows = read_quietly(results)
    assert len(rows) == 2
    assert finished_configs(rows) >= {"h1"}
    markdown = render(Leaderboard.from_rows(rows), None)
    assert "## Failures" in markdown
    assert "Traceback" not in markdown


def test_an_older_row_is_named_once_and_filled_with_defaults(tmp_path):
    row = complete_row()
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
    newer = complete_row()
    newer["schema_version"] = SCHEMA_VERSION + 1
    results.write_text(json.dumps(complete_row()) + "\n" + json.dumps(newer) + "\n")
    with pytest.raises(HarnessError, match=rf"line 2: .*schema version {SCHEMA_VERSION + 1}"):
        read_rows(results)


def test_a_row_whose_schema_version_is_not_a_number_is_skipped(tmp_path):
    results = tmp_path / "results.jsonl"
    odd = {**complete_row("odd"), "schema_version": "2"}
    results.write_text(json.dumps(odd) + "\n" + json.dumps(complete_row("ok")) + "\n")
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
            append_row(path, complete_row(f"row-{number}", reason))
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
            path.write_bytes(json.dumps(complete_row("cut")).encode()[:50])

        def write(number: int, reasons: list[str]) -> None:
            for index, reason in enumerate(reasons):
                append_row(path, complete_row(f"{number}-{index}", reason))

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
    path.write_bytes(json.dumps(complete_row("cut")).encode()[:50])
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
    row = complete_row()
    del row["estimate"]
    append_row(path, row)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResultsWarning)
        (read,) = read_rows(path)
    assert read["estimate"] is None
