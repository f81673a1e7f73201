"""``harness run --executor ray --ray-address`` through the command line, against a cluster that
``ray start --head`` started on 127.0.0.1 with two (declared) GPUs: what each cell is given."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from test_run import rows_of

pytest.importorskip("ray", reason="the ray extra: pip install 'rnn-harness[ray]'")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def head_address():
    """A one-node cluster, 2 CPUs and 2 GPUs declared (this machine has none), stopped after."""
    ray = shutil.which("ray", path=str(Path(sys.executable).parent))
    port = free_port()
    subprocess.run(
        [ray, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
         "--num-cpus", "2", "--num-gpus", "2", "--include-dashboard", "false",
         "--disable-usage-stats"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)


@pytest.mark.slow
def test_each_cell_is_given_a_gpu_of_its_own_and_a_cluster_too_small_is_refused(
    head_address, news_dir, tmp_path
):
    out = tmp_path / "out"

    def harness(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "harness", "run", "--data", str(news_dir), "--out", str(out),
             "--cache-dir", str(tmp_path / "cache"), "--epochs", "1", "--batch-size", "16",
             "--quiet", "--executor", "ray", "--ray-address", head_address,
             "-a", "bag-of-embeddings", "-p", "bucket", "--seeds", "2", *args],
            capture_output=True, text=True, timeout=600,
            env={**os.environ, "RAY_AUTH_MODE": "token"},  # the head's token, as docs/cluster.md
        )  # fmt: skip

    too_big = harness("--gpus-per-cell", "3")
    assert too_big.returncode == 2
    assert (
        "error: no node of the Ray cluster holds one cell of 1 CPUs + 3 GPUs "
        "(--cpus-per-cell, --gpus-per-cell); its nodes: 2 CPUs + 2 GPUs"
    ) in too_big.stderr
    assert "Traceback" not in too_big.stderr

    result = harness()  # --device auto on a cluster with GPUs: one whole GPU per cell
    assert result.returncode == 0, result.stdout + result.stderr
    rows = rows_of(out)
    assert {row["status"] for row in rows} == {"done"}
    given = []
    for row in rows:
        assert row["placement"]["gpus_per_cell"] == 1
        assert row["placement"]["cluster"] == {"nodes": 1, "cpus": 2, "gpus": 2}
        assert len(row["placement"]["gpu_ids"]) == 1
        # Ray hands the task its GPU through CUDA_VISIBLE_DEVICES, as --jobs does locally
        assert row["device"]["cuda_visible_devices"] == row["placement"]["gpu_ids"][0]
        assert row["device"]["used"] == "CPU"  # declared GPUs: TensorFlow finds none here
        given.append(row["device"]["cuda_visible_devices"])
    assert sorted(given) == ["0", "1"]  # the two cells ran at once, each on its own GPU
    board = (out / "leaderboard.md").read_text()
    assert "- **Executor:** Ray, 1 CPU(s) + 1 GPU(s) per cell; cluster of 1 node(s)" in board
