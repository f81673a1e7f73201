"""Every numeric option has a range a user could mean, checked before anything trains, and a
message that quotes the value shortened (never a 5,000-digit value whole)."""

from __future__ import annotations

import dataclasses
import os
import time

import pytest
from click.testing import CliRunner
from test_reliability import TINY, assert_refused_before_training

from harness.api import HyperParameter
from harness.cli import main
from harness.config import DataConfig, DeviceConfig, ExecutorConfig, RunOptions, TrainingConfig
from harness.errors import HarnessError
from harness.execution.cost import CellCost, RunEstimate, long_run_advice

HUGE = "9" * 5000


@pytest.mark.parametrize(
    ("config", "field", "value", "option"),
    [
        (RunOptions, "seeds", 10**20, "--seeds"),
        (RunOptions, "seeds", 1001, "--seeds"),
        (RunOptions, "seeds", 0, "--seeds"),
        (RunOptions, "timeout", 1e300, "--timeout"),
        (DataConfig, "split_seed", -1, "--split-seed"),
        (DataConfig, "split_seed", 2**32, "--split-seed"),
        (DataConfig, "max_length", 10**23, "--max-length"),
        (DataConfig, "max_length", 0, "--max-length"),
        (DataConfig, "max_train", 0, "--max-train"),
        (DataConfig, "vocabulary_size", 10**12, "--vocabulary-size"),
        (TrainingConfig, "max_epochs", 10**20, "--epochs"),
        (TrainingConfig, "patience", 0, "--patience"),
        (TrainingConfig, "batch_size", 10**9, "--batch-size"),
        (TrainingConfig, "learning_rate", 1e6, "--learning-rate"),
        (TrainingConfig, "embedding_dim", 10**9, "--embedding-dim"),
        (TrainingConfig, "word_dropout", 1.0, "--word-dropout"),
        (TrainingConfig, "ema_every", 10**12, "--ema-every"),
        (DeviceConfig, "threads", 10**5, "--threads"),
        (DeviceConfig, "parallel_cells", 10**5, "--jobs"),
        (ExecutorConfig, "cpus_per_cell", 10**5, "--cpus-per-cell"),
    ],
)
def test_each_setting_out_of_its_range_is_one_error_naming_its_option(config, field, value, option):
    extra = {"executor": "ray"} if config is ExecutorConfig else {}
    with pytest.raises(HarnessError, match=f"^{option} ") as refused:
        config(**{field: value}, **extra)
    assert any(word in str(refused.value) for word in ("between", "at most", "a share in"))


def test_the_defaults_are_in_range():
    for config in (RunOptions, DataConfig, TrainingConfig, DeviceConfig):
        config()
    fields = {f.name for f in dataclasses.fields(TrainingConfig)}
    assert {"max_epochs", "batch_size", "learning_rate", "embedding_dim"} <= fields


def test_a_huge_value_is_quoted_shortened():
    with pytest.raises(HarnessError) as refused:
        RunOptions(seeds=int("9" * 4000))
    assert len(str(refused.value)) < 200
    assert "4,000 digits" in str(refused.value)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--seeds", HUGE), "--seeds"),
        (("--epochs", HUGE), "--epochs"),
        (("--learning-rate", HUGE), "--learning-rate"),
        (("--set", f"lstm.units={HUGE}"), "lstm.units"),
        (("--set", f"{HUGE}.units=3"), "--set"),
        (("-a", HUGE), "architecture"),
    ],
    ids=["seeds", "epochs", "learning-rate", "set value", "set architecture", "arch"],
)
def test_a_5000_digit_value_is_never_echoed_whole(args, expected):
    result = CliRunner().invoke(main, ["run", *args, "-a", "lstm", "--out", "/nonexistent/x"])
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert len(result.stderr) < 400, result.stderr
    assert "Traceback" not in result.stderr


def test_hyperparameters_have_a_ceiling():
    units = HyperParameter("units", 8, "units", minimum=1, maximum=4096)
    assert units.parse("4096") == 4096
    with pytest.raises(HarnessError, match=r"units must be <= 4096, got 4611686018427387904"):
        units.parse("4611686018427387904")
    free = HyperParameter("width", 8, "a plugin's, without a declared maximum")
    with pytest.raises(HarnessError, match=r"width must be <= 2147483647 \(what TensorFlow"):
        free.parse(str(2**62))


def test_seeds_of_ten_to_the_twenty_are_refused_at_once(harness_run):
    """It printed nothing and grew by about 50 MB/s until the machine ran out."""
    started = time.monotonic()
    result = harness_run(*TINY, "--seeds", str(10**20), check=False)
    assert_refused_before_training(
        result, harness_run, f"--seeds must be between 1 and 1,000, not {10**20}"
    )
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (("--set", "lstm.units=4611686018427387904"), "lstm.units must be <= 4096"),
        (("--split-seed", "-1"), "--split-seed must be between 0 and 4,294,967,295, not -1"),
        (("--jobs", "1000"), "--jobs 1000: this machine has"),
    ],
    ids=["units", "split-seed", "jobs"],
)
def test_values_no_user_could_mean_are_refused_before_training(harness_run, option, expected):
    result = harness_run("-a", "lstm", "-p", "none", "--seeds", "1", *option, check=False)
    assert_refused_before_training(result, harness_run, expected)
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_embedding_beyond_the_memory_is_refused():
    from harness.execution.preflight import check_embedding_memory

    with pytest.raises(HarnessError, match=r"--embedding-dim 65536: .* 24 GiB .* 2 cells"):
        check_embedding_memory(65_536, vocabulary=20_000, cells_at_a_time=2, memory_gib=24)
    check_embedding_memory(64, vocabulary=20_000, cells_at_a_time=2, memory_gib=24)


def test_the_advice_for_a_long_run_never_suggests_a_useless_max_train():
    estimate = RunEstimate([CellCost(1.8e16, "a priori")], cells_at_a_time=1, rows_used=0)
    advice = long_run_advice(
        estimate, cores=2, gpus=0, device="auto", executor="local", train_rows=7104
    )
    assert advice is not None and "--max-train" not in advice
    hours = RunEstimate([CellCost(3 * 3600, "a priori")], cells_at_a_time=1, rows_used=0)
    advice = long_run_advice(hours, cores=2, gpus=0, device="auto", executor="local",
                             train_rows=7104)  # fmt: skip
    assert "--max-train 2300 takes about an hour" in advice


def test_a_one_cell_run_is_not_said_to_train_beside_others():
    from helpers.result_rows import result_row

    from harness.report.leaderboard import Leaderboard, render

    row = result_row()
    row["device"].update(parallel_cells=2, threads_used=1)
    text = render(Leaderboard.from_rows([row]), None)
    assert "2 cells at a time" not in text
    assert "one cell, threads: 1 (--jobs 2: no other cell trained beside it)" in text


def test_jobs_beyond_the_cores_are_refused_naming_the_most_this_machine_takes():
    from harness.execution.devices import resolve_jobs

    with pytest.raises(HarnessError, match=r"--jobs 1000: this machine has 2 cores .* --jobs 2"):
        resolve_jobs(DeviceConfig(parallel_cells=1000), cores=2, memory_gib=24, gpus=0,
                     in_process=False)  # fmt: skip
    assert resolve_jobs(DeviceConfig(parallel_cells=2), cores=2, memory_gib=24, gpus=0,
                        in_process=False) == 2  # fmt: skip
    assert os.cpu_count()
