"""A hostile but realistic user, through the real command line (issue 13).

No finished result is lost, every bad input is refused before any data is loaded or any
cell trains, and the exit code says whether every cell finished. Runs are tiny: one or
two cells of the bag-of-embeddings baseline, one epoch, in the harness's own process.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from helpers.permissions import UNWRITABLE, as_an_ordinary_user, unwritable_directory
from markdown_it import MarkdownIt
from test_run import FAULTY_PLUGINS, rows_of

from harness.results.schema import SCHEMA_VERSION

TINY = ("-a", "bag-of-embeddings", "-p", "none", "--in-process", "--threads", "1")
HEADINGS = [
    "rnn-harness leaderboard",
    "Ranking by mean test accuracy",
    "Architecture x padding strategy",
    "F1 of each class",
    "Architectures",
    "Failures",
]


def assert_refused_before_training(result, harness_run, *expected: str) -> None:
    """Exit 2 with one clear line, no traceback, and nothing loaded, trained or written."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert not harness_run.cache.exists()  # the data was never loaded
    assert not (harness_run.out / "results.jsonl").exists() or "results.jsonl" in expected


@pytest.mark.slow
def test_a_cut_last_line_keeps_every_finished_row(harness_run):
    """Finding 1: a row appended after a crash mid-write starts a line of its own."""
    args = (*TINY, "--seeds", "2")
    harness_run(*args)
    results = harness_run.out / "results.jsonl"
    first, second = results.read_bytes().splitlines(keepends=True)
    cut = first + second[: len(second) // 2]  # as a crash while writing the second row leaves it
    results.write_bytes(cut)

    rerun = harness_run(*args)
    assert "2 cells (1 already finished, 1 to run)" in rerun.stdout
    assert "line 2: cut off" in rerun.stderr  # the warning names the line
    assert results.read_bytes().startswith(cut)  # nothing on disk was rewritten
    board = (harness_run.out / "leaderboard.md").read_text()
    assert "- **Cells:** 2 done, 0 not" in board

    third = harness_run(*args)
    assert "2 cells (2 already finished, 0 to run)" in third.stdout


def _rewrite_rows(results: Path, change) -> None:
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    for row in rows:
        change(row)
    results.write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.mark.slow
def test_rows_of_an_older_schema_report_and_resume(harness_run):
    """Finding 2: rows without keys that an earlier schema lacked still report and resume."""
    harness_run(*TINY, "--seeds", "1")
    results = harness_run.out / "results.jsonl"

    def older(row: dict) -> None:
        for key in ("comparison", "host", "device", "status", "schema_version"):
            del row[key]
        del row["measurements"]["padded_share"]

    _rewrite_rows(results, older)
    report = harness_run.report()
    assert report.returncode == 0, report.stderr
    assert "Traceback" not in report.stderr
    assert "older schema" in report.stderr
    board = (harness_run.out / "leaderboard.md").read_text()
    assert "- **Cells:** 1 done, 0 not" in board
    assert "| bag-of-embeddings | none" in board

    again = harness_run(*TINY, "--seeds", "1")
    assert "1 cells (1 already finished, 0 to run)" in again.stdout
    assert again.stderr.count("older schema") == 1  # read twice (resume, report), said once

    _rewrite_rows(results, lambda row: row.pop("config_hash"))
    rerun = harness_run(*TINY, "--seeds", "1")  # a row without its hash cannot be matched
    assert "1 cells (0 already finished, 1 to run)" in rerun.stdout
    assert len(rows_of(harness_run.out)) == 2


def test_a_row_of_a_newer_schema_is_refused_with_one_line(harness_run):
    """Finding 2: ``schema_version`` is checked; a newer one is refused, not misread."""
    harness_run.out.mkdir()
    newer = {"schema_version": SCHEMA_VERSION + 1, "config_hash": "x", "status": "done"}
    (harness_run.out / "results.jsonl").write_text(json.dumps(newer) + "\n")
    report = harness_run.report()
    assert report.returncode == 2
    assert "Traceback" not in report.stderr
    expected = f"schema version {SCHEMA_VERSION + 1}"
    assert expected in report.stderr and "line 1" in report.stderr
    run = harness_run(*TINY, "--seeds", "1", check=False)
    assert_refused_before_training(run, harness_run, expected, "results.jsonl")


# A row as the first schema wrote it, less every field a reader can do without.
OLDEST_ROW = {
    "config_hash": "c0", "architecture": "gru", "padding": "mask", "seed": 0, "reason": None,
    "measurements": {"test_accuracy": 0.5, "test_macro_f1": 0.5, "train_examples_per_second": 9},
}  # fmt: skip


@pytest.mark.parametrize("kind", UNWRITABLE)
def test_an_unwritable_out_is_refused_before_training(harness_run, tmp_path, kind):
    """Finding 3: ``--out`` is checked before anything trains, not when the first row is due."""
    out = unwritable_directory(tmp_path, kind)
    result = harness_run(*TINY, "--out", str(out), preexec_fn=as_an_ordinary_user(), check=False)
    assert_refused_before_training(result, harness_run, f"--out {out}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("**/results.jsonl"))


def test_report_into_a_read_only_directory_is_one_line(harness_run):
    """``harness report`` names the file it cannot write, without a traceback."""
    harness_run.out.mkdir()
    (harness_run.out / "results.jsonl").write_text(json.dumps(OLDEST_ROW) + "\n")
    harness_run.out.chmod(0o555)
    report = harness_run.report(preexec_fn=as_an_ordinary_user())
    assert report.returncode == 2
    assert "Traceback" not in report.stderr
    assert report.stderr.strip().splitlines()[-1] == (
        f"error: cannot write {harness_run.out / 'leaderboard.png'}: Permission denied"
    )


@pytest.mark.parametrize("device", ["gpu", "gpu:7"])
def test_a_missing_gpu_is_refused_before_any_worker_starts(harness_run, device):
    """Finding 5: ``--device gpu`` on a machine without that GPU starts no worker."""
    if shutil.which("nvidia-smi") or Path("/proc/driver/nvidia/gpus").exists():
        pytest.skip("this machine has an NVIDIA GPU")
    started = time.monotonic()
    result = harness_run("-a", "bag-of-embeddings", "-p", "none", "--device", device, check=False)
    assert_refused_before_training(result, harness_run, f"--device {device}", "no GPU")
    assert time.monotonic() - started < 60  # no worker ran (each imports TensorFlow)


@pytest.mark.slow
def test_exit_code_says_whether_every_cell_finished(harness_run, install_distribution):
    """Finding 5: a diverged cell counts as finished (0); an error makes the run exit 1,
    after writing its row and the leaderboard."""
    site = install_distribution("rnn-harness-faulty", FAULTY_PLUGINS)
    env = {"PYTHONPATH": site}
    diverged = harness_run("-a", "nan-rnn", "-p", "mask", "--seeds", "1", "--in-process", env=env)
    assert "1 cells run, 1 not done" in diverged.stdout
    args = ("-a", "nan-rnn", "-a", "exploding", "-p", "mask", "--seeds", "1", "--in-process")
    failed = harness_run(*args, env=env, check=False)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Traceback" not in failed.stderr
    assert "1 cells run, 1 not done" in failed.stdout
    assert [row["status"] for row in rows_of(harness_run.out)] == ["diverged", "error"]
    board = (harness_run.out / "leaderboard.md").read_text()
    assert "| exploding" in board.split("## Failures")[1]


HOSTILE_NAME = "news`<img src=x onerror=alert(1)>\n# Injected | heading"


def test_a_hostile_data_path_cannot_break_the_leaderboard(harness_run, news_dir, tmp_path):
    """Finding 6: a ``--data`` path with a backtick, HTML and a new line stays text."""
    hostile = tmp_path / HOSTILE_NAME
    shutil.copytree(news_dir, hostile)
    harness_run(*TINY, "--seeds", "1", "--data", str(hostile))
    board = (harness_run.out / "leaderboard.md").read_text()
    tokens = MarkdownIt("commonmark").enable("table").parse(board)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == HEADINGS
    html = MarkdownIt("commonmark").enable("table").render(board)
    assert "<img src=x" not in html  # the only image is the plot
    flat = " ".join(str(hostile).split())
    codes = [c.content for t in tokens if t.type == "inline" for c in t.children or []]
    assert flat in codes  # the data path, whole, in its code span
    assert any(flat in code and code.startswith("harness run") for code in codes)  # the command
    page = (harness_run.out / "leaderboard.html").read_text()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize(
    "option",
    [
        ("--learning-rate", "nan"),
        ("--learning-rate", "inf"),
        ("--timeout", "nan"),
        ("--timeout", "inf"),
        ("--ema-momentum", "nan"),
        ("--word-dropout", "nan"),
        ("--embedding-dropout", "nan"),
        ("--validation-size", "nan"),
        ("--validation-size", "1.5"),
    ],
)
def test_non_finite_options_are_refused_before_training(harness_run, option):
    """Finding 8: NaN and infinity are not numbers a run can use."""
    result = harness_run(*TINY, "--seeds", "1", *option, check=False)
    assert_refused_before_training(result, harness_run, option[0], option[1])


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("lstm.units=abc", "lstm.units expects int, got 'abc'"),
        ("lstm.units=0", "lstm.units must be >= 1"),
        ("lstm.nosuch=3", "unknown hyperparameter of 'lstm' 'nosuch'"),
        ("nosuch.units=3", "unknown architecture in --set 'nosuch'"),
    ],
)
@pytest.mark.parametrize("selected", [True, False], ids=["lstm in the run", "lstm not in the run"])
def test_overrides_are_checked_for_every_named_architecture(
    harness_run, override, expected, selected
):
    """Finding 9: an override is checked against the registry whether or not its
    architecture is in the run."""
    architectures = ("-a", "lstm") if selected else ("-a", "bag-of-embeddings")
    result = harness_run(*architectures, "-p", "none", "--set", override, check=False)
    assert_refused_before_training(result, harness_run, expected)


def test_help_and_readme_state_the_exit_codes():
    from click.testing import CliRunner

    from harness.cli import main

    help_text = CliRunner().invoke(main, ["run", "--help"]).output
    for code in ("0  every cell finished", "1  a cell ended in error", "2  a usage or data error"):
        assert code in help_text
    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text().split())
    assert "exits 0 when every cell finished (done or diverged), 1 when a cell ended" in readme
