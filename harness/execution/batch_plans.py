"""The batch plans of a run's cells on JAX or torch, made before they run.

A cell on another Keras backend than TensorFlow trains on the batches its padding strategy's
``tf.data`` pipeline forms, read from a plan (:mod:`harness.batching.plan`), since its worker
does not import TensorFlow. This process, which has TensorFlow, makes each plan once and
keeps it in the data cache beside the splits it indexes, where every cell that needs it
(and every later run) reads it. A machine without TensorFlow can run such cells on a cache
prepared elsewhere, plans included (docs/backends.md).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable

from harness.api import VectorizedData
from harness.batching.plan import PlanRequest, cell_plans, plan_batches
from harness.config import DEFAULT_BACKEND, CellSpec
from harness.data.cache import cached_arrays, plan_path
from harness.errors import HarnessError
from harness.execution.environment import package_version
from harness.plugin.manager import Registry


def make_batch_plans(
    cells: list[CellSpec], data: VectorizedData, registry: Registry, say: Callable[[str], None]
) -> None:
    """Make the plans that ``cells`` on another backend than TensorFlow need and the cache
    lacks; say how many and how long they took. A strategy whose batches no plan can repeat,
    or plans to make without TensorFlow, are a :class:`HarnessError` before any cell runs."""
    wanted: dict[str, tuple[CellSpec, PlanRequest]] = {}
    for cell in cells:
        if cell.backend != DEFAULT_BACKEND:
            wanted |= {request.key: (cell, request) for request in cell_plans(cell)}
    missing = {
        key: wanted[key]
        for key in wanted
        if not (plan_path(data.cache_path, key) / "meta.json").exists()
    }
    if not missing:
        return
    if importlib.util.find_spec("tensorflow") is None:
        raise HarnessError(
            f"{len(missing)} batch plans of --backend {next(iter(missing.values()))[0].backend} "
            f"are not in the data cache {data.cache_path}, and TensorFlow, which forms the "
            "padding strategies' batches, is not installed here: prepare the cache where it "
            "is (docs/backends.md)"
        )
    started = time.perf_counter()
    for key, (cell, request) in missing.items():

        def build(cell: CellSpec = cell, request: PlanRequest = request) -> dict:
            strategy = registry.padding_strategy(cell.padding).item
            try:
                plan = plan_batches(
                    strategy,
                    data.splits[request.split],
                    cell.training.batch_size,
                    training_lengths=data.train.lengths,
                    shuffle_seed=request.shuffle_seed,
                    epochs=request.epochs,
                )
            except ValueError as error:
                raise HarnessError(f"--backend {cell.backend}: {error}") from None
            return plan.arrays()

        description = {
            "padding": cell.padding, "batch_size": cell.training.batch_size,
            "split": request.split, "shuffle_seed": request.shuffle_seed,
            "epochs": request.epochs, "tensorflow": package_version("tensorflow"),
        }  # fmt: skip
        cached_arrays(plan_path(data.cache_path, key), build, description)
    say(
        f"batch plans: {len(missing)} made in {time.perf_counter() - started:.1f} s, kept in "
        f"{data.cache_path / 'plans'}"
    )
