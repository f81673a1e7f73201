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
from harness.execution.claims import CLAIMS_SUFFIX
from harness.results.log import RESULTS_FILE

# Files a run writes into its output directory: its results, their lock and the cells'
# claims (harness/execution/claims.py), and the leaderboard.
OUTPUT_FILES = (
    RESULTS_FILE, f"{RESULTS_FILE}.lock", f"{RESULTS_FILE}{CLAIMS_SUFFIX}", "leaderboard.md",
    "leaderboard.png", "leaderboard.html",
)  # fmt: skip


def check_output_directory(out_dir: Path) -> None:
    """Check by writing that a run can write ``out_dir`` and each file it writes there
    (through its final path: a link that loops or leads nowhere is refused); nothing already
    there is changed, and a directory the check had to create is removed again, so that a
    run refused later leaves none behind. Raises :class:`HarnessError` naming ``--out``."""
    check_writable_directory(out_dir, "--out")
    for name in OUTPUT_FILES:
        path = out_dir / name
        if path.is_symlink():
            try:
                path.resolve(strict=True)
            except FileNotFoundError:
                raise HarnessError(
                    f"--out {out_dir}: {name} is a link to {os.readlink(path)}, which does "
                    "not exist; remove the link or create what it names"
                ) from None
            except (RuntimeError, OSError):  # a loop: RuntimeError until Python 3.13
                raise HarnessError(
                    f"--out {out_dir}: {name} is a link that loops ({name} -> "
                    f"{os.readlink(path)}); remove it"
                ) from None
        if path.exists():
            try:
                with path.open("ab"):
                    pass
            except OSError as error:
                raise HarnessError(
                    f"--out {out_dir}: cannot write {name} ({_why(error)})"
                ) from None


def check_writable_directory(directory: Path, option: str) -> None:
    """Create ``directory`` (and what it lacks above it), write and remove a probe file
    there, then remove the directories it created. Raises :class:`HarnessError` naming
    ``option`` and ``directory``."""
    created = [parent for parent in (directory, *directory.parents) if not parent.exists()]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise HarnessError(
            f"{option} {directory}: cannot create the directory ({_why(error)})"
        ) from None
    probe = directory / f".rnn-harness-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise HarnessError(f"{option} {directory}: cannot write there ({_why(error)})") from None
    finally:
        for made in created:  # deepest first
            try:
                made.rmdir()
            except OSError:  # another process put something there meanwhile: keep it
                break


BYTES_PER_PARAMETER = 20  # float32 weights, Adam's two moments, the average, the gradient


def check_embedding_memory(
    embedding_dim: int, *, vocabulary: int, cells_at_a_time: int, memory_gib: float
) -> None:
    """Refuse ``--embedding-dim`` when the embedding of ``vocabulary`` tokens alone, for
    each of ``cells_at_a_time`` cells, would not fit in ``memory_gib``."""
    per_cell = vocabulary * embedding_dim * BYTES_PER_PARAMETER / 2**30
    if per_cell * cells_at_a_time > memory_gib:
        raise HarnessError(
            f"--embedding-dim {embedding_dim}: an embedding of {vocabulary:,} tokens needs "
            f"{per_cell:,.1f} GiB a cell (weights, Adam's moments, their average, the "
            f"gradient), and this machine's {memory_gib:g} GiB cannot hold it for "
            f"{cells_at_a_time} cell{'s' if cells_at_a_time > 1 else ''} at a time; lower "
            "--embedding-dim or --vocabulary-size"
        )


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
