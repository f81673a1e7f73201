"""Every row of the results log is checked as data, field by field, against the schema: a
damaged row is skipped with a warning that names its line, and nothing else is lost (no
training: rows are made up)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers.paired_rows import correctness, rows_with_predictions
from helpers.result_rows import result_row
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.report.leaderboard import Leaderboard, render
from harness.results.log import ResultsWarning, append_row, read_rows
from harness.results.schema import SCHEMA_VERSION
from harness.results.validation import row_problem

ROOT = Path(__file__).resolve().parent.parent


def _set(row: dict, path: str, value) -> dict:
    *parents, last = path.split(".")
    target = row
    for key in parents:
        target = target[key]
    target[last] = value
    return row


def _with_predictions(**changes) -> dict:
    correct = correctness(np.random.default_rng(0), 0.8, rows=50, seeds=1)
    (row,) = rows_with_predictions("lstm", "mask", correct)
    for path, value in changes.items():
        _set(row, path, value)
    return row


DAMAGE = {  # field: a value of the wrong kind, as a hand edit or another tool could leave it
    "config_hash": ["a", "list"],
    "seed": "1",
    "measurements": "fast",
    "data": None,
    "status": "finished",
    "architecture": 3,
    "run_started_at": "yesterday",
    "finished_at": "2026-01-01T00:00:00",  # no time zone: not comparable with the others
    "cell_wall_seconds": "10",
    "data.rows": [100, 10, 1000],
    "host.gpus": "none",
    "measurements.test_accuracy": "0.9",
    "measurements.history": {"loss": 1},
    "estimate": {"run_seconds": "long"},
    "seed ": None,  # an unknown field is not damage: a row may carry more than we read
}


@pytest.mark.parametrize("field", [name for name in DAMAGE if name.strip() == name])
def test_a_row_with_a_field_of_the_wrong_type_is_skipped_naming_its_line(tmp_path, field):
    results = tmp_path / "results.jsonl"
    damaged = _set(result_row(seed=1, config_hash="bad"), field, DAMAGE[field])
    rows = (result_row(config_hash="before"), damaged, result_row(config_hash="after"))
    results.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.warns(ResultsWarning, match=rf"line 2: .*{field.split('.')[0]}") as caught:
        rows = read_rows(results)
    assert [row["config_hash"] for row in rows] == ["before", "after"]
    assert len(caught) == 1
    assert "Traceback" not in render(Leaderboard.from_rows(rows), None)


def test_an_unknown_field_is_no_damage():
    assert row_problem({**result_row(), "comment": "added by hand"}) is None


@pytest.mark.parametrize(
    "change",
    [
        {"measurements.test_predictions.predicted": "not base64!"},
        {"measurements.test_predictions.labels": "AAAA"},  # base64, not zlib
        {"measurements.test_predictions.rows": 7},  # not the rows stored
        {"measurements.test_predictions.encoding": "gzip"},
        {"measurements.test_predictions.dtype": "complex128"},
    ],
    ids=lambda change: next(iter(change)).rsplit(".", 1)[-1],
)
def test_predictions_that_do_not_decode_are_damage(change):
    assert row_problem(_with_predictions()) is None
    problem = row_problem(_with_predictions(**change))
    assert problem is not None and "test_predictions" in problem


def test_every_row_the_harness_has_written_is_valid():
    """The committed results (rnn-harness 0.1.0 and 0.2.0, schemas 1 and 2) read whole."""
    for path in [ROOT / "reports" / "results.jsonl", *ROOT.glob("reports/*/results.jsonl")]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResultsWarning)  # older schema, said once
            rows = read_rows(path)
        assert len(rows) == len(path.read_text().splitlines()), path


def test_a_done_row_without_a_test_accuracy_is_not_ranked(tmp_path):
    """It would rank first with accuracy '-': it is read as an error, and its cell runs again."""
    results = tmp_path / "results.jsonl"
    append_row(results, result_row("gru", accuracy=0.8))
    append_row(results, {**result_row("lstm"), "measurements": {}})
    with pytest.warns(ResultsWarning, match="older schema"):  # it lacks every measurement
        rows = read_rows(results)
    assert [row["status"] for row in rows] == ["done", "error"]
    assert "holds no test accuracy" in rows[1]["reason"]
    board = Leaderboard.from_rows(rows)
    assert list(board.cells.architecture) == ["gru"]
    assert list(board.failures.architecture) == ["lstm"]


def test_a_cut_row_that_ran_again_is_not_said_to_run_again(tmp_path):
    results = tmp_path / "results.jsonl"
    append_row(results, result_row(seed=0))
    cut = json.dumps(result_row(seed=1), sort_keys=True).encode()[:300]
    results.write_bytes(results.read_bytes() + cut)
    with pytest.warns(ResultsWarning, match="line 2: cut off .*its cell will run again"):
        read_rows(results)
    append_row(results, result_row(seed=1))  # the run that resumed it
    with pytest.warns(ResultsWarning) as caught:
        read_rows(results)
    (message,) = [str(warning.message) for warning in caught]
    assert "line 2: not a complete result row" in message
    assert "line 3 holds its cell" in message and "will run again" not in message


def test_many_damaged_lines_are_named_in_a_few_warnings(tmp_path):
    results = tmp_path / "results.jsonl"
    append_row(results, result_row())
    results.write_text(results.read_text() + "".join(f'{{"seed": {n}, "x"\n' for n in range(300)))
    with pytest.warns(ResultsWarning) as caught:
        assert len(read_rows(results)) == 1
    assert len(caught) <= 6
    assert "and 295 more damaged lines" in str(caught[-1].message)


@pytest.mark.parametrize("text", ["# rnn-harness\n\nWhich recurrent...\n", "\x89PNG\r\n\x1a\n\0\0"])
def test_a_file_that_is_not_a_results_file_is_one_error(tmp_path, text):
    results = tmp_path / "results.jsonl"
    results.write_bytes(text.encode("latin-1"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(HarnessError, match=f"{results}: not a results file .*line 1"):
            read_rows(results)


@pytest.mark.parametrize("kind", ["directory", "symlink loop", "dangling link"])
def test_a_results_path_that_cannot_be_read_is_one_error_naming_it(tmp_path, kind):
    results = tmp_path / "results.jsonl"
    if kind == "directory":
        results.mkdir()
        expected = "Is a directory"
    elif kind == "symlink loop":
        results.symlink_to(results)
        expected = "symbolic link"
    else:
        results.symlink_to(tmp_path / "gone" / "results.jsonl")
        expected = f"a link to {tmp_path / 'gone' / 'results.jsonl'}, which does not exist"
    with pytest.raises(HarnessError, match=f"{results}: .*{expected}"):
        read_rows(results)


def test_report_on_damaged_rows_is_warnings_not_a_traceback(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    fields = ["config_hash", "seed", "measurements", "data", "run_started_at"]
    rows = [result_row(config_hash="ok")]
    rows += [
        _set(result_row(seed=n, config_hash=f"bad{n}"), field, DAMAGE[field])
        for n, field in enumerate(fields, start=1)
    ]
    (out / "results.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    report = subprocess.run(
        [sys.executable, "-m", "harness", "report", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert "Traceback" not in report.stderr
    named = [re.search(r"results.jsonl, line (\d+): not a valid", line) for line in
             report.stderr.splitlines()]  # fmt: skip
    assert [int(match.group(1)) for match in named if match] == [2, 3, 4, 5, 6]
    assert len(named) == 5


VALID_LOG = b"".join(
    json.dumps(row, sort_keys=True).encode() + b"\n"
    for row in [result_row(seed=0), _with_predictions(), result_row("gru", status="timeout")]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)


@st.composite
def damaged_rows(draw) -> bytes:
    """A row of the log with one field (at any depth) replaced by any JSON value."""
    row = json.loads(draw(st.sampled_from(VALID_LOG.splitlines())))
    target = row
    while True:
        key = draw(st.sampled_from(sorted(target)))
        if not isinstance(target[key], dict) or not target[key] or draw(st.booleans()):
            break
        target = target[key]
    target[key] = draw(JSON_VALUES)
    if key == "schema_version" and isinstance(target[key], int) and target[key] > SCHEMA_VERSION:
        target[key] = SCHEMA_VERSION  # a newer schema's row refuses the file, by design
    return json.dumps(row).encode()


TAILS = st.lists(st.binary(max_size=200) | damaged_rows(), max_size=4).map(b"\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tail=TAILS)
@example(tail=b'{"schema_version": 2, "seed": true}')
@example(tail=b"[1, 2]\n\xff\xfe\n{}")
def test_any_bytes_appended_to_a_valid_log_lose_no_row_before_them_and_never_raise(tail):
    """The property the crash-safety rests on: whatever follows the valid rows (a cut row, a
    damaged one, junk), reading keeps every one of them, in order, and does not raise."""
    directory = Path(os.environ.get("TMPDIR", "/tmp"))
    path = directory / f"rnn-harness-property-{os.getpid()}.jsonl"
    try:
        path.write_bytes(VALID_LOG)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResultsWarning)
            before = read_rows(path)
            path.write_bytes(VALID_LOG + tail)
            after = read_rows(path)
        assert after[: len(before)] == before
        assert len(before) == 3
        render(Leaderboard.from_rows(after), None)  # and what was read reports
    finally:
        path.unlink(missing_ok=True)


def test_a_tuning_trials_done_row_without_a_test_score_stays_done(tmp_path):
    """A trial is never scored on the test split: its done row holds no test accuracy and is
    done all the same (other done rows without one read as errors)."""
    trial = result_row(config_hash="trial")
    trial["measurements"]["test_accuracy"] = None
    trial["tuning"] = {
        "role": "trial",
        "study": "lstm/bucket",
        "study_id": "s1",
        "trial": 0,
        "value": 0.9,
    }
    plain = result_row(config_hash="plain")
    plain["measurements"]["test_accuracy"] = None
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(trial) + "\n" + json.dumps(plain) + "\n")
    read = {row["config_hash"]: row for row in read_rows(path)}
    assert read["trial"]["status"] == "done"
    assert read["plain"]["status"] == "error"


@pytest.mark.parametrize(
    ("field", "damage"), [("embeddings", {"": None}), ("tuning", {"study": 1})]
)
def test_a_row_whose_vectors_or_tuning_record_is_damaged_is_skipped_naming_them(
    tmp_path, field, damage
):
    path = tmp_path / "results.jsonl"
    damaged = {**result_row(config_hash="bad"), field: damage}
    path.write_text(json.dumps(result_row(config_hash="ok")) + "\n" + json.dumps(damaged) + "\n")
    with pytest.warns(ResultsWarning, match=rf"line 2: .*{field}"):
        rows = read_rows(path)
    assert [row["config_hash"] for row in rows] == ["ok"]
