"""What each cell is expected to cost, in seconds: to run the longest first, and to say before
the first cell how long the whole run will take. An estimate, not a promise.

A cell's expected wall time comes, in this order of preference, from

1. **earlier rows of the same results file**: finished cells of the same architecture,
   hyperparameters and padding strategy (on this kind of machine when there are such
   rows, else on any), their mean wall time; when their data or threads differ, the part
   beyond :data:`FIXED_SECONDS` is scaled by the padded tokens an epoch feeds now against
   then, and by :data:`ONE_THREAD_SLOWDOWN` between one thread and more;
2. **earlier rows of the same architecture and hyperparameters under another padding
   strategy**, scaled the same way (their epochs are kept: a strategy's own are not known);
3. **a priori**: :data:`FIXED_SECONDS` + expected epochs x (optimiser steps x seconds a
   step + padded tokens x seconds a padded token), where a padded token costs more the
   wider the architecture (:func:`width`: the product of its whole-number hyperparameters,
   e.g. depth x units) and a recurrent one's step costs more.

Padded tokens an epoch are simulated from the training split's lengths in a shuffled
order, the batch size and what the strategy states its batches cost (``padded_tokens``;
padded to the longest row of a batch when it states nothing); TensorFlow is not needed.
A cell on a CPU with one thread (``--jobs`` cells sharing the cores) takes
longer than one with two or more: cells side by side each train more slowly, and the run
gains mostly where single-threaded work (starting a worker, tracing, scoring) overlaps.

The a-priori constants are fitted by ``python benchmarks/cost_calibration.py RESULTS``
(non-negative least squares on the relative error) to the cells of a ``harness run --all``
on the embedded AG News sample on a 2-core CPU (see CHANGELOG.md for the fit in use and
its error). On another machine, or a GPU, they are off by that machine's
speed until its own rows exist.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from statistics import mean
from typing import Any

import numpy as np

from harness import api
from harness.api import PaddingStrategy, VectorizedData
from harness.config import CellSpec, Params
from harness.execution.devices import threads_per_cell
from harness.results.schema import ResultRow, Status

# Fitted by benchmarks/cost_calibration.py (see above):
FIXED_SECONDS = 2.0  # a cell's cost besides its epochs: worker, tracing, scoring
BEST_EPOCH = 6  # median best epoch; a cell runs `patience` epochs beyond its best
STEP_SECONDS = 0.0078  # an optimiser step (the embedding's update dominates)
RECURRENT_STEP_SECONDS = 0.0  # more, for an architecture with a width
SECONDS_PER_PADDED_TOKEN_PER_WIDTH = 7.5e-8
# Measured side by side on the 2-core machine (bilstm/mask, 3 epochs): alone with
# TensorFlow's threads 1,552-1,607 examples/s, alone with one thread 993, two cells side
# by side with one thread each 782-887.
ONE_THREAD_SLOWDOWN = 1.8

LONG_RUN_SECONDS = 3600  # beyond this, the estimate says what would shorten the run
MIN_ADVISED_TRAIN_ROWS = 100  # fewer training rows than this are no advice worth giving
HISTORY = "history"
A_PRIORI = "a priori"


@dataclass(frozen=True)
class CellCost:
    """A cell's expected wall time in seconds, and whether it comes from earlier rows."""

    seconds: float
    basis: str  # HISTORY or A_PRIORI


@dataclass(frozen=True)
class RunEstimate:
    """The expected cost of a run's cells, run ``cells_at_a_time`` at once, longest first."""

    costs: list[CellCost]
    cells_at_a_time: int
    rows_used: int  # earlier rows the estimate drew on

    @cached_property
    def cell_seconds(self) -> float:
        return sum(cost.seconds for cost in self.costs)

    @cached_property
    def wall_seconds(self) -> float:
        return wall_seconds([cost.seconds for cost in self.costs], self.cells_at_a_time)


def estimate_run(
    cells: list[CellSpec],
    data: VectorizedData,
    rows: Iterable[ResultRow],
    strategies: Mapping[str, PaddingStrategy],
    machine: Mapping[str, Any],
    cells_at_a_time: int,
) -> RunEstimate:
    """The expected cost of each of ``cells`` (in their order) on ``data``, from the earlier
    ``rows`` of the results file where they tell, else a priori. ``strategies``: the
    padding strategies by name; ``machine``: the executor's, to prefer rows measured on it."""
    finished = [row for row in rows if _measured(row)]
    described = json.loads(json.dumps(data.describe(), default=str))  # as rows hold it
    real_tokens = float(np.sum(data.train.lengths))
    padded = {
        (padding, batch): padded_tokens(data.train.lengths, batch, strategies[padding])
        for padding, batch in {(cell.padding, cell.training.batch_size) for cell in cells}
    }
    rows_now = len(data.train)
    costs: list[CellCost] = []
    used: set[int] = set()
    for cell in cells:
        now = padded[(cell.padding, cell.training.batch_size)]
        same = [row for row in finished if _same_architecture(row, cell)]
        same = [row for row in same if row["padding"] == cell.padding] or same
        here = [row for row in same if _same_machine(row, machine)]
        if here or same:
            chosen = here or same
            used.update(id(row) for row in chosen)
            seconds = mean(
                _scaled(row, cell, row["data"] == described, now, real_tokens, rows_now)
                for row in chosen
            )
            costs.append(CellCost(seconds, HISTORY))
        else:
            costs.append(CellCost(a_priori_seconds(cell, now, rows_now), A_PRIORI))
    return RunEstimate(costs, cells_at_a_time, len(used))


def longest_first(
    cells: list[CellSpec], estimate: RunEstimate
) -> tuple[list[CellSpec], RunEstimate]:
    """``cells`` and their costs, the most expensive first (ties keep their order), so that
    no slot sits idle at the end while one long cell finishes."""
    pairs = sorted(zip(cells, estimate.costs, strict=True), key=lambda pair: -pair[1].seconds)
    return [cell for cell, _ in pairs], replace(estimate, costs=[cost for _, cost in pairs])


def a_priori_seconds(cell: CellSpec, padded_tokens_per_epoch: float, train_rows: int) -> float:
    """Expected wall time of ``cell`` with nothing measured (see the module's docstring)."""
    epochs = min(cell.training.max_epochs, BEST_EPOCH + cell.training.patience)
    cell_width = width(cell.params)
    steps = train_rows / cell.training.batch_size
    per_epoch = (
        steps * (STEP_SECONDS + (RECURRENT_STEP_SECONDS if cell_width else 0.0))
        + padded_tokens_per_epoch * SECONDS_PER_PADDED_TOKEN_PER_WIDTH * cell_width
    )
    return FIXED_SECONDS + epochs * per_epoch * thread_slowdown(cell)


def thread_slowdown(cell: CellSpec) -> float:
    """:data:`ONE_THREAD_SLOWDOWN` for a cell on a CPU with one thread, else 1."""
    machine, device = cell.machine, cell.device
    kind = device.device.partition(":")[0]
    on_gpu = kind == "gpu" or (
        kind == "auto" and bool(machine.get("gpus") or machine.get("gpus_per_cell"))
    )
    cores = machine.get("cores")
    threads = (threads_per_cell(device, cores) if cores else device.threads) or cores or 2
    return ONE_THREAD_SLOWDOWN if threads == 1 and not on_gpu else 1.0


def row_thread_slowdown(row: ResultRow) -> float:
    device = row["device"]
    threads = device.get("threads_used") or row["host"].get("cores") or 2
    on_cpu = device.get("used", "CPU") == "CPU"
    return ONE_THREAD_SLOWDOWN if threads == 1 and on_cpu else 1.0


def width(params: Params) -> int:
    """The product of the whole-number hyperparameters (units, depth...); 0 without any."""
    numbers = [value for value in params.values() if type(value) is int and value > 0]
    return math.prod(numbers) if numbers else 0


def padded_tokens(
    lengths: np.ndarray, batch_size: int, strategy: PaddingStrategy, seed: int = 0
) -> float:
    """Tokens an epoch feeds, padding included: the rows of ``lengths`` in a shuffled order,
    batched as ``strategy`` states (:func:`harness.api.padded_tokens`)."""
    shuffled = np.random.default_rng(seed).permutation(np.asarray(lengths))
    return api.padded_tokens(strategy, shuffled, batch_size)


def wall_seconds(costs: list[float], slots: int) -> float:
    """Wall time of running ``costs`` longest first on ``slots`` slots."""
    return makespan(sorted(costs, reverse=True), slots)


def makespan(durations: Iterable[float], slots: int) -> float:
    """When the last cell ends if each, in the order given, starts on the slot that frees
    up first."""
    finish = [0.0] * max(1, slots)
    for duration in durations:
        heapq.heappush(finish, heapq.heappop(finish) + duration)
    return max(finish)


def _measured(row: ResultRow) -> bool:
    measurements = row["measurements"]
    return (
        row["status"] == Status.DONE
        and measurements is not None
        and bool(row["cell_wall_seconds"])
        and measurements.get("padded_share") is not None
    )


def _same_architecture(row: ResultRow, cell: CellSpec) -> bool:
    return row["architecture"] == cell.architecture and row["params"] == cell.params


def _same_machine(row: ResultRow, machine: Mapping[str, Any]) -> bool:
    host = row["host"]
    return host.get("cpu") == machine.get("cpu") and host.get("cores") == machine.get("cores")


def _scaled(
    row: ResultRow, cell: CellSpec, same_data: bool, padded_now: float, real_now: float, rows: int
) -> float:
    """``row``'s wall time, its part beyond :data:`FIXED_SECONDS` scaled by the padded tokens
    an epoch of ``cell`` feeds now (``padded_now``) against then, and by its threads now
    against then. When the data differ, a row's tokens are taken as proportional to its
    training rows (rows record their count, not their tokens); ``real_now`` and ``rows``:
    the tokens and rows now."""
    wall = row["cell_wall_seconds"]
    factor = thread_slowdown(cell) / row_thread_slowdown(row)
    if not (same_data and row["padding"] == cell.padding):
        measurements = row["measurements"]
        assert measurements is not None
        then_rows = row["data"].get("rows", {}).get("train") or rows
        padded_then = real_now * then_rows / rows / (1 - measurements["padded_share"])
        factor *= padded_now / padded_then
    if factor == 1:
        return wall
    return FIXED_SECONDS + max(0.0, wall - FIXED_SECONDS) * factor


def remaining_seconds(
    expected_left: list[float], observed_done: float, expected_done: float, slots: int
) -> float:
    """Expected wall time of the cells not yet finished, scaled by how the finished cells
    compared with their estimates (observed over expected)."""
    ratio = observed_done / expected_done if expected_done > 0 else 1.0
    return ratio * wall_seconds(expected_left, slots)


def estimate_line(estimate: RunEstimate) -> str:
    """One line: cells, expected cell time, expected wall time, and what it rests on."""
    costs = estimate.costs
    from_history = sum(cost.basis == HISTORY for cost in costs)
    if not costs:
        basis = "nothing to run"
    elif from_history == len(costs):
        basis = f"from {estimate.rows_used} earlier rows of the results file"
    elif from_history:
        basis = (
            f"{from_history} cells from {estimate.rows_used} earlier rows, "
            f"{len(costs) - from_history} a priori"
        )
    else:
        basis = "a priori: no earlier rows of these cells in the results file"
    at_once = estimate.cells_at_a_time
    side_by_side = "one at a time" if at_once == 1 else f"{at_once} at a time"
    return (
        f"estimate: {len(costs)} cells, ~{duration(estimate.cell_seconds)} of cell time, "
        f"~{duration(estimate.wall_seconds)} with {side_by_side} ({basis})"
    )


def long_run_advice(
    estimate: RunEstimate,
    *,
    cores: int,
    gpus: int,
    device: str,
    executor: str,
    train_rows: int,
) -> str | None:
    """What would shorten a run expected to take longer than :data:`LONG_RUN_SECONDS`."""
    wall = estimate.wall_seconds
    if wall <= LONG_RUN_SECONDS:
        return None
    ways = []
    if executor == "local" and estimate.cells_at_a_time < cores:
        ways.append(f"more cells at a time (--jobs {cores}: this machine has {cores} cores)")
    if device.startswith("cpu") and gpus:
        ways.append("the GPU (--device gpu)")
    elif not gpus and executor == "local":
        ways.append("a machine with a GPU (--device gpu)")
    if executor == "local":
        ways.append("a Ray cluster (--executor ray, see docs/cluster.md)")
    rows_in_an_hour = _two_digits(train_rows * LONG_RUN_SECONDS / wall)
    if MIN_ADVISED_TRAIN_ROWS <= rows_in_an_hour < train_rows:
        ways.append(f"fewer training rows (--max-train {rows_in_an_hour} takes about an hour)")
    return f"that is long; to shorten it: {'; '.join(ways)}"


def duration(seconds: float) -> str:
    """``95 s``, ``31 min``, ``2.5 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _two_digits(number: float) -> int:
    """``number`` rounded down to two significant digits (at least 1)."""
    if number < 100:
        return max(1, int(number))
    scale = 10 ** (int(math.log10(number)) - 1)
    return int(number // scale * scale)
