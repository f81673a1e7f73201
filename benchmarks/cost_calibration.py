"""Fit the a-priori constants of harness/execution/cost.py to a results file, and show how
close the module's a-priori estimate comes to it, cell by cell and in total.

    python benchmarks/cost_calibration.py RESULTS [--data SOURCE]

The file's cells must share one data set (``--data`` replaces its recorded source, e.g.
where the path was relative to another folder). The model, as the module states it:
wall = fixed + epochs x (steps x (step + recurrent step if width) + padded tokens x width x
per token) x the one-thread slowdown; ``fixed`` is the median over the cells without a width
of wall - epochs x seconds per epoch, the rest a non-negative least-squares fit of the
relative error with the epochs each cell ran.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import nnls

from harness.config import CellSpec, DataConfig, DeviceConfig, TrainingConfig
from harness.data.vectorize import prepare
from harness.execution import cost
from harness.plugin.manager import load_registry
from harness.results.log import read_rows
from harness.results.schema import ResultRow, Status, measurements_of


def calibrate(results: Path, source: str | None) -> dict[str, Any]:
    rows = [row for row in read_rows(results) if row["status"] == Status.DONE]
    names = {field.name for field in dataclasses.fields(DataConfig)}
    config = DataConfig(**{k: v for k, v in rows[0]["data"].items() if k in names})
    registry = load_registry()
    data = prepare(replace(config, source=source) if source else config, registry)
    padded = {
        (padding, batch): cost.padded_tokens(
            data.train.lengths, batch, registry.padding_strategy(padding).item
        )
        for padding, batch in {(row["padding"], row["training"]["batch_size"]) for row in rows}
    }

    def tokens(row: ResultRow) -> float:
        return padded[(row["padding"], row["training"]["batch_size"])]

    def steps(row: ResultRow) -> float:
        return len(data.train) / row["training"]["batch_size"]

    fixed = statistics.median(
        row["cell_wall_seconds"]
        - measurements_of(row)["epochs_run"] * measurements_of(row)["seconds_per_epoch"]
        for row in rows
        if not cost.width(row["params"])
    )
    terms, targets, weights = [], [], []
    for row in rows:
        epochs, wide = measurements_of(row)["epochs_run"], cost.width(row["params"])
        terms.append(
            [epochs * steps(row), epochs * steps(row) * (wide > 0), epochs * tokens(row) * wide]
        )
        targets.append((row["cell_wall_seconds"] - fixed) / cost.row_thread_slowdown(row))
        weights.append(1 / row["cell_wall_seconds"])
    weighted = np.array(terms) * np.array(weights)[:, None]
    step, recurrent_step, per_token = nnls(weighted, np.array(targets) * np.array(weights))[0]
    constants = {
        "FIXED_SECONDS": round(fixed, 1),
        "BEST_EPOCH": round(statistics.median(measurements_of(r)["best_epoch"] for r in rows)),
        "STEP_SECONDS": float(f"{step:.2g}"),
        "RECURRENT_STEP_SECONDS": float(f"{recurrent_step:.2g}"),
        "SECONDS_PER_PADDED_TOKEN_PER_WIDTH": float(f"{per_token:.2g}"),
    }
    return {"fitted": constants, **_check(rows, tokens, len(data.train))}


def _check(rows: list[ResultRow], tokens: Any, train_rows: int) -> dict[str, Any]:
    """The module's a-priori estimate of each cell against its wall time."""
    pairs: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        device = row["device"]
        spec = CellSpec(
            architecture=row["architecture"],
            params=row["params"],
            padding=row["padding"],
            seed=row["seed"],
            training=TrainingConfig(**row["training"]),
            device=DeviceConfig(
                device=device.get("device", "auto"),
                threads=device.get("threads"),
                parallel_cells=device.get("parallel_cells") or 1,
            ),
            data=row["data"],
            data_cache_path="",
            machine={"cores": row["host"].get("cores"), "gpus": row["host"].get("gpus")},
        )
        expected = cost.a_priori_seconds(spec, tokens(row), train_rows)
        name = f"{row['architecture']} / {row['padding']}"
        pairs.setdefault(name, []).append((expected, row["cell_wall_seconds"]))
    flat = [pair for cell in pairs.values() for pair in cell]
    return {
        "a_priori_cell_seconds": round(sum(expected for expected, _ in flat)),
        "actual_cell_seconds": round(sum(wall for _, wall in flat)),
        "median_cell_error": round(statistics.median(abs(e / w - 1) for e, w in flat), 2),
        "cells (a priori, actual mean)": {
            name: [round(cell[0][0], 1), round(statistics.mean(w for _, w in cell), 1)]
            for name, cell in sorted(pairs.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--data", default=None, help="The data's source, if moved.")
    args = parser.parse_args()
    print(json.dumps(calibrate(args.results, args.data), indent=2))


if __name__ == "__main__":
    main()
