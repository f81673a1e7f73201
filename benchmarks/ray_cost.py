"""What ``--executor ray`` costs against ``--executor local``: the ray section of the
performance report (the ray extra).

    python benchmarks/performance.py --sections ray

Measured side by side in this one process, on this machine:

1. the fixed cost of a cell: the same one-epoch cell, one at a time, in a local worker and
   as a Ray task (fresh worker, data from the object store), interleaved;
2. the once-per-run costs: starting a local Ray cluster, putting the data in its store;
3. cells side by side: ``harness run`` of two seeds of a cell with ``--jobs 2`` against Ray
   with 2 CPUs (one per cell), same cells, same threads per cell;
4. the data goes to each node once: cells on a cluster of two Ray nodes on this machine,
   then where the data's object has copies.
"""

from __future__ import annotations

import pickle
import time
from dataclasses import replace
from pathlib import Path
from statistics import mean
from typing import Any

import ray
from ray.cluster_utils import Cluster

from harness.api import VectorizedData
from harness.config import (
    DeviceConfig,
    ExecutorConfig,
    RunOptions,
    TrainingConfig,
)
from harness.execution.ray_cluster import RayExecutor
from harness.execution.runner import plan_cells, run, select
from harness.plugin.manager import load_registry
from harness.results.schema import measurements_of

FIXED_COST_CELL = ("lstm", "bucket")  # the cell performance.py times in and out of a worker
SIDE_BY_SIDE_CELL = ("gru", "bucket")
REPEATS = 3


def quiet(_: str) -> None:
    """Where the runs' lines go."""


def options(data: VectorizedData, out: Path, cell: tuple[str, str], **changes) -> RunOptions:
    return replace(
        RunOptions(
            architectures=(cell[0],),
            paddings=(cell[1],),
            seeds=1,
            data=data.config,
            out_dir=out,
            cache_dir=data.cache_path.parent,
            force=True,
            quiet=True,
        ),
        **changes,
    )


def fixed_cost(data: VectorizedData, training: TrainingConfig, out: Path) -> dict:
    """One-epoch cells one at a time, alternating local worker and Ray task (2 CPUs, the
    whole cluster, so one at a time with the threads the local worker gets)."""
    one_epoch = replace(training, max_epochs=1)
    ray_executor = ExecutorConfig(executor="ray", cpus_per_cell=2)
    walls: dict[str, list[float]] = {"local": [], "ray": []}
    for repeat in range(REPEATS):
        for name, executor in (("local", ExecutorConfig()), ("ray", ray_executor)):
            rows = run(
                options(data, out / f"fixed-{name}-{repeat}", FIXED_COST_CELL,
                        training=one_epoch, executor=executor),
                say=quiet,
            )  # fmt: skip
            walls[name].append(rows[0]["cell_wall_seconds"])
    return {
        "cell": "/".join(FIXED_COST_CELL),
        "repeats": REPEATS,
        "local_cell_seconds": walls["local"],
        "ray_cell_seconds": walls["ray"],
        "ray_extra_seconds": mean(walls["ray"]) - mean(walls["local"]),
    }


def side_by_side(
    data: VectorizedData, training: TrainingConfig, out: Path, epochs_each: int
) -> dict:
    """Two seeds of a cell of ``epochs_each`` epochs: ``--jobs 2`` locally, then Ray with one
    CPU for each."""
    epochs = replace(training, max_epochs=epochs_each, patience=epochs_each)
    row: dict = {"cell": "/".join(SIDE_BY_SIDE_CELL), "epochs": epochs_each}
    runs: dict[str, dict[str, Any]] = {
        "local_jobs_2": {"device": DeviceConfig(parallel_cells=2)},
        "ray_2_cpus": {"executor": ExecutorConfig(executor="ray", cpus_per_cell=1)},
    }
    for name, changes in runs.items():
        started = time.perf_counter()
        rows = sorted(
            run(
                options(data, out / name, SIDE_BY_SIDE_CELL, seeds=2, training=epochs, **changes),
                say=quiet,
            ),
            key=lambda row: row["seed"],
        )
        row[name] = {
            "wall_seconds": time.perf_counter() - started,
            "accuracies": [measurements_of(r)["test_accuracy"] for r in rows],
            "examples_per_second": [measurements_of(r)["train_examples_per_second"] for r in rows],
            "threads": rows[0]["device"]["threads_used"],
        }
    row["ray_over_local"] = row["ray_2_cpus"]["wall_seconds"] / row["local_jobs_2"]["wall_seconds"]
    return row


def copies_per_node(data: VectorizedData, training: TrainingConfig, out: Path) -> dict:
    """Four one-epoch cells on two Ray nodes (one CPU each) of this machine; the nodes that
    hold a copy of the data afterwards."""
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "object_store_memory": 300 * 2**20},
    )
    cluster.add_node(num_cpus=1, object_store_memory=300 * 2**20)
    try:
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
        one_epoch = replace(training, max_epochs=1)
        run_options = options(
            data, out / "two-nodes", ("bag-of-embeddings", "bucket"), seeds=4, training=one_epoch
        )
        registry = load_registry()
        executor = RayExecutor(ExecutorConfig(executor="ray"), DeviceConfig(), None)
        cells = plan_cells(
            run_options, select(run_options, registry), registry, data,
            executor.machine(), executor.device(),
        )  # fmt: skip
        with executor:
            outcomes = [outcome for _, outcome in executor.outcomes(cells, data, lambda *_: None)]
            locations = ray.experimental.get_object_locations([executor.data_ref])
        where = locations[executor.data_ref]
        return {
            "nodes": executor.cluster["nodes"],
            "cells": len(outcomes),
            "statuses": sorted({outcome.status for outcome in outcomes}),
            "cells_per_node": sorted(
                [outcome.executor["node_id"] for outcome in outcomes].count(node)
                for node in {outcome.executor["node_id"] for outcome in outcomes}
            ),
            "nodes_holding_the_data": len(where["node_ids"]),
            "data_bytes": where["object_size"],
        }
    finally:
        ray.shutdown()
        cluster.shutdown()


def measure(data: VectorizedData, out: Path, side_by_side_epochs: int) -> dict:
    """Every measurement of the module's list, in this process; ``side_by_side_epochs``:
    the epochs of each cell of the third."""
    training = TrainingConfig()
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    cluster_start = time.perf_counter() - started
    started = time.perf_counter()
    ray.put(data)
    put_seconds = time.perf_counter() - started
    try:
        results = {
            "cluster_start_seconds": cluster_start,
            "data_put_seconds": put_seconds,
            "data_pickled_bytes": len(pickle.dumps(data, protocol=5)),
            "fixed_cost": fixed_cost(data, training, out),
            "side_by_side": side_by_side(data, training, out, side_by_side_epochs),
        }
    finally:
        ray.shutdown()
    results["copies"] = copies_per_node(data, training, out)
    return results
