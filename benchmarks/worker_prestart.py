"""Starting each slot's next worker while its cell trains, against starting it when its cell
does: the same tiny cells through the local executor both ways, interleaved, in one process.

    python benchmarks/worker_prestart.py --data ag-news-sample --max-train 500

A cell is one epoch of ``bag-of-embeddings``, so that a worker's fixed cost (a fresh
interpreter importing TensorFlow and Keras) is a large part of it; the gain per cell is
that fixed cost less what overlapping it with the training costs the training. Prints one
JSON object (see :func:`prestart_gain`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from harness.config import DataConfig, DeviceConfig, RunOptions, TrainingConfig
from harness.data.vectorize import prepare
from harness.execution.forked import SPAWN
from harness.execution.local import LocalExecutor
from harness.execution.runner import plan_cells, select
from harness.plugin.manager import load_registry


def prestart_gain(
    data: DataConfig,
    cells: int = 6,
    repeats: int = 2,
    jobs: int = 1,
    cache_dir: Path | None = None,
    architecture: str = "bag-of-embeddings",
    padding: str = "bucket",
) -> dict[str, Any]:
    """Run ``cells`` one-epoch cells (seeds 0..cells-1) ``repeats`` times with prestarting off
    and on, alternating which goes first; ``jobs`` cells at a time.

    Returns the wall times of each pass (``off_seconds``, ``on_seconds``), the ratio of
    their means (off / on: above 1, prestarting is faster), the seconds saved per cell, and
    the mean ``cell_wall_seconds`` each way (with prestarting, a cell's wall time counts
    from the hand-over to its warm worker).
    """
    registry = load_registry()
    options = RunOptions(
        architectures=(architecture,),
        paddings=(padding,),
        seeds=cells,
        data=data,
        training=TrainingConfig(max_epochs=1),
        device=DeviceConfig(parallel_cells=jobs),
    )
    prepared = prepare(data, registry, cache_dir)
    walls: dict[bool, list[float]] = {False: [], True: []}
    cell_walls: dict[bool, list[float]] = {False: [], True: []}
    for repeat in range(repeats):
        for prestart in (False, True) if repeat % 2 == 0 else (True, False):
            executor = LocalExecutor(
                options.device, None, in_process=False, prestart=prestart, worker_start=SPAWN
            )
            specs = plan_cells(
                options,
                select(options, registry),
                registry,
                prepared,
                executor.machine(),
                executor.device(),
            )
            started = time.perf_counter()
            with executor:
                outcomes = [outcome for _, outcome in executor.outcomes(specs, prepared, _quiet)]
            walls[prestart].append(time.perf_counter() - started)
            failed = [outcome.reason for outcome in outcomes if outcome.status != "done"]
            if failed:
                raise RuntimeError(f"a benchmark cell failed: {failed[0]}")
            cell_walls[prestart].extend(outcome.wall_seconds for outcome in outcomes)
    off, on = statistics.mean(walls[False]), statistics.mean(walls[True])
    return {
        "architecture": architecture,
        "padding": padding,
        "train_rows": len(prepared.train),
        "cells": cells,
        "jobs": jobs,
        "repeats": repeats,
        "off_seconds": walls[False],
        "on_seconds": walls[True],
        "ratio": off / on,
        "seconds_saved_per_cell": (off - on) / cells,
        "cell_wall_seconds_off": statistics.mean(cell_walls[False]),
        "cell_wall_seconds_on": statistics.mean(cell_walls[True]),
    }


def _quiet(*_: object) -> None:
    """Progress lines are not wanted here."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DataConfig.source)
    parser.add_argument("--max-train", type=int, default=500)
    parser.add_argument("--cells", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    data = DataConfig(source=args.data, max_train=args.max_train)
    result = prestart_gain(data, args.cells, args.repeats, args.jobs, args.cache_dir)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
