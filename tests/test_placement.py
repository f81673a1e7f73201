"""Where cells run, as logic and on this machine: GPUs handed to local workers, options that
belong to one executor, Ray missing, and a leaderboard whose throughputs mix machine kinds."""

from __future__ import annotations

import sys

import pytest
from helpers.result_rows import result_row

from harness.config import DataConfig, DeviceConfig, ExecutorConfig, RunOptions, TrainingConfig
from harness.data.vectorize import prepare
from harness.errors import HarnessError
from harness.execution.devices import gpus_for_workers, visible_gpus
from harness.execution.executor import open_executor
from harness.execution.local import LocalExecutor, prestarts
from harness.execution.preflight import gpus_visible
from harness.execution.runner import plan_cells, select
from harness.report.leaderboard import Leaderboard, render


def test_each_running_worker_gets_a_gpu_of_its_own():
    assert gpus_for_workers(DeviceConfig(parallel_cells=2), ["0", "1", "2"]) == ["0", "1", "2"]
    assert gpus_for_workers(DeviceConfig(device="gpu", parallel_cells=2), ["3", "5"]) == ["3", "5"]
    assert gpus_for_workers(DeviceConfig(parallel_cells=2), []) == []  # no GPU: CPU cells
    assert gpus_for_workers(DeviceConfig(device="cpu", parallel_cells=2), ["0", "1"]) == []
    assert gpus_for_workers(DeviceConfig(parallel_cells=1), ["0", "1"]) == []  # all, as before


@pytest.mark.parametrize(
    ("device", "gpus", "message"),
    [
        ("gpu", ["0"], "--jobs 2 on GPUs gives each running cell a GPU of its own, and this "
         "machine has 1: use --jobs 1, or --device cpu"),
        ("auto", ["0"], "and this machine has 1: use --jobs 1"),
        ("gpu", [], "and this machine has 0: use --jobs 1"),
        ("gpu:1", ["0", "1"], "--device gpu:1 puts every cell on GPU 1, so --jobs 2 cells would "
         "share it"),
    ],
)  # fmt: skip
def test_cells_side_by_side_never_share_a_gpu(device, gpus, message):
    with pytest.raises(HarnessError, match=message):
        gpus_for_workers(DeviceConfig(device=device, parallel_cells=2), gpus)


def test_local_workers_are_given_their_gpus_and_record_them(news_dir, tmp_path, registry):
    """Two GPUs named 3 and 5 (this machine has none, so TensorFlow in each worker finds no
    GPU and trains on the CPU), two cells at once: each worker is given its own."""
    options = RunOptions(
        architectures=("bag-of-embeddings",),
        paddings=("bucket",),
        seeds=2,
        data=DataConfig(source=str(news_dir)),
        training=TrainingConfig(max_epochs=1, batch_size=16),
        device=DeviceConfig(parallel_cells=2),
    )
    data = prepare(options.data, registry, tmp_path / "cache")
    with LocalExecutor(options.device, None, in_process=False, gpus=["3", "5"]) as executor:
        cells = plan_cells(
            options, select(options, registry), registry, data, executor.machine(), options.device
        )
        outcomes = [outcome for _, outcome in executor.outcomes(cells, data, lambda *_: None)]
    assert {outcome.status for outcome in outcomes} == {"done"}
    assert sorted(outcome.device["cuda_visible_devices"] for outcome in outcomes) == ["3", "5"]
    assert {outcome.executor["executor"] for outcome in outcomes} == {"local"}


def test_spares_are_started_where_the_cells_leave_the_cpu_room():
    assert prestarts(DeviceConfig(parallel_cells=1), cores=2, gpus=[])  # one cell at a time
    assert not prestarts(DeviceConfig(parallel_cells=2), cores=2, gpus=[])  # every core busy
    assert not prestarts(DeviceConfig(parallel_cells=2), cores=16, gpus=[])  # 8 threads each
    assert prestarts(DeviceConfig(parallel_cells=2, threads=2), cores=16, gpus=[])
    assert prestarts(DeviceConfig(parallel_cells=2), cores=2, gpus=["0", "1"])  # on GPUs


def test_a_machine_without_gpus_hands_out_none(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")  # set, as in many containers; no GPU here
    if gpus_visible():
        pytest.skip("this machine has a GPU")
    assert visible_gpus() == []
    assert gpus_for_workers(DeviceConfig(parallel_cells=2), visible_gpus()) == []


def test_ray_options_belong_to_the_ray_executor():
    with pytest.raises(HarnessError, match="--ray-address, --cpus-per-cell: only with --executor"):
        ExecutorConfig(ray_address="10.0.0.1:6379", cpus_per_cell=2)
    with pytest.raises(HarnessError, match="--in-process is for --executor local"):
        open_executor(ExecutorConfig(executor="ray"), DeviceConfig(), None, in_process=True)


def test_without_ray_the_ray_executor_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the ray extra were not installed
    with pytest.raises(HarnessError) as refused:
        open_executor(ExecutorConfig(executor="ray"), DeviceConfig(), None, in_process=False)
    assert str(refused.value) == (
        "--executor ray needs Ray, which is not installed: pip install 'rnn-harness[ray]'"
    )


def test_the_leaderboard_says_when_throughputs_mix_machine_kinds():
    rows = [result_row("gru", "mask", seed, 0.8) for seed in (0, 1)]
    rows += [result_row("lstm", "mask", seed, 0.7) for seed in (0, 1)]
    rows[1]["host"] = {**rows[1]["host"], "cpu": "Another CPU"}
    text = render(Leaderboard.from_rows(rows), None)
    assert "**Throughputs mix 2 machine kinds** (M1: A CPU, 2 cores; M2: Another CPU, 2 cores)" in (
        text
    )
    assert "gru / mask M1+M2, lstm / mask M1." in text

    alone = render(Leaderboard.from_rows([r for r in rows if r["architecture"] == "lstm"]), None)
    assert "machine kinds" not in alone
