"""``harness tune`` end to end: real Optuna studies in SQLite, real tiny training.

The issue's "done when": three trials per study, a leaderboard with the expected-best
curve, re-runs scored on the test split; the same command killed by SIGKILL and started
again ends with exactly three trials per study; a plugin from outside the project declares
a space and is tuned; bad input is one line before any training.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from click.testing import CliRunner
from helpers.word_vectors import news_vectors, write_glove

from harness.cli import main

TUNE = ("-a", "lstm", "-a", "gru", "--trials", "3", "--epochs", "2", "--max-train", "500")


@pytest.fixture
def harness_tune(news_dir: Path, tmp_path: Path):
    """``harness tune`` in a subprocess on the tiny data set, cells in the harness's process
    (fast); ``harness_tune.out`` is the output folder."""
    out, cache = tmp_path / "out", tmp_path / "cache"

    def command(*args: str) -> list[str]:
        return [
            sys.executable, "-m", "harness", "tune", "--data", str(news_dir), "--out", str(out),
            "--cache-dir", str(cache), "--batch-size", "16", "--seeds", "2", "--in-process",
            "--quiet", *args,
        ]  # fmt: skip

    def run(*args: str, check: bool = True, env: dict[str, str] | None = None):
        result = subprocess.run(
            command(*args), capture_output=True, text=True, timeout=600,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    run.command = command
    run.out = out
    return run


def trials_of(out: Path, name: str) -> list[optuna.trial.FrozenTrial]:
    storage = f"sqlite:///{out / 'study.db'}"
    return optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)


def rows_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def finished_trial_rows(out: Path, study: str) -> list[int]:
    return sorted(
        row["tuning"]["trial"]
        for row in rows_of(out)
        if row["tuning"]["study"] == study and row["tuning"]["role"] == "trial"
        and row["status"] in ("done", "pruned", "diverged")
    )  # fmt: skip


@pytest.mark.slow
def test_tune_writes_studies_rows_and_the_tuned_leaderboard_then_resumes(harness_tune):
    first = harness_tune(*TUNE)
    assert "tuning 2 studies, 3 trials each (random sampler" in first.stdout
    for study in ("lstm/bucket", "gru/bucket"):
        trials = trials_of(harness_tune.out, study)
        assert [t.number for t in trials] == [0, 1, 2]
        assert {t.state.name for t in trials} <= {"COMPLETE", "PRUNED", "FAIL"}
        assert "units" in trials[0].params and "learning_rate" in trials[0].params
    rows = rows_of(harness_tune.out)
    trials = [row for row in rows if row["tuning"]["role"] == "trial"]
    assert len(trials) == 6
    assert all(row["measurements"]["test_accuracy"] is None for row in trials)  # never scored
    assert {row["seed"] for row in trials} == {1000, 1001, 1002}
    reruns = [row for row in rows if row["tuning"]["role"] == "rerun"]
    assert len(reruns) == 4 and {row["seed"] for row in reruns} == {0, 1}
    for row in reruns:
        assert 0 <= row["measurements"]["test_accuracy"] <= 1
        assert row["measurements"]["test_predictions"]
        best = max(
            (t for t in trials if t["tuning"]["study"] == row["tuning"]["study"]),
            key=lambda t: (t["tuning"]["value"], -t["tuning"]["trial"]),
        )
        assert row["tuning"]["trial"] == best["tuning"]["trial"]
        assert row["params"]["units"] == best["params"]["units"]
    untuned = [row for row in rows if row["tuning"]["role"] == "untuned"]
    assert {(row["architecture"], row["params"]["units"]) for row in untuned} == {
        ("lstm", 8), ("gru", 16),
    }  # fmt: skip

    board = (harness_tune.out / "leaderboard.md").read_text()
    assert "- **Budget:** 3 trials per architecture x padding strategy (2 studies)" in board
    assert "## Search space" in board and "8..256:log" in board
    assert "## Expected best validation accuracy against the budget" in board
    assert "| 1 trial " in board and "| 3 trials " in board
    assert "Tang et al. (2020)" in board
    assert "- **lstm/bucket**: tuned" in board and "with its defaults (2 and 2 seeds)" in board
    assert (harness_tune.out / "leaderboard.png").stat().st_size > 10_000
    assert "<table" in (harness_tune.out / "leaderboard.html").read_text()  # the re-runs' page

    again = harness_tune(*TUNE)
    assert "0 cells recorded" in again.stdout
    assert len(rows_of(harness_tune.out)) == len(rows)
    report = subprocess.run(
        [sys.executable, "-m", "harness", "report", "--out", str(harness_tune.out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "leaderboard:" in report.stdout
    assert "# rnn-harness tuned leaderboard" in (harness_tune.out / "leaderboard.md").read_text()

    other_data = harness_tune(*TUNE[:-1], "400", check=False)
    assert other_data.returncode == 2
    assert "was made for another tune (data.max_train: 500 then, 400 now)" in other_data.stderr
    other_space = harness_tune(*TUNE, "--space", "units=8..16", check=False)
    assert other_space.returncode == 2
    assert "(space.units: 8..256:log then, 8..16 now)" in other_space.stderr
    assert len(rows_of(harness_tune.out)) == len(rows)  # nothing trained


@pytest.mark.slow
def test_a_tune_killed_by_sigkill_resumes_to_exactly_its_budget(harness_tune):
    args = (*TUNE, "--no-untuned", "--seeds", "1")
    process = subprocess.Popen(
        harness_tune.command(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    results = harness_tune.out / "results.jsonl"
    deadline = time.monotonic() + 300
    while not (results.exists() and results.read_text().count("\n") >= 2):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # mid-trial: the next one was training
    process.wait()
    before = {
        study: finished_trial_rows(harness_tune.out, study)
        for study in ("lstm/bucket", "gru/bucket")
    }
    assert 2 <= sum(len(numbers) for numbers in before.values()) < 6
    assert any(
        t.state.name == "RUNNING" for study in before for t in trials_of(harness_tune.out, study)
    )

    harness_tune(*args)
    for study, finished_before in before.items():
        trials = trials_of(harness_tune.out, study)
        assert [t.number for t in trials] == [0, 1, 2]
        assert {t.state.name for t in trials} <= {"COMPLETE", "PRUNED", "FAIL"}
        assert finished_trial_rows(harness_tune.out, study) == [0, 1, 2]  # none run twice
        assert set(finished_before) <= {0, 1, 2}


OUTSIDE_PLUGIN = """
from harness import Architecture, HyperParameter, SearchChoices, hookimpl

def build(embedded, params):
    import keras
    pooled = keras.layers.GlobalAveragePooling1D()(embedded)
    return keras.layers.Dense(params["width"], activation="relu")(pooled)

@hookimpl
def harness_architectures():
    return [
        Architecture(
            name="pooled-dense",
            summary="Mean of the embeddings, then a dense layer.",
            hyperparameters=(
                HyperParameter("width", 4, "dense units", minimum=1,
                               search=SearchChoices((3, 5))),
            ),
            build_encoder=build,
        )
    ]
"""


@pytest.mark.slow
def test_a_plugin_from_outside_the_project_declares_a_space_and_is_tuned(
    harness_tune, install_distribution
):
    site = install_distribution("rnn-harness-pooled", {"pooled": OUTSIDE_PLUGIN})
    listing = subprocess.run(
        [sys.executable, "-m", "harness", "list"], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": site}, check=True,
    )  # fmt: skip
    assert "width 3,5" in listing.stdout
    harness_tune(
        "-a", "pooled-dense", "--trials", "2", "--epochs", "1", "--seeds", "1",
        "--space", "embedding_dim=8,16", "--max-params", "20000", "--exclude-embedding",
        env={"PYTHONPATH": site},
    )  # fmt: skip
    trials = trials_of(harness_tune.out, "pooled-dense/bucket")
    assert [t.number for t in trials] == [0, 1]
    assert all(t.params["width"] in (3, 5) and t.params["embedding_dim"] in (8, 16) for t in trials)
    rerun = [row for row in rows_of(harness_tune.out) if row["tuning"]["role"] == "rerun"]
    assert rerun[0]["plugin"]["distribution"] == "rnn-harness-pooled"


def invoke(*args: str):
    return CliRunner().invoke(main, ["tune", *args], catch_exceptions=False)


def test_bad_tuning_input_is_one_line_before_any_training(news_dir, tmp_path):
    common = ("--data", str(news_dir), "--out", str(tmp_path / "out"), "--cache-dir",
              str(tmp_path / "cache"), "--epochs", "1")  # fmt: skip
    cases = {
        ("--space", "unitz=8..16"): "did you mean 'units'?",
        ("--space", "units=64..8"): "range 64..8 is reversed",
        ("--space", "units=8..8"): "range 8..8 is empty",
        ("--space", "learning_rate=-1..1:log"): "cannot be log-scaled",
        ("--trials", "0"): "--trials must be at least 1, not 0",
        ("--learning-rate", "0.01", "--space", "learning_rate=0.1"): "give either --learning-rate",
        ("--prune", "halving", "--in-process"): "--prune needs local worker processes",
        (
            "--max-params", "1000", "--space", "embedding_dim=32", "--space", "units=8,16",
        ): "--max-params 1,000: none of 200 configurations sampled for lstm fits",
    }  # fmt: skip
    for args, message in cases.items():
        result = invoke("-a", "lstm", *common, *args)
        assert result.exit_code == 2, (args, result.output)
        (line,) = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert message in line, (args, line)
    assert "narrow embedding_dim, units" not in line and "narrow units" in line  # fixed: not named
    assert not (tmp_path / "out" / "results.jsonl").exists()
    assert not (tmp_path / "out" / "study.db").exists() or not optuna.get_all_study_names(
        f"sqlite:///{tmp_path / 'out' / 'study.db'}"
    )


@pytest.mark.slow
def test_a_tune_with_pretrained_vectors_chooses_frozen_or_fine_tuned(harness_tune, tmp_path):
    vectors = write_glove(tmp_path / "vectors.txt", news_vectors(dimension=8))
    harness_tune(
        "-a", "bag-of-embeddings", "--trials", "4", "--epochs", "1", "--seeds", "1",
        "--no-untuned", "--embeddings", str(vectors),
    )  # fmt: skip
    trials = trials_of(harness_tune.out, "bag-of-embeddings/bucket")
    assert {trial.params["embeddings_trainable"] for trial in trials} <= {False, True}
    assert all("embedding_dim" not in trial.params for trial in trials)
    rows = rows_of(harness_tune.out)
    for row in rows:
        assert row["training"]["embedding_dim"] == 8  # the vectors' width
        assert row["embeddings"]["fingerprint"].startswith("sha256:")
    by_trial = {row["tuning"]["trial"]: row for row in rows if row["tuning"]["role"] == "trial"}
    for trial in trials:
        assert (
            by_trial[trial.number]["embeddings"]["trainable"]
            == trial.params["embeddings_trainable"]
        )
