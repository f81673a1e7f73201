"""The GPU path on a real GPU: the built-in recurrent architectures under JAX and PyTorch, on a
GPU machine that has PyTorch and JAX with CUDA but no TensorFlow and no network.

Two steps, the first here (a machine with TensorFlow and the network), the second there:

    python benchmarks/gpu_check.py prepare --bundle .gpu     # the cache, its plans, wheels
    python3 benchmarks/gpu_check.py run --bundle .gpu --report reports/gpu.md

``prepare`` vectorises the data (the embedded AG News sample), makes the batch plans of
every cell (which only TensorFlow can form; ``--architectures``, ``--paddings``,
``--max-train`` and ``--batch-size`` choose the cells, default :data:`ARCHITECTURES` x
:data:`PADDINGS`, all rows, batch 128), builds rnn-harness's wheel and downloads
Keras's wheels and the few it needs that the GPU machine lacks (:data:`WHEELS`), for
:data:`TARGET_PYTHON`, into the folder ``--bundle`` (a few MiB: it travels with the code).
``run`` installs those wheels from the folder (``pip install --no-index``, into
``BUNDLE/site``) when Keras is missing, then trains those cells x 1 seed x :data:`EPOCHS`
epochs under each backend (``torch``, then ``jax``) on the GPU, one cell per GPU, then the
same cells on the CPU, and writes the report: training throughput on the GPU against the
CPU, the GPU's peak memory, the compilation (warm-up), and whether cuDNN's fused kernels ran
(a probe that counts the calls of Keras's cuDNN paths in one training step of each
architecture). One command of at most ``--budget`` seconds (default 540: the GPU machine
runs a command for 10 minutes at most): at ``--budget`` less ``--margin`` the training
stops, and the cells it left out are reported as not run.

``run --device cpu`` is the dry run of the same steps on a CPU (tiny with ``--max-train``):
the tests run it.
"""

from __future__ import annotations

import _thread
import argparse
import importlib.util
import itertools
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ARCHITECTURES = ("lstm", "gru", "bilstm", "stacked-bilstm")
PADDINGS = ("bucket", "mask")
BACKENDS = ("torch", "jax")  # torch first: it compiles nothing
EPOCHS = 2  # the second is the steady one
TARGET_PYTHON = "3.12"  # the GPU machine's
TARGET_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
WHEELS = ("keras", "namex", "optree")  # Keras and what it needs that the GPU machine lacks
CELL_TIMEOUT = 150.0  # seconds a cell may take, compilation included
MIN_CELL_SECONDS = 20.0  # a run is not started with less time left
# Where Keras's backends call cuDNN, the functions a probe counts: torch's fused LSTM and GRU
# (Keras's private module); JAX's cuDNN LSTM (JAX has none for a GRU).
FUSED_KERNELS = {
    "torch": ("keras.src.backend.torch.rnn", ("_cudnn_lstm", "_cudnn_gru")),
    "jax": ("jax.experimental.rnn", ("lstm",)),
}


# -- prepare (here, with TensorFlow) ----------------------------------------------------------


def prepare_bundle(bundle: Path, cells: dict[str, Any], wheels: bool) -> None:
    """The data cache with the batch plans of ``cells`` (:func:`run_options`' settings), and
    the wheels, in ``bundle``; ``BUNDLE/bundle.json`` says which cells."""
    from harness.config import DeviceConfig
    from harness.data.vectorize import prepare
    from harness.execution.batch_plans import make_batch_plans
    from harness.execution.runner import plan_cells, select
    from harness.plugin.manager import load_registry

    registry = load_registry()
    options = run_options(cells, "cpu", ("jax",))
    data = prepare(options.data, registry, bundle / "cache")
    planned = plan_cells(options, select(options, registry), registry, data, {}, DeviceConfig())
    make_batch_plans(planned, data, registry, print)
    if wheels:
        download_wheels(bundle / "wheels")
    (bundle / "bundle.json").write_text(json.dumps(cells))
    size = sum(path.stat().st_size for path in bundle.rglob("*") if path.is_file())
    print(f"{bundle}: {size / 2**20:.1f} MiB")


def download_wheels(folder: Path) -> None:
    """rnn-harness's wheel, built here, and those of :data:`WHEELS` at this machine's
    versions, for the GPU machine's Python."""
    from importlib.metadata import version

    folder.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parent.parent
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(folder), str(root)], check=True)
    platforms = [argument for tag in TARGET_PLATFORMS for argument in ("--platform", tag)]
    subprocess.run(
        [*pip, "download", "--no-deps", "--only-binary=:all:", "--python-version",
         TARGET_PYTHON, "--implementation", "cp", *platforms, "-d", str(folder),
         *(f"{name}=={version(name)}" for name in WHEELS)],
        check=True,
    )  # fmt: skip


# -- run (there, without TensorFlow) ----------------------------------------------------------


def ensure_keras(bundle: Path) -> None:
    """Install the bundle's wheels into ``BUNDLE/site`` when Keras is missing, and run this
    script again with that folder on the path (the cells' workers inherit it)."""
    if importlib.util.find_spec("keras") is not None:
        return
    site = bundle / "site"
    wheels = sorted(str(path) for path in (bundle / "wheels").glob("*.whl"))
    if not wheels:
        sys.exit(f"Keras is not installed and {bundle / 'wheels'} holds no wheels: run prepare")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
         "--find-links", str(bundle / "wheels"), "--target", str(site), *wheels],
        check=True,
    )  # fmt: skip
    path = os.pathsep.join(filter(None, [str(site.resolve()), os.environ.get("PYTHONPATH")]))
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONPATH": path})


def run_options(cells: dict[str, Any], device: str, backends: tuple[str, ...]) -> Any:
    """The cells of the check: ``cells``' architectures x paddings x ``backends`` x 1 seed,
    :data:`EPOCHS` epochs, on its data (``max_train`` rows of the embedded sample) and batch
    size, one cell per GPU (``--jobs auto``) or one at a time on a CPU."""
    from harness.config import DataConfig, DeviceConfig, RunOptions, TrainingConfig

    return RunOptions(
        architectures=tuple(cells["architectures"]),
        paddings=tuple(cells["paddings"]),
        backends=backends,
        seeds=1,
        data=DataConfig(max_train=cells["max_train"]),
        training=TrainingConfig(max_epochs=EPOCHS, patience=EPOCHS, batch_size=cells["batch_size"]),
        device=DeviceConfig(device=device, parallel_cells=None if device == "gpu" else 1),
        timeout=CELL_TIMEOUT,
        quiet=True,
    )


def run_check(arguments: argparse.Namespace) -> None:
    """The cells on the accelerator, backend by backend, then on the CPU while time lasts,
    the probe, the report; what the time left no room for is reported as not run."""
    started = time.monotonic()
    deadline = started + arguments.budget - arguments.margin
    bundle: Path = arguments.bundle
    cells = json.loads((bundle / "bundle.json").read_text())
    backends = installed(arguments.backends)
    work: Path = arguments.work
    accelerated = [
        row
        for backend in backends
        for row in train(
            run_options(cells, arguments.device, (backend,)),
            work / f"{arguments.device}-{backend}",
            bundle / "cache",
            deadline,
        )
    ]
    on_cpu = accelerated
    if arguments.device != "cpu":
        on_cpu = [
            row
            for backend in backends
            for row in train(
                run_options(cells, "cpu", (backend,)),
                work / f"cpu-{backend}",
                bundle / "cache",
                deadline,
            )
        ]
    probe = {
        backend: fused_kernel_probe(backend, arguments.device, cells["architectures"])
        for backend in backends
    }
    arguments.report.parent.mkdir(parents=True, exist_ok=True)
    arguments.report.write_text(
        render(cells, backends, accelerated, on_cpu, probe, arguments.device,
               time.monotonic() - started)
    )  # fmt: skip
    print(arguments.report.read_text())


def installed(backends: tuple[str, ...]) -> tuple[str, ...]:
    """The ``backends`` whose package this Python has (the dry run may lack torch)."""
    found = tuple(name for name in backends if importlib.util.find_spec(name) is not None)
    if not found:
        sys.exit(f"none of {', '.join(backends)} is installed")
    return found


def train(options: Any, out: Path, cache: Path, deadline: float) -> list[dict]:
    """The rows of ``options``' cells, trained by the harness's runner (its cache at
    ``cache``, results in ``out``) until ``deadline`` (``time.monotonic()``): then the run is
    interrupted as by Ctrl-C, and the rows it finished are kept."""
    from harness.execution.runner import run
    from harness.results.log import read_rows

    left = deadline - time.monotonic()
    if left < MIN_CELL_SECONDS:
        print(f"{out.name}: no time left")
        return []
    options = replace(options, out_dir=out, cache_dir=cache, timeout=min(CELL_TIMEOUT, left))
    alarm = threading.Timer(left, _thread.interrupt_main)
    alarm.start()
    try:
        run(options, say=print)
        alarm.cancel()
    except KeyboardInterrupt:
        print(f"{out.name}: time is up; the cells it finished are kept")
    finally:
        alarm.cancel()
    return [dict(row) for row in read_rows(out / "results.jsonl")]


PROBE = """
import json, sys
from harness.execution.worker import import_training
backend, device, modules = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
import_training(backend)
import importlib
import numpy as np
import keras
from harness.execution.devices import configure
from harness.config import DeviceConfig
from harness.model.classifier import ModelShape, build_classifier
from harness.plugin.manager import load_registry

configure(DeviceConfig(device=device), backend)
module_name, names = modules
module = importlib.import_module(module_name)
calls = {}

def counted(name, function):
    def call(*args, **kwargs):
        result = function(*args, **kwargs)  # a backend without the fused path raises
        calls[name] = calls.get(name, 0) + 1
        return result
    return call

for name in names:
    if not hasattr(module, name):
        sys.exit(f"{module_name}.{name} not found: this version calls cuDNN elsewhere")
    setattr(module, name, counted(name, getattr(module, name)))
registry = load_registry()
token_ids = np.array([[5, 6, 7, 8], [9, 3, 0, 0]] * 8, dtype="int32")
found = {}
for architecture in sys.argv[4:]:
    for mask in (True, False):
        calls.clear()
        item = registry.architecture(architecture).item
        model = build_classifier(item, item.defaults(), ModelShape(20, 4, 8), mask=mask)
        model.compile("adam", "sparse_categorical_crossentropy")
        model.train_on_batch(token_ids, np.zeros(len(token_ids), "int32"))
        found[f"{architecture} {'masked' if mask else 'unmasked'}"] = sum(calls.values())
print(json.dumps(found))
"""


def fused_kernel_probe(backend: str, device: str, architectures: list[str]) -> dict[str, int] | str:
    """How many calls of Keras's cuDNN paths (:data:`FUSED_KERNELS`) one training step of
    each of ``architectures``, masked and not, made on ``backend`` (0: the generic loop
    ran); or why the probe could not say."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, backend, device, json.dumps(FUSED_KERNELS[backend]),
         *architectures],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "KERAS_BACKEND": backend},
    )  # fmt: skip
    if result.returncode != 0:
        return "probe failed: " + (result.stderr.strip().splitlines() or ["?"])[-1]
    return json.loads(result.stdout.splitlines()[-1])


def render(
    cells: dict[str, Any],
    backends: tuple[str, ...],
    accelerated: list[dict],
    on_cpu: list[dict],
    probe: dict,
    device: str,
    seconds: float,
) -> str:
    """The report: one row per cell (those the time left no room for say so), then the
    probe, then what produced it."""
    from harness.execution import environment

    trained = {_cell(row): row for row in accelerated}
    cpu = {_cell(row): row for row in on_cpu}
    lines = [
        "# The GPU path on a GPU: JAX and PyTorch" if device != "cpu" else "# GPU check (dry run)",
        "",
        "Generated by `benchmarks/gpu_check.py run`; do not edit by hand.",
        "",
        f"- **Command:** `{shlex.join(['python', *sys.argv])}`",
        f"- **Machine:** {_machine(environment.host())}",
        f"- **Versions:** {_versions(accelerated)}",
        f"- **Data:** {_data(accelerated)}; {EPOCHS} epochs, batch "
        f"{_first(accelerated, 'training', {}).get('batch_size', '?')}, seed 0; each cell "
        f"alone on the {'GPU' if device != 'cpu' else 'CPU'}",
        f"- **Took:** {seconds / 60:.1f} minutes",
        "",
        f"| architecture | padding | backend | status | {device.upper()} train ex/s | "
        f"CPU train ex/s | {device.upper()} / CPU | warm-up s | whole cell s | peak GPU MiB | "
        "test acc. % |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cell in itertools.product(cells["architectures"], cells["paddings"], backends):
        if cell not in trained:
            lines.append(f"| {' | '.join(cell)} | not run: no time left |" + " - |" * 7)
            continue
        row = trained[cell]
        measured = row.get("measurements") or {}
        cpu_row = cpu.get(_cell(row)) or {}
        cpu_speed = (cpu_row.get("measurements") or {}).get("train_examples_per_second")
        speed = measured.get("train_examples_per_second")
        lines.append(
            f"| {row['architecture']} | {row['padding']} | {row['backend']} | {row['status']} | "
            f"{_number(speed)} | {_number(cpu_speed)} | "
            f"{_number(speed / cpu_speed if speed and cpu_speed else None, '.1f')} | "
            f"{_number(measured.get('warmup_seconds'), '.1f')} | "
            f"{_number(row.get('cell_wall_seconds'), '.0f')} | "
            f"{_number(measured.get('peak_gpu_memory_mb'), ',.0f')} | "
            f"{_number(100 * measured['test_accuracy'] if measured else None, '.2f')} |"
        )
    lines += [
        "",
        "Train ex/s: training examples per second in the steady (second) epoch; warm-up: the "
        "first epoch's extra time (tracing, or XLA's compilation on JAX); CPU: the same cell "
        "on this machine's CPU, measured while the time budget lasted ('-': not measured).",
        "",
        "## cuDNN's fused kernels",
        "",
        "Calls of Keras's cuDNN paths in one training step of each architecture (masked: "
        "right-padded, as `mask` and `bucket` batch; unmasked: as `none`); 0: the generic "
        "recurrent loop ran.",
        "",
    ]
    for backend, found in probe.items():
        if isinstance(found, str):
            lines.append(f"- **{backend}:** {found}")
        else:
            lines.append(f"- **{backend}:** " + ", ".join(f"{k} {v}" for k, v in found.items()))
    return "\n".join(lines) + "\n"


def _cell(row: dict) -> tuple[str, str, str]:
    return row["architecture"], row["padding"], row["backend"]


def _first(rows: list[dict], key: str, default: Any) -> Any:
    return rows[0].get(key, default) if rows else default


def _machine(host: dict) -> str:
    gpus = "; ".join(f"{g['name']} (driver {g['driver']}, CUDA {g['cuda']})" for g in host["gpus"])
    return f"{host['cpu']}, {host['cores']} cores, {host['memory_gb']} GiB; GPUs: {gpus or 'none'}"


def _versions(rows: list[dict]) -> str:
    versions: dict[str, str] = {}
    for row in rows:
        versions |= {name: value for name, value in row["versions"].items() if value}
    return ", ".join(f"{name} {value}" for name, value in sorted(versions.items()))


def _data(rows: list[dict]) -> str:
    data = _first(rows, "data", {})
    counts = data.get("rows", {})
    return (
        f"`{data.get('source', '?')}` ({counts.get('train', '?')} train / "
        f"{counts.get('validation', '?')} validation / {counts.get('test', '?')} test rows)"
    )


def _number(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def _names(text: str) -> tuple[str, ...]:
    return tuple(filter(None, text.split(",")))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    steps = parser.add_subparsers(dest="step", required=True)
    prepare = steps.add_parser("prepare", help="here: the cache, its plans and the wheels")
    prepare.add_argument("--bundle", type=Path, default=Path(".gpu"))
    prepare.add_argument("--max-train", type=int, default=None, help="training rows (all)")
    prepare.add_argument("--batch-size", type=int, default=128)
    prepare.add_argument("--architectures", type=_names, default=ARCHITECTURES)
    prepare.add_argument("--paddings", type=_names, default=PADDINGS)
    prepare.add_argument("--no-wheels", action="store_true", help="leave the wheels out")
    check = steps.add_parser("run", help="there: train the cells, write the report")
    check.add_argument("--bundle", type=Path, default=Path(".gpu"))
    check.add_argument("--device", choices=("gpu", "cpu"), default="gpu")
    check.add_argument("--backends", type=_names, default=BACKENDS)
    check.add_argument("--work", type=Path, default=Path("/tmp/rnn-harness-gpu-check"))
    check.add_argument("--report", type=Path, default=Path("reports/gpu.md"))
    check.add_argument("--budget", type=float, default=540.0, help="seconds in all")
    check.add_argument("--margin", type=float, default=60.0, help="seconds kept for the rest")
    arguments = parser.parse_args()
    if arguments.step == "prepare":
        cells = {
            "architectures": list(arguments.architectures), "paddings": list(arguments.paddings),
            "max_train": arguments.max_train, "batch_size": arguments.batch_size,
        }  # fmt: skip
        prepare_bundle(arguments.bundle, cells, not arguments.no_wheels)
        return
    ensure_keras(arguments.bundle)
    run_check(arguments)


if __name__ == "__main__":
    main()
