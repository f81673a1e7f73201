"""What a cell costs beyond its epochs, forked from a preloaded fork server and spawned as a
fresh interpreter, against a bare import of TensorFlow and Keras timed in the same run.

    python benchmarks/performance.py --sections fixed-cost

For ``lstm`` and ``stacked-bilstm`` under ``bucket`` and ``mask`` (seed 0, the run's
defaults but :data:`EPOCHS` epochs, one cell at a time), each cell is run in a worker of
each kind, interleaved, :data:`REPEATS` times. A cell's fixed cost is its wall time (from
the hand-over of the cell to its result) less its epochs at their steady speed: the
training and validation time of its later epochs, counted for every epoch. What is left is
the worker's start (the imports, for a fresh interpreter), the device set-up, loading the
data and the plugin, building the model, graph tracing and the test pass. The target: at
most 0.8 of a bare ``python -c "import tensorflow, keras"``, for each cell.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import replace
from typing import Any

from harness.api import VectorizedData
from harness.config import DeviceConfig, RunOptions, TrainingConfig
from harness.execution.forked import FORK, SPAWN
from harness.execution.local import LocalExecutor
from harness.execution.runner import plan_cells, select
from harness.plugin.manager import Registry

CELLS = (
    ("lstm", "bucket"),
    ("lstm", "mask"),
    ("stacked-bilstm", "bucket"),
    ("stacked-bilstm", "mask"),
)
EPOCHS = 2
REPEATS = 2
TARGET = 0.8  # of a bare import


def bare_import_seconds() -> float:
    """Wall time of a fresh interpreter that imports TensorFlow and Keras, and ends."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import tensorflow, keras"], check=True)
    return time.perf_counter() - started


def fixed_seconds(outcome: Any) -> float:
    """The outcome's wall time less its epochs, each at the speed of the later ones."""
    history = outcome.measurements["history"]
    steady = [epoch["train_seconds"] + epoch["validation_seconds"] for epoch in history[1:]]
    return outcome.wall_seconds - len(history) * statistics.mean(steady)


def measure(data: VectorizedData, registry: Registry, training: TrainingConfig) -> dict:
    """Every cell of :data:`CELLS` forked and spawned, and bare imports, interleaved."""
    options = RunOptions(
        architectures=tuple(sorted({name for name, _ in CELLS})),
        paddings=tuple(sorted({padding for _, padding in CELLS})),
        seeds=1,
        data=data.config,
        training=replace(training, max_epochs=EPOCHS, patience=EPOCHS),
        device=DeviceConfig(parallel_cells=1),
    )
    executors = {
        start: LocalExecutor(options.device, None, in_process=False, worker_start=start)
        for start in (FORK, SPAWN)
    }
    machine, device = executors[FORK].machine(), executors[FORK].device()
    cells = {
        (cell.architecture, cell.padding): cell
        for cell in plan_cells(options, select(options, registry), registry, data, machine, device)
    }
    imports: list[float] = []
    fixed: dict[tuple[str, str, str], list[float]] = {}
    with executors[FORK], executors[SPAWN]:
        for _ in range(REPEATS):
            imports.append(bare_import_seconds())
            for key in CELLS:
                for start, executor in executors.items():
                    ((_, outcome),) = executor.outcomes([cells[key]], data, lambda *_: None)
                    if outcome.status != "done":
                        raise RuntimeError(f"{key} {start}: {outcome.status} {outcome.reason}")
                    fixed.setdefault((*key, start), []).append(fixed_seconds(outcome))
    bare = statistics.median(imports)
    return {
        "epochs": EPOCHS,
        "repeats": REPEATS,
        "bare_import_seconds": imports,
        "cells": [
            {
                "architecture": name,
                "padding": padding,
                **{f"{start}_seconds": fixed[(name, padding, start)] for start in (FORK, SPAWN)},
                **{
                    f"{start}_over_import": statistics.median(fixed[(name, padding, start)]) / bare
                    for start in (FORK, SPAWN)
                },
            }
            for name, padding in CELLS
        ],
    }


def render_section(results: dict) -> list[str]:
    bare = statistics.median(results["bare_import_seconds"])
    lines = [
        "",
        "## A cell's fixed cost",
        "",
        f"A cell's wall time less its {results['epochs']} epochs at their steady speed "
        "(training and validation), median of "
        f"{results['repeats']} interleaved runs, against a bare "
        f'`python -c "import tensorflow, keras"` timed in the same run ({bare:.1f} s, median). '
        f"Forked: from the slot's fork server, which imported TensorFlow, Keras and the plugins "
        f"once; spawned: a fresh interpreter for the cell. Target: at most {TARGET} of the "
        "import for each cell.",
        "",
        "| cell | forked s | forked / import | spawned s | spawned / import | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for cell in results["cells"]:
        forked = statistics.median(cell[f"{FORK}_seconds"])
        spawned = statistics.median(cell[f"{SPAWN}_seconds"])
        ratio = cell[f"{FORK}_over_import"]
        lines.append(
            f"| {cell['architecture']}/{cell['padding']} | {forked:.1f} | {ratio:.2f} | "
            f"{spawned:.1f} | {cell[f'{SPAWN}_over_import']:.2f} | "
            f"{'met' if ratio <= TARGET else 'not met'} |"
        )
    return lines
