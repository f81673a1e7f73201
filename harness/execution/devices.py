"""Device setup, in one place: which device, GPU memory growth, precision, threads, determinism,
and how many cells share the machine at once, for each of Keras's backends.

What must be known before a backend's library is imported (which backend Keras runs on,
JAX's memory preallocation, XLA's flags, the CPU for torch) goes into each worker's
environment (:func:`backend_environment`); :func:`configure` does the rest at the start of
every cell's worker, before the first op. Everything it did is returned and recorded with
the cell's result. A machine without a GPU runs everything on CPU.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.config import DEFAULT_BACKEND, DeviceConfig
from harness.errors import HarnessError


def backend_environment(backend: str, config: DeviceConfig) -> dict[str, str]:
    """What a worker of ``backend`` needs in its environment before it imports Keras: the
    backend; for JAX, GPU memory taken as needed (the equivalent of TensorFlow's memory
    growth), the CPU alone with ``--device cpu``, and XLA's threads and determinism; for
    torch, the CPU with ``--device cpu``, else CUDA left unstarted until a worker trains (so
    that it can be forked), and deterministic cuBLAS."""
    environment = {"KERAS_BACKEND": backend}
    cpu = config.device == "cpu"
    if backend == "jax":
        flags = [os.environ.get("XLA_FLAGS", "")]
        threads = threads_per_cell(config)
        if threads == 1:
            flags.append("--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
        if config.deterministic:
            flags.append("--xla_gpu_deterministic_ops=true")
        environment |= {
            "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
            "XLA_FLAGS": " ".join(flag for flag in flags if flag),
            **({"JAX_PLATFORMS": "cpu"} if cpu else {}),
        }
    elif backend == "torch":
        # Asked through CUDA, torch.cuda.is_available() (Keras calls it on import) starts
        # CUDA in the fork server, and a forked worker cannot start it again; NVML asks
        # without starting it.
        environment |= (
            {"KERAS_TORCH_DEVICE": "cpu"} if cpu else {"PYTORCH_NVML_BASED_CUDA_CHECK": "1"}
        )
        if config.deterministic:
            environment["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    return environment


def configure(
    config: DeviceConfig, backend: str = DEFAULT_BACKEND, compilation_cache: Path | None = None
) -> dict[str, Any]:
    """Apply ``config`` to ``backend`` in this process (its library imported, no op run yet)
    and return what was set up, for the result row; JAX keeps its compiled programs in
    ``compilation_cache``."""
    if backend == "jax":
        return _configure_jax(config, compilation_cache)
    if backend == "torch":
        return _configure_torch(config)
    return _configure_tensorflow(config)


def _configure_tensorflow(config: DeviceConfig) -> dict[str, Any]:
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:  # the tutorial's advice: take GPU memory as needed, not all at once
        tf.config.experimental.set_memory_growth(gpu, True)
    chosen = _choose(config.device, gpus)
    visible = [gpus[chosen]] if chosen is not None else []
    tf.config.set_visible_devices(visible, "GPU")
    threads = threads_per_cell(config)
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(
        "mixed_float16" if config.mixed_precision else "float32"
    )
    return {
        **asdict(config),
        "used": f"GPU:{chosen}" if chosen is not None else "CPU",
        "threads_used": threads,  # None: TensorFlow's own choice
        "gpus_found": len(gpus),
        # which of the machine's GPUs this process was given (by --jobs or by Ray); None: all
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "gpu_name": _gpu_name(gpus[chosen]) if chosen is not None else None,
        "precision_policy": keras.mixed_precision.global_policy().name,
    }


def _configure_jax(config: DeviceConfig, compilation_cache: Path | None) -> dict[str, Any]:
    """JAX on ``config``'s device (threads and memory were set by the environment), its
    programs kept in ``compilation_cache`` so that a cell of the same shapes compiles none."""
    import jax

    gpus = jax.devices("gpu") if jax.default_backend() == "gpu" else []
    chosen = _choose(config.device, gpus, "JAX")
    if chosen is not None:
        jax.config.update("jax_default_device", gpus[chosen])
    if compilation_cache is not None:
        jax.config.update("jax_compilation_cache_dir", str(compilation_cache))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    return {
        **_keras_setup(config, chosen),
        "threads_used": threads_per_cell(config),  # None: XLA's own choice
        "gpus_found": len(gpus),
        "gpu_name": gpus[chosen].device_kind if chosen is not None else None,
        "compilation_cache": str(compilation_cache) if compilation_cache else None,
    }


def _configure_torch(config: DeviceConfig) -> dict[str, Any]:
    """torch on ``config``'s device: one GPU a cell (``torch.cuda.set_device``), its threads,
    and deterministic algorithms when asked."""
    import torch

    gpus = list(range(torch.cuda.device_count())) if config.device != "cpu" else []
    chosen = _choose(config.device, gpus, "torch")
    if chosen is not None:
        torch.cuda.set_device(chosen)
    threads = threads_per_cell(config)
    if threads:
        torch.set_num_threads(threads)
    if config.deterministic:
        torch.use_deterministic_algorithms(True)
    return {
        **_keras_setup(config, chosen),
        "threads_used": threads,  # None: torch's own choice
        "gpus_found": len(gpus),
        "gpu_name": torch.cuda.get_device_name(chosen) if chosen is not None else None,
    }


def _keras_setup(config: DeviceConfig, chosen: int | None) -> dict[str, Any]:
    """The precision policy set through Keras, and what every backend's setup records."""
    import keras

    keras.mixed_precision.set_global_policy(
        "mixed_float16" if config.mixed_precision else "float32"
    )
    return {
        **asdict(config),
        "used": f"GPU:{chosen}" if chosen is not None else "CPU",
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "precision_policy": keras.mixed_precision.global_policy().name,
    }


MEMORY_PER_CELL_GIB = 2  # a worker peaks at about 1 GiB on the AG News sample, a spare at 0.6


def cores_per_cell(parallel_cells: int | None, cores: int | None = None) -> int | None:
    """The threads each of ``parallel_cells`` workers gets from ``cores`` (default: this
    machine's); None (TensorFlow decides) for one cell at a time."""
    if parallel_cells is None or parallel_cells == 1:
        return None
    return max(1, (cores or os.cpu_count() or 1) // parallel_cells)


def threads_per_cell(config: DeviceConfig, cores: int | None = None) -> int | None:
    """The threads each cell of ``config`` trains with: ``--threads``, else its share of
    ``cores`` (default: this machine's); None (TensorFlow decides) for one cell at a time."""
    return config.threads or cores_per_cell(config.parallel_cells, cores)


def resolve_jobs(
    config: DeviceConfig, *, cores: int, memory_gib: float, gpus: int, in_process: bool
) -> int:
    """How many cells run at a time: ``config.parallel_cells`` when given, else (``--jobs
    auto``) one per GPU when the cells use GPUs (one for ``gpu:N``), else as many as the
    ``cores`` hold with ``config.threads`` threads each (one thread by default), at most one
    per :data:`MEMORY_PER_CELL_GIB` of ``memory_gib``; always one with ``in_process``.

    It depends on the machine only, not on the cells, so that a cell's configuration
    (``parallel_cells`` is part of it) is the same whichever subset of a matrix runs.
    A number of cells on CPUs beyond one a core, or one a :data:`MEMORY_PER_CELL_GIB`, is
    refused (:class:`HarnessError`): side by side they would only slow each other and
    measure throughputs that mean nothing, or run out of memory.
    """
    kind, _, index = config.device.partition(":")
    on_gpus = kind == "gpu" or (kind == "auto" and gpus > 0)
    most = max(1, min(cores, int(memory_gib // MEMORY_PER_CELL_GIB)))
    if config.parallel_cells is not None:
        if config.parallel_cells > most and not on_gpus:
            raise HarnessError(
                f"--jobs {config.parallel_cells}: this machine has {cores} cores and "
                f"{memory_gib:g} GiB of memory, room for at most {most} cells at a time (one a "
                f"core, {MEMORY_PER_CELL_GIB} GiB each); use --jobs {most} or less, or leave "
                "it auto"
            )
        return config.parallel_cells
    if in_process or index:
        return 1
    if on_gpus:
        return max(1, gpus)
    by_cores = cores // (config.threads or 1)
    return max(1, min(by_cores, int(memory_gib // MEMORY_PER_CELL_GIB)))


def visible_gpus() -> list[str]:
    """The GPUs this process may hand out to workers, as ``CUDA_VISIBLE_DEVICES`` names them:
    its names when it is set (as many as this machine has GPUs), else ``0`` to ``N - 1``."""
    from harness.execution.preflight import gpus_visible

    found = gpus_visible()
    names = os.environ.get("CUDA_VISIBLE_DEVICES")
    if names is None:
        return [str(index) for index in range(found)]
    return [name.strip() for name in names.split(",") if name.strip()][:found]


def gpus_for_workers(config: DeviceConfig, gpus: list[str]) -> list[str]:
    """The GPUs to hand out, one to each of ``config.parallel_cells`` running workers (as its
    ``CUDA_VISIBLE_DEVICES``); empty when the workers keep this process's view of the GPUs.

    Cells side by side never share a GPU: two cells on one GPU would each measure half its
    throughput, and the second could run out of GPU memory, so too few GPUs is refused.
    """
    kind, _, index = config.device.partition(":")
    jobs = config.parallel_cells or 1
    if jobs == 1 or kind == "cpu" or (kind == "auto" and not gpus):
        return []
    if index:
        raise HarnessError(
            f"--device {config.device} puts every cell on GPU {index}, so --jobs {jobs} cells "
            "would share it; use --device gpu to give each running cell a GPU of its own"
        )
    if len(gpus) < jobs:
        raise HarnessError(
            f"--jobs {jobs} on GPUs gives each running cell a GPU of its own, and this machine "
            f"has {len(gpus)}: use --jobs {len(gpus) or 1}, or --device cpu"
        )
    return gpus


def _choose(device: str, gpus: list[Any], library: str = "TensorFlow") -> int | None:
    kind, _, index = device.partition(":")
    if kind == "cpu" or (kind == "auto" and not gpus):
        return None
    if not gpus:
        raise HarnessError(f"--device {device}: {library} finds no GPU on this machine")
    chosen = int(index or 0)
    if chosen >= len(gpus):
        raise HarnessError(f"--device {device}: only {len(gpus)} GPU(s) found")
    return chosen


def _gpu_name(gpu: Any) -> str | None:
    import tensorflow as tf

    return tf.config.experimental.get_device_details(gpu).get("device_name")
