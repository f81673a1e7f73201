"""What produced a result: software versions, the host, and the git commit."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def package_version(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


# The packages of each of Keras's backends but TensorFlow's, whose versions a row records.
BACKEND_PACKAGES = {"jax": ("jax", "jaxlib"), "torch": ("torch",)}


def versions(backend: str = "tensorflow") -> dict[str, str | None]:
    """The versions that produced a result; with another backend than TensorFlow, also its
    packages' (TensorFlow vectorised the data)."""
    return {
        "python": platform.python_version(),
        "tensorflow": package_version("tensorflow") or package_version("tensorflow-cpu"),
        "keras": package_version("keras"),
        "rnn-harness": package_version("rnn-harness"),
        "tensorflow-datasets": package_version("tensorflow-datasets"),
        **{name: package_version(name) for name in BACKEND_PACKAGES.get(backend, ())},
    }


@cache
def host() -> dict[str, Any]:
    """CPU model, cores, memory, and GPU/driver/CUDA when ``nvidia-smi`` answers."""
    import psutil

    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "gpus": _nvidia_gpus(),
    }


def git_commit(directory: Path | None = None, ignoring: Path | None = None) -> str | None:
    """The commit checked out in ``directory`` (default: this package's), with ``+dirty`` when
    a tracked file has changed, other than ``ignoring`` (a run's own, growing results file)."""
    directory = directory or Path(__file__).resolve().parent
    try:
        commit = _git(directory, "rev-parse", "HEAD")
        top = Path(_git(directory, "rev-parse", "--show-toplevel")).resolve()
        pathspec = [":(top)"]
        if ignoring is not None and ignoring.resolve().is_relative_to(top):
            pathspec.append(f":(top,exclude){ignoring.resolve().relative_to(top).as_posix()}")
        dirty = _git(directory, "status", "--porcelain", "--untracked-files=no", "--", *pathspec)
    except (OSError, RuntimeError, subprocess.SubprocessError):  # RuntimeError: a link loop
        return None
    return commit + ("+dirty" if dirty else "")


def _git(directory: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(directory), *args], capture_output=True, text=True, check=True, timeout=10
    ).stdout.strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _nvidia_gpus() -> list[dict[str, str | None]]:
    if not shutil.which("nvidia-smi"):
        return []
    query = "--query-gpu=name,driver_version,memory.total"
    try:
        output = subprocess.run(
            ["nvidia-smi", query, "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        ).stdout
        cuda = subprocess.run(["nvidia-smi"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    cuda_version = cuda.split("CUDA Version:", 1)[1].split()[0] if "CUDA Version:" in cuda else None
    gpus = []
    for line in output.strip().splitlines():
        name, driver, memory = (part.strip() for part in line.split(","))
        gpus.append({"name": name, "driver": driver, "memory": memory, "cuda": cuda_version})
    return gpus
