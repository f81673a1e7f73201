"""``harness compare`` on results files built here: pairing, verdicts, exit status, sources."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers.paired_rows import correctness, rows_with_predictions

from harness.cli import main
from harness.report.compare import WITHIN_NOISE, WORSE, compare, load_side
from harness.results.log import append_row

ROWS = 2_000


def write_results(path: Path, rows: list[dict]) -> Path:
    for result in rows:
        append_row(path, result)
    return path


def board(rng, accuracies: dict[str, float], **extra) -> list[dict]:
    rows = []
    for architecture, accuracy in accuracies.items():
        rows += rows_with_predictions(
            architecture, "mask", correctness(rng, accuracy, ROWS), **extra
        )
    return rows


def harness_compare(*args: str) -> subprocess.CompletedProcess:
    """The real command line, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "harness", "compare", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def compare_here(*args: str):
    """``harness compare`` in this process (faster): exit_code, stdout, stderr."""
    return CliRunner().invoke(main, ["compare", *args])


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path]:
    """A baseline, and a candidate whose gru is 5 points worse, trained for fewer epochs."""
    rng = np.random.default_rng(0)
    baseline = write_results(tmp_path / "a.jsonl", board(rng, {"gru": 0.85, "lstm": 0.84}))
    candidate_rows = board(rng, {"gru": 0.80, "lstm": 0.84})
    for result in candidate_rows:
        result["training"]["max_epochs"] = 1
    candidate = write_results(tmp_path / "b" / "results.jsonl", candidate_rows)
    return baseline, candidate


def test_a_planted_regression_is_flagged_and_exits_1(planted):
    baseline, candidate = planted
    result = harness_compare(str(baseline), str(candidate.parent))  # a file and an --out folder
    assert result.returncode == 1, result.stderr
    lines = {
        line.split("|")[1].strip(): line for line in result.stdout.splitlines() if "| mask" in line
    }
    assert lines["gru"].rstrip(" |").endswith("| worse")
    assert "| paired" in lines["gru"]
    assert lines["lstm"].rstrip(" |").endswith("| within noise")
    assert "| training.max\\_epochs | 30  | 1   |" in result.stdout
    assert "1 cell(s) worse beyond noise:** gru / mask" in result.stdout


def test_the_same_results_compared_with_themselves_exit_0(planted):
    baseline, _ = planted
    result = compare_here(str(baseline), str(baseline))
    assert result.exit_code == 0, result.output
    assert "No cell is worse beyond noise." in result.stdout
    assert "## Settings that differ\n\nNone." in result.stdout


def test_cells_pair_only_on_the_same_test_rows(tmp_path):
    rng = np.random.default_rng(1)
    baseline = write_results(tmp_path / "a.jsonl", board(rng, {"gru": 0.85}))
    other_rows = board(rng, {"gru": 0.70}, comparison="c2")
    for result in other_rows:
        result["measurements"]["test_predictions"]["test_fingerprint"] = "sha256:other"
    candidate = write_results(tmp_path / "b.jsonl", other_rows)
    (cell,) = compare(load_side(str(baseline)), load_side(str(candidate))).cells
    assert cell.how == "unpaired: scored on different test rows"
    assert cell.candidate_beats_baseline is None  # only the seeds' Welch test
    assert cell.verdict == WORSE


def test_a_results_file_at_a_git_revision(planted, tmp_path, monkeypatch):
    baseline, candidate = planted
    repository = tmp_path / "repository"
    repository.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=repository, check=True)
    (repository / "results.jsonl").write_bytes(baseline.read_bytes())
    subprocess.run([*git, "add", "results.jsonl"], cwd=repository, check=True)
    subprocess.run([*git, "commit", "-qm", "baseline"], cwd=repository, check=True)
    (repository / "results.jsonl").write_bytes(candidate.read_bytes())
    monkeypatch.chdir(repository)
    result = compare_here("HEAD:results.jsonl", "results.jsonl")
    assert result.exit_code == 1, result.output
    assert "`HEAD:results.jsonl`" in result.stdout


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("missing.jsonl", "missing.jsonl: no such results file or directory"),
        ("HEAD~99:nothing.jsonl", "HEAD~99:nothing.jsonl: not a results file"),
    ],
)
def test_bad_sources_are_one_line_errors(planted, argument, message, monkeypatch):
    baseline, _ = planted
    monkeypatch.chdir(baseline.parent)
    result = compare_here(str(baseline), argument)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.splitlines()) == 1


def test_verdicts_without_predictions_fall_back_to_the_seeds(planted):
    baseline, _ = planted
    side = load_side(str(baseline))
    for result in side.rows:
        del result["measurements"]["test_predictions"]
    cells = compare(side, side).cells
    assert {cell.how for cell in cells} == {"unpaired: no test predictions (rows before schema 2)"}
    assert {cell.verdict for cell in cells} == {WITHIN_NOISE}
