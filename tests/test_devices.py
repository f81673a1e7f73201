"""Device setup: validated choices, and a record of what was set up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.config import DeviceConfig
from harness.errors import HarnessError
from harness.execution import environment
from harness.execution.devices import (
    backend_environment,
    configure,
    cores_per_cell,
    resolve_jobs,
)


@pytest.mark.parametrize("device", ["tpu", "gpu:x", "cpu:0", "gpu:"])
def test_unknown_devices_are_refused(device):
    with pytest.raises(HarnessError, match="--device takes auto, cpu, gpu or gpu:N"):
        DeviceConfig(device=device)


def test_cells_run_side_by_side_share_the_cores():
    assert cores_per_cell(1) is None  # one cell alone: TensorFlow's own thread pools
    assert cores_per_cell(2) == max(1, os.cpu_count() // 2)
    assert cores_per_cell(10_000) == 1
    with pytest.raises(HarnessError, match="--jobs must be between 1 and"):
        DeviceConfig(parallel_cells=0)


def test_jobs_auto_fills_the_cores_with_one_thread_a_cell():
    auto = DeviceConfig()
    assert auto.parallel_cells is None

    def jobs(config: DeviceConfig = auto, **machine) -> int:
        given = {"cores": 2, "memory_gib": 23.5, "gpus": 0, "in_process": False, **machine}
        return resolve_jobs(config, **given)

    assert jobs() == 2 and cores_per_cell(2, cores=2) == 1  # the 2-core machine
    assert jobs(cores=16) == 11  # at most one a 2 GiB of memory
    assert jobs(DeviceConfig(threads=2), cores=16, memory_gib=64) == 8  # --threads 2
    assert jobs(DeviceConfig(threads=4), cores=2) == 1
    assert jobs(cores=1, memory_gib=1) == 1
    assert jobs(in_process=True) == 1  # --in-process: one, not an error
    assert jobs(gpus=4) == 4  # one a GPU
    assert jobs(DeviceConfig(device="gpu"), gpus=2) == 2
    assert jobs(DeviceConfig(device="gpu:1"), gpus=2) == 1  # every cell on that GPU
    assert jobs(DeviceConfig(device="cpu"), gpus=2, cores=4) == 4
    assert jobs(DeviceConfig(parallel_cells=3), cores=64) == 3  # a number is kept


@pytest.mark.parametrize("jobs", ["0", "foo", "-1", "1.5"])
def test_jobs_takes_auto_or_a_whole_number(jobs):
    from click.testing import CliRunner

    from harness.cli import main

    result = CliRunner().invoke(main, ["run", "-a", "lstm", "--jobs", jobs])
    assert result.exit_code == 2
    error = [line for line in result.output.splitlines() if "Error" in line]
    assert error == [
        f"Error: Invalid value for '--jobs' / '-j': {jobs!r} is not auto or a whole number of "
        "at least 1"
    ]


def test_help_and_the_cli_docs_say_what_jobs_auto_resolves_to():
    from click.testing import CliRunner

    from harness.cli import main

    help_text = " ".join(CliRunner().invoke(main, ["run", "--help"]).output.split())
    assert "-j, --jobs AUTO|N" in help_text and "[default: auto]" in help_text
    docs = " ".join((Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text().split())
    assert "`auto` is one cell per core on a CPU, each with one thread" in docs
    assert "one per GPU when the cells use GPUs" in docs


def test_threads_set_after_a_worker_imported_tensorflow_apply():
    """A spare worker imports TensorFlow before its cell (and so its threads) is known."""
    script = (
        "from harness.execution.worker import import_training\n"
        "import_training()\n"
        "from harness.config import DeviceConfig\n"
        "from harness.execution.devices import configure\n"
        "configure(DeviceConfig(device='cpu', threads=1))\n"
        "import tensorflow as tf\n"
        "tf.constant(1.0) + 1.0\n"
        "print(tf.config.threading.get_intra_op_parallelism_threads(),"
        " tf.config.threading.get_inter_op_parallelism_threads())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "1"]


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


def test_a_torch_server_for_a_gpu_asks_for_cuda_without_starting_it():
    """Keras asks torch.cuda.is_available() on import; through CUDA that starts CUDA in the
    fork server, and its forked workers could not start it again."""
    assert backend_environment("torch", DeviceConfig())["PYTORCH_NVML_BASED_CUDA_CHECK"] == "1"
    on_cpu = backend_environment("torch", DeviceConfig(device="cpu"))
    assert on_cpu["KERAS_TORCH_DEVICE"] == "cpu" and "PYTORCH_NVML_BASED_CUDA_CHECK" not in on_cpu
