"""Checks of a run that could otherwise fail only after training, made before the first cell.

Each raises :class:`~harness.errors.HarnessError` with one line that names the option.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from harness.config import DEFAULT_BACKEND, DeviceConfig
from harness.errors import HarnessError
from harness.execution import environment
from harness.results.log import RESULTS_FILE

# Files a run writes into its output directory besides its results, and the results' lock.
OUTPUT_FILES = (
    RESULTS_FILE, f"{RESULTS_FILE}.lock", "leaderboard.md", "leaderboard.png", "leaderboard.html"
)  # fmt: skip


def check_output_directory(out_dir: Path) -> None:
    """Create ``out_dir``, write and remove a probe file there, and open for appending each
    file a run writes that already exists; nothing already there is changed."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HarnessError(
            f"--out {out_dir}: cannot create the directory ({_why(error)})"
        ) from None
    probe = out_dir / f".rnn-harness-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
        for name in OUTPUT_FILES:
            if (out_dir / name).exists():
                with (out_dir / name).open("ab"):
                    pass
    except OSError as error:
        raise HarnessError(f"--out {out_dir}: cannot write there ({_why(error)})") from None


# How to install each of Keras's backends: its package, and the line that says how.
BACKEND_INSTALLS = {
    "tensorflow": ("tensorflow", "pip install tensorflow"),
    "jax": ("jax", "pip install 'rnn-harness[jax]'"),
    "torch": ("torch", "pip install 'rnn-harness[torch]' (docs/backends.md)"),
}


def check_backends(backends: tuple[str, ...], *, in_process: bool) -> None:
    """Refuse a backend whose package this Python lacks, and any but TensorFlow's for cells
    run in this process, whose Keras runs on TensorFlow."""
    for backend in backends:
        package, install = BACKEND_INSTALLS[backend]
        if importlib.util.find_spec(package) is None:
            raise HarnessError(f"--backend {backend}: {package} is not installed; {install}")
    others = [backend for backend in backends if backend != DEFAULT_BACKEND]
    if in_process and others:
        raise HarnessError(
            f"--in-process trains on this process's Keras backend, {DEFAULT_BACKEND}: leave "
            f"out --in-process to train --backend {others[0]} in worker processes"
        )


def check_device(device: DeviceConfig) -> None:
    """Refuse ``--device gpu`` or ``gpu:N`` when this machine has no such GPU.

    GPUs are counted without starting TensorFlow: those ``nvidia-smi`` or the NVIDIA
    driver lists, limited to ``CUDA_VISIBLE_DEVICES`` when it is set.
    """
    kind, _, index = device.device.partition(":")
    if kind != "gpu":
        return
    found = gpus_visible()
    wanted = int(index or 0)
    if found == 0:
        raise HarnessError(
            f"--device {device.device}: this machine has no GPU that CUDA can use "
            "(nvidia-smi and the NVIDIA driver list none); use --device cpu or auto"
        )
    if wanted >= found:
        raise HarnessError(
            f"--device {device.device}: this machine has {found} GPU(s), gpu:0 to gpu:{found - 1}"
        )


def gpus_visible() -> int:
    """How many GPUs CUDA would show a worker: a cheap count, TensorFlow not started."""
    driver = Path("/proc/driver/nvidia/gpus")
    found = max(
        len(environment.host()["gpus"]), len(list(driver.iterdir())) if driver.is_dir() else 0
    )
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        found = min(found, len([gpu for gpu in visible.split(",") if gpu.strip()]))
    return found


def _why(error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"{reason}: {error.filename}" if error.filename else reason
