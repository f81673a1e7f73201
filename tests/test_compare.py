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


def flat(output: str) -> str:
    """``output`` with every run of white space one space, as tables read cell by cell."""
    return " ".join(output.split())


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


def with_status(rows: list[dict], status: str, *cells: str) -> list[dict]:
    """``rows`` with every row of the architectures ``cells`` ended as ``status``."""
    for result in rows:
        if result["architecture"] in cells:
            result.update(status=status, reason=f"simulated {status}", measurements=None)
    return rows


@pytest.mark.parametrize("status", ["timeout", "error", "crash", "diverged"])
def test_a_cell_that_failed_in_the_candidate_is_a_regression(tmp_path, status):
    """A CI guard must not pass a change whose cells did not finish: they used to vanish
    ("Only in A") and the comparison exited 0."""
    rng = np.random.default_rng(2)
    baseline = write_results(tmp_path / "a.jsonl", board(rng, {"gru": 0.85, "lstm": 0.84}))
    candidate_rows = with_status(board(rng, {"gru": 0.85, "lstm": 0.84}), status, "gru")
    candidate = write_results(tmp_path / "b.jsonl", candidate_rows)
    result = compare_here(str(baseline), str(candidate))
    assert result.exit_code == 1, result.output
    assert f"| gru | mask | 0, 1, 2 | {status} (simulated {status}) |" in flat(result.stdout)
    assert "1 cell(s) failed or missing in B where A has them done:** gru / mask" in result.stdout
    assert "No cell is worse beyond noise" not in result.stdout


def test_every_candidate_cell_timed_out_exits_1_naming_them(tmp_path):
    rng = np.random.default_rng(3)
    baseline = write_results(tmp_path / "a.jsonl", board(rng, {"gru": 0.85, "lstm": 0.84}))
    rows = with_status(board(rng, {"gru": 0.85, "lstm": 0.84}), "timeout", "gru", "lstm")
    candidate = write_results(tmp_path / "b.jsonl", rows)
    result = harness_compare(str(baseline), str(candidate))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 cell(s) failed or missing in B where A has them done:** gru / mask, lstm / mask" in (
        result.stdout
    )


def test_a_missing_cell_or_seed_is_a_regression_unless_allowed(tmp_path):
    rng = np.random.default_rng(4)
    baseline = write_results(tmp_path / "a.jsonl", board(rng, {"gru": 0.85, "lstm": 0.84}))
    rows = [r for r in board(rng, {"gru": 0.85, "lstm": 0.84}) if r["architecture"] == "gru"]
    candidate = write_results(tmp_path / "b.jsonl", rows[:2])  # lstm not run, gru seed 2 neither
    result = compare_here(str(baseline), str(candidate))
    assert result.exit_code == 1, result.output
    assert "| gru | mask | 2 | missing |" in flat(result.stdout)
    assert "| lstm | mask | 0, 1, 2 | missing |" in flat(result.stdout)
    allowed = compare_here("--allow-missing", str(baseline), str(candidate))
    assert allowed.exit_code == 0, allowed.output
    assert "| lstm | mask | 0, 1, 2 | missing |" in flat(allowed.stdout)  # still listed
    assert "not counted (--allow-missing)" in allowed.stdout


def test_a_file_of_two_data_sets_is_compared_per_data_set(tmp_path):
    """Rows of another data set appended to the candidate used to become its board and be
    compared, cell by cell, with the baseline's data set; each data set is its own board."""
    rng = np.random.default_rng(5)
    base_rows = board(rng, {"gru": 0.85, "lstm": 0.84})
    baseline = write_results(tmp_path / "a.jsonl", base_rows)
    other = board(rng, {"lstm": 0.25}, fingerprint="sha256:other-rows", comparison="c2")
    for result in other:
        result["data"] = {**result["data"], "source": "tiny", "fingerprint": "sha256:tiny"}
    candidate = write_results(tmp_path / "b.jsonl", [*board(rng, {"gru": 0.85, "lstm": 0.84}),
                                                       *other])  # fmt: skip
    result = compare_here(str(baseline), str(candidate))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("## Data set ") == 2
    cells = [flat(line) for line in result.stdout.splitlines() if line.startswith("| lstm")]
    assert len(cells) == 1 and "| within noise |" in cells[0]  # the same data set's lstm
    assert "Only in B: this data set" in result.stdout
    reverse = compare_here(str(candidate), str(baseline))
    assert reverse.exit_code == 1  # the candidate lacks a data set the baseline has done
    assert "| lstm | mask | 0, 1, 2 | missing |" in flat(reverse.stdout)


def test_a_side_states_the_rows_of_older_comparisons_it_leaves_out(tmp_path):
    rng = np.random.default_rng(6)
    old = board(rng, {"gru": 0.80}, comparison="c0")
    new = board(rng, {"gru": 0.85})
    candidate = write_results(tmp_path / "b.jsonl", [*old, *new])
    result = compare_here(str(candidate), str(candidate))
    assert result.exit_code == 0, result.output
    assert "A leaves out 3 rows of 1 older comparison on the same data set" in result.stdout


def test_a_spec_that_git_would_read_as_an_option_writes_nothing(planted, tmp_path):
    """Security: ``git show --output=PATH:x`` would write the file ``PATH:x`` anywhere (run
    here inside the project's own git checkout, where git would do it)."""
    _, candidate = planted
    target = tmp_path / "written-by-git"
    result = subprocess.run(
        [sys.executable, "-m", "harness", "compare", "--", f"--output={target}:x", str(candidate)],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert list(tmp_path.glob("written-by-git*")) == []
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.fixture
def repository(planted, tmp_path, monkeypatch) -> Path:
    """A git repository whose first commit holds the baseline, a README and a PNG."""
    baseline, _ = planted
    repository = tmp_path / "repository"
    repository.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=repository, check=True)
    (repository / "results.jsonl").write_bytes(baseline.read_bytes() + b'{"config_hash": "cu')
    (repository / "README.md").write_text("# A title\n\n" + "Some prose.\n" * 300)
    (repository / "board.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\xff\xfe" * 20)
    subprocess.run([*git, "add", "."], cwd=repository, check=True)
    subprocess.run([*git, "commit", "-qm", "files"], cwd=repository, check=True)
    monkeypatch.chdir(repository)
    return repository


@pytest.mark.parametrize("spec", ["HEAD:README.md", "HEAD:board.png"])
def test_a_revision_that_is_not_a_results_file_is_one_error(repository, planted, spec):
    result = harness_compare(spec, str(planted[1]))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {spec}: not a results file")


def test_warnings_about_a_revision_name_it_not_a_temporary_file(repository, planted):
    result = compare_here("HEAD:results.jsonl", str(planted[0]))
    assert result.exit_code == 0, result.output
    assert "warning: HEAD:results.jsonl, line 7: cut off" in result.stderr
    assert "rnn-harness-compare" not in result.stderr
