"""Where one cell's time goes: each phase of a default cell, timed in a fresh interpreter of
its own as a worker runs it.

    python benchmarks/cell_phases.py --arch lstm --arch stacked-bilstm --padding bucket

For each architecture x padding strategy (seed 0, the run's defaults, one cell at a time):
the interpreter's imports (TensorFlow, Keras and the training stage, as
``harness.execution.worker`` imports them), the device setup, loading the cached data and
the cell's plugins, the first epoch's training (graph tracing included) and the mean of the
others, the first validation pass (traced) and the mean of the others, and the two passes
over the test rows (the first traced and scored, the second timed for inference
throughput). A cell's fixed cost is its whole time less its epochs and validation passes
at their steady (later) speed. Prints one JSON object per cell.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()


def time_cell(spec_json: str) -> dict[str, Any]:
    """Run the cell ``spec_json`` describes here, in a fresh interpreter, timing its phases."""
    from harness.execution.worker import import_training

    import_training()
    imports = time.perf_counter() - STARTED

    import keras

    from harness.config import CellSpec
    from harness.data.cache import load_prepared
    from harness.execution.worker import configure_this_process
    from harness.plugin.manager import load_cell_plugins
    from harness.training.fit import train_and_score

    spec = CellSpec.from_dict(json.loads(spec_json))
    phases: dict[str, Any] = {"imports": imports}
    phases["device_setup"], _ = _timed(lambda: configure_this_process(spec.device))
    phases["data_loading"], data = _timed(lambda: load_prepared(Path(spec.data_cache_path)))
    phases["plugin_loading"], registry = _timed(
        lambda: load_cell_plugins(spec.plugin.get("name", ""), spec.padding)
    )
    passes: dict[str, list[float]] = {"evaluate": [], "predict": []}
    for method, seconds in passes.items():
        _record_calls(keras.Model, method, seconds)
    phases["train_and_score"], measurements = _timed(
        lambda: train_and_score(spec, data, registry, report=lambda line: None)
    )
    epochs = [epoch["train_seconds"] for epoch in measurements["history"]]
    validation = passes["evaluate"]
    later_epoch = sum(epochs[1:]) / max(1, len(epochs) - 1)
    later_validation = sum(validation[1:]) / max(1, len(validation) - 1)
    total = sum(phases.values())
    return {
        "architecture": spec.architecture,
        "padding": spec.padding,
        "epochs": len(epochs),
        **phases,
        "first_epoch": epochs[0],
        "later_epoch_mean": later_epoch,
        "first_validation": validation[0],
        "later_validation_mean": later_validation,
        "test_passes": passes["predict"],
        "fixed_cost": total - later_epoch * len(epochs) - later_validation * len(validation),
    }


def _record_calls(owner: type, method: str, seconds: list[float]) -> None:
    """Make ``owner.method`` append each call's duration to ``seconds``."""
    untimed = getattr(owner, method)

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return untimed(self, *args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    setattr(owner, method, timed)


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def cell_specs(architectures: list[str], paddings: list[str], data_source: str) -> list[str]:
    """The seed-0 cells of ``architectures`` x ``paddings`` with the run's defaults, one cell
    at a time on this machine, as JSON; their data prepared and cached."""
    from harness.config import DataConfig, DeviceConfig, RunOptions
    from harness.data.vectorize import prepare
    from harness.execution.local import LocalExecutor
    from harness.execution.runner import plan_cells, select
    from harness.plugin.manager import load_registry

    registry = load_registry()
    options = RunOptions(
        architectures=tuple(architectures),
        paddings=tuple(paddings),
        seeds=1,
        data=DataConfig(source=data_source),
        device=DeviceConfig(parallel_cells=1),
    )
    selection = select(options, registry)
    prepared = prepare(options.data, registry)
    executor = LocalExecutor(options.device, None, in_process=False)
    cells = plan_cells(
        options, selection, registry, prepared, executor.machine(), executor.device()
    )
    return [json.dumps(asdict(cell), default=str) for cell in cells]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", action="append", default=[], help="repeatable")
    parser.add_argument("--padding", action="append", default=[], help="repeatable")
    parser.add_argument("--data", default="ag-news-sample")
    parser.add_argument("--cell", help=argparse.SUPPRESS)  # a cell's JSON: time it here
    args = parser.parse_args()
    if args.cell:
        print(json.dumps(time_cell(args.cell)))
        return
    for spec in cell_specs(args.arch or ["lstm"], args.padding or ["bucket"], args.data):
        subprocess.run([sys.executable, __file__, "--cell", spec], check=True)


if __name__ == "__main__":
    main()
