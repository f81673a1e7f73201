"""Device setup: validated choices, and a record of what was set up."""

import os
import subprocess

import pytest

from harness.config import DeviceConfig
from harness.errors import HarnessError
from harness.execution import environment
from harness.execution.devices import configure, cores_per_cell


@pytest.mark.parametrize("device", ["tpu", "gpu:x", "cpu:0", "gpu:"])
def test_unknown_devices_are_refused(device):
    with pytest.raises(HarnessError, match="--device takes auto, cpu, gpu or gpu:N"):
        DeviceConfig(device=device)


def test_cells_run_side_by_side_share_the_cores():
    assert cores_per_cell(1) is None  # one cell alone: TensorFlow's own thread pools
    assert cores_per_cell(2) == max(1, os.cpu_count() // 2)
    assert cores_per_cell(10_000) == 1
    with pytest.raises(HarnessError, match="--jobs must be at least 1"):
        DeviceConfig(parallel_cells=0)


def test_configure_records_what_it_set_up():
    import tensorflow as tf

    setup = configure(DeviceConfig(device="cpu"))
    assert setup["used"] == "CPU"
    assert setup["precision_policy"] == "float32"
    assert setup["gpus_found"] == len(tf.config.list_physical_devices("GPU"))


def test_mixed_precision_is_a_policy():
    import keras

    try:
        assert configure(DeviceConfig(device="cpu", mixed_precision=True))["precision_policy"] == (
            "mixed_float16"
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_asking_for_a_missing_gpu_is_a_clear_error():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    with pytest.raises(HarnessError, match="finds no GPU"):
        configure(DeviceConfig(device="gpu"))


def test_environment_names_versions_and_host():
    versions = environment.versions()
    assert versions["tensorflow"] and versions["keras"] and versions["python"]
    host = environment.host()
    assert host["cores"] >= 1 and host["memory_gb"] > 0 and host["cpu"]


def test_git_commit_is_dirty_for_changed_files_but_not_for_the_runs_own_results(tmp_path):
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "reports").mkdir()
    results, code = tmp_path / "reports" / "results.jsonl", tmp_path / "model.py"
    results.write_text("{}\n")
    code.write_text("units = 8\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    commit = environment.git_commit(tmp_path)
    assert commit is not None and len(commit) == 40

    results.write_text("{}\n{}\n")  # the run appends a row
    assert environment.git_commit(tmp_path, ignoring=results) == commit
    assert environment.git_commit(tmp_path) == commit + "+dirty"
    code.write_text("units = 16\n")
    assert environment.git_commit(tmp_path, ignoring=results) == commit + "+dirty"
