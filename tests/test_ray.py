"""``--executor ray`` against a real Ray cluster started here (2 CPUs on 127.0.0.1), shared by
the tests of this module; no part of Ray is mocked. Faults come from real plugins that wait
or stall, installed on the cluster's workers as a third-party distribution would be."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import write_distribution
from test_run import FAULTY_PLUGINS, rows_of, started_as_from_a_terminal

from harness.config import DataConfig, ExecutorConfig, RunOptions, TrainingConfig
from harness.errors import HarnessError
from harness.execution.runner import run

ray = pytest.importorskip("ray", reason="the ray extra: pip install 'rnn-harness[ray]'")

PLUGINS = {
    "waiting": FAULTY_PLUGINS["waiting"],
    "stalling": """
import os, time
from pathlib import Path
from harness import Architecture, hookimpl

def build(embedded, params):
    import keras
    pids = Path(os.environ["WORKER_PIDS"])
    if not (pids / "release").exists():  # the first attempt stalls until it is killed
        (pids / str(os.getpid())).touch()
        time.sleep(600)
    return keras.layers.GlobalAveragePooling1D()(embedded)

@hookimpl
def harness_architectures():
    return [Architecture(name="stalling", summary="Stalls once.", build_encoder=build)]
""",
}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A Ray cluster of one node with 2 CPUs; its workers can import the fault plugins.

    Yields the plugins' folder (to put on a driver's path) and the folder where a stalled
    worker writes its process id."""
    site = tmp_path_factory.mktemp("site-packages")
    write_distribution(site, "rnn-harness-ray-faults", PLUGINS)
    pids = tmp_path_factory.mktemp("worker-pids")
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", "WORKER_PIDS", "RAY_AUTH_MODE")}
    # a Ray worker inherits the environment of the process that started the cluster
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), saved["PYTHONPATH"]]))
    os.environ["WORKER_PIDS"] = str(pids)
    ray.init(num_cpus=2, _node_ip_address="127.0.0.1", include_dashboard=False,
             log_to_driver=False)  # fmt: skip
    try:
        yield site, pids
    finally:
        ray.shutdown()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def options(cluster, news_dir, tmp_path, monkeypatch) -> RunOptions:
    """A run on the tiny data set, through Ray, its driver this process; plugins loadable."""
    site, pids = cluster
    monkeypatch.syspath_prepend(str(site))
    for stale in pids.iterdir():
        stale.unlink()
    return RunOptions(
        paddings=("bucket",),
        seeds=1,
        data=DataConfig(source=str(news_dir)),
        training=TrainingConfig(max_epochs=1, batch_size=16),
        executor=ExecutorConfig(executor="ray"),
        out_dir=tmp_path / "out",
        cache_dir=tmp_path / "cache",
        quiet=True,
    )


def quiet(_: str) -> None:
    """Where the run's lines go in these tests."""


@pytest.mark.slow
def test_ray_gives_the_accuracies_of_local_and_resumes(options):
    on_ray = replace(options, architectures=("gru", "bag-of-embeddings"))
    ray_rows = run(on_ray, say=quiet)
    local_rows = run(replace(on_ray, executor=ExecutorConfig(), out_dir=options.out_dir / "local"))

    def measured(rows):
        return {
            row["architecture"]: (
                row["measurements"]["test_accuracy"],
                [epoch["loss"] for epoch in row["measurements"]["history"]],
            )
            for row in rows
        }

    assert {row["status"] for row in ray_rows + local_rows} == {"done"}
    assert measured(ray_rows) == measured(local_rows)
    for row in ray_rows:
        assert row["placement"]["executor"] == "ray"
        assert row["placement"]["cluster"] == {"nodes": 1, "cpus": 2, "gpus": 0}
        assert row["placement"]["node_id"] == ray.get_runtime_context().get_node_id()
        assert row["host"]["cores"] >= 1 and row["host"]["hostname"]
        assert row["device"]["threads_used"] == 1  # the one CPU the cell reserved
    assert {row["placement"]["executor"] for row in local_rows} == {"local"}
    # a Ray cell is not a local cell: neither executor takes the other's rows as done
    assert not {r["config_hash"] for r in ray_rows} & {r["config_hash"] for r in local_rows}
    assert run(on_ray, say=quiet) == []  # resumed: every cell finished, none runs again


def kill_when_stalled(pids: Path, killed: list[int]) -> threading.Thread:
    """A thread that SIGKILLs the first worker to stall, as the out-of-memory killer would."""

    def kill() -> None:
        deadline = time.monotonic() + 300
        while not (stalled := [p for p in pids.iterdir() if p.name.isdigit()]):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (pids / "release").touch()
        pid = int(stalled[0].name)
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


@pytest.mark.slow
def test_a_killed_worker_is_a_crash_row_and_runs_again(options, cluster):
    killed: list[int] = []
    crashing = replace(options, architectures=("stalling", "bag-of-embeddings"))
    killer = kill_when_stalled(cluster[1], killed)
    first = {row["architecture"]: row for row in run(crashing, say=quiet)}
    killer.join(timeout=10)
    assert killed
    assert first["stalling"]["status"] == "crash"
    assert "WorkerCrashedError" in first["stalling"]["reason"]
    assert first["bag-of-embeddings"]["status"] == "done"  # the other cell is not disturbed

    again = run(crashing, say=quiet)  # the crash is not finished: it runs again, alone
    assert [(row["architecture"], row["status"]) for row in again] == [("stalling", "done")]
    assert len(rows_of(options.out_dir)) == 3


@pytest.mark.slow
def test_timeout_kills_the_task_and_the_others_finish(options, cluster):
    timed = replace(options, architectures=("waiting", "bag-of-embeddings"), timeout=20)
    rows = {row["architecture"]: row for row in run(timed, say=quiet)}
    assert rows["waiting"]["status"] == "timeout"
    assert "per-cell timeout of 20 s" in rows["waiting"]["reason"]
    assert rows["bag-of-embeddings"]["status"] == "done"
    for pid in (int(path.name) for path in cluster[1].iterdir()):
        assert_gone(pid)


def assert_gone(pid: int, seconds: float = 30) -> None:
    """The process ``pid`` ends within ``seconds`` (a forced cancel is asynchronous)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"device": "gpu"}, "the Ray cluster at this machine has no GPU, and the cells ask for 1"),
        ({"cpus_per_cell": 3}, "no node of the Ray cluster holds one cell of 3 CPUs + 0 GPUs"),
        ({"jobs": 2}, "--jobs is for --executor local"),
    ],
)
def test_a_run_the_cluster_cannot_serve_stops_before_training(options, change, message):
    executor = ExecutorConfig(executor="ray", cpus_per_cell=change.get("cpus_per_cell"))
    device = replace(
        options.device, device=change.get("device", "auto"), parallel_cells=change.get("jobs", 1)
    )
    asking = replace(options, architectures=("gru",), executor=executor, device=device)
    with pytest.raises(HarnessError, match=re.escape(message)):
        run(asking, say=quiet)
    assert not options.cache_dir.exists()  # refused before the data was prepared


@pytest.mark.slow
def test_ctrl_c_cancels_every_running_task(cluster, news_dir, tmp_path):
    site, pids = cluster
    for stale in pids.iterdir():
        stale.unlink()
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "harness", "run", "--data", str(news_dir), "--out", str(out),
        "--cache-dir", str(tmp_path / "cache"), "--quiet", "--executor", "ray",
        "--ray-address", ray.get_runtime_context().gcs_address,
        *shlex.split("-a waiting -p mask --seeds 3"),
    ]  # fmt: skip
    process = subprocess.Popen(
        started_as_from_a_terminal(command),
        env={**os.environ, "PYTHONPATH": str(site)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while len(list(pids.iterdir())) < 2:  # two cells run on the two CPUs
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    try:
        process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the driver went on for 60 s after Ctrl-C:\n{process.communicate()[0]}")
    assert process.returncode != 0
    for pid in (int(path.name) for path in pids.iterdir()):
        assert_gone(pid)
    assert len(list(pids.iterdir())) == 2  # the third cell never started
    assert not (out / "results.jsonl").exists()
