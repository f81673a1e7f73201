"""The cost model: expected seconds of each cell from earlier rows or a priori, the queue
longest first, and the estimate of a whole run with its advice when the run is long.

Inputs are made up (lengths, rows): no training, no TensorFlow.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers.result_rows import result_row

from harness.api import VectorizedData, VectorizedSplit
from harness.batching.padding import BucketByLength, PadToLongestInBatch
from harness.config import CellSpec, DataConfig, DeviceConfig, TrainingConfig
from harness.execution import cost
from harness.execution.cost import (
    A_PRIORI,
    HISTORY,
    CellCost,
    RunEstimate,
    estimate_line,
    estimate_run,
    long_run_advice,
    longest_first,
    padded_tokens,
    remaining_seconds,
    wall_seconds,
)

STRATEGIES = {
    "none": PadToLongestInBatch("none", "pads seen", masks=False),
    "mask": PadToLongestInBatch("mask", "pads masked", masks=True),
    "bucket": BucketByLength(),
}
MACHINE = {"cpu": "A CPU", "cores": 2, "gpus": []}
# The built-in matrix and its hyperparameters
BUILT_INS = {
    "bag-of-embeddings": {},
    "simple-rnn": {"units": 16},
    "gru": {"units": 16},
    "lstm": {"units": 8},
    "bilstm": {"units": 64},
    "stacked-bilstm": {"depth": 2, "units": 64},
}


def news_like(train_rows: int, seed: int = 0) -> VectorizedData:
    """Vectorised splits with AG News's length profile (about 40 tokens, a long tail)."""
    rng = np.random.default_rng(seed)

    def split(rows: int) -> VectorizedSplit:
        lengths = np.clip(rng.lognormal(3.6, 0.35, rows).astype("int32"), 1, 200)
        return VectorizedSplit(
            np.ones(int(lengths.sum()), "int32"), lengths, rng.integers(0, 4, rows)
        )

    return VectorizedData(
        config=DataConfig(source="news"),
        fingerprint=f"sha256:{train_rows}",
        class_names=["World", "Sports", "Business", "Sci/Tech"],
        fields=("title", "description"),
        notes=[],
        vocabulary=["", "[UNK]"],
        splits={"train": split(train_rows), "validation": split(100), "test": split(100)},
        source_rows={},
        rows_without_tokens={"train": 0, "validation": 0, "test": 0},
        cache_path=Path("/nonexistent"),
    )


def cells_of(data: VectorizedData, seeds: int = 3, **training: int) -> list[CellSpec]:
    return [
        CellSpec(
            architecture=name,
            params=params,
            padding=padding,
            seed=seed,
            training=TrainingConfig(**training),
            device=DeviceConfig(parallel_cells=2),
            data=data.describe(),
            data_cache_path="",
            machine=MACHINE,
        )
        for name, params in BUILT_INS.items()
        for padding in STRATEGIES
        for seed in range(seeds)
    ]


def earlier_row(cell: CellSpec, data: VectorizedData, wall: float) -> dict:
    """A finished row of ``cell`` on ``data``, as the results file holds it, with the padded
    share that the cost model simulates."""
    lengths = data.train.lengths
    share = 1 - lengths.sum() / padded_tokens(lengths, 128, STRATEGIES[cell.padding])
    row = result_row(config_hash=cell.config_hash())
    row.update(architecture=cell.architecture, params=cell.params, padding=cell.padding)
    row.update(seed=cell.seed, cell_wall_seconds=wall, data=copy.deepcopy(data.describe()))
    row["measurements"] = {**row["measurements"], "padded_share": share}
    row["device"] = {**row["device"], "parallel_cells": 2, "threads_used": 1}  # as the cells
    return row


def test_padding_to_the_longest_feeds_more_than_bucketing():
    lengths = news_like(5000).train.lengths
    real = lengths.sum()
    longest = padded_tokens(lengths, 128, STRATEGIES["mask"])
    bucketed = padded_tokens(lengths, 128, STRATEGIES["bucket"])
    assert real < bucketed < longest
    assert 1 - real / bucketed < 0.2 < 1 - real / longest  # the sample: 0.09 and 0.57


def test_a_priori_the_wider_the_architecture_the_longer_and_the_queue_runs_longest_first():
    data = news_like(5000)
    cells = cells_of(data)
    estimate = estimate_run(cells, data, [], STRATEGIES, MACHINE, cells_at_a_time=2)
    assert {c.basis for c in estimate.costs} == {A_PRIORI} and estimate.rows_used == 0
    by_cell = {
        (c.architecture, c.padding): e.seconds for c, e in zip(cells, estimate.costs, strict=True)
    }
    assert by_cell[("stacked-bilstm", "mask")] > by_cell[("bilstm", "mask")]
    assert by_cell[("bilstm", "mask")] > by_cell[("lstm", "mask")]
    assert by_cell[("lstm", "mask")] > by_cell[("bag-of-embeddings", "mask")]
    assert by_cell[("lstm", "mask")] > by_cell[("lstm", "bucket")]

    ordered, ordered_estimate = longest_first(cells, estimate)
    seconds = [cost.seconds for cost in ordered_estimate.costs]
    assert seconds == sorted(seconds, reverse=True)
    assert ordered[0].architecture == "stacked-bilstm"
    assert sorted(c.config_hash() for c in ordered) == sorted(c.config_hash() for c in cells)
    assert ordered_estimate.cell_seconds == pytest.approx(estimate.cell_seconds)
    assert estimate.cell_seconds / 2 <= estimate.wall_seconds < estimate.cell_seconds


def test_earlier_rows_of_the_same_cell_decide_and_rows_of_other_data_are_scaled():
    data = news_like(5000)
    (cell,) = [c for c in cells_of(data, seeds=1) if c.label == "gru / mask / seed 0"]
    other_seed = earlier_row(cell, data, wall=40.0)
    other_seed["seed"] = 1
    rows = [earlier_row(cell, data, wall=50.0), other_seed]
    estimate = estimate_run([cell], data, rows, STRATEGIES, MACHINE, 1)
    assert estimate.costs == [CellCost(45.0, HISTORY)] and estimate.rows_used == 2

    elsewhere = copy.deepcopy(rows)
    for row in elsewhere:
        row["host"] = {**row["host"], "cpu": "Another CPU"}
        row["cell_wall_seconds"] = 500.0
    estimate = estimate_run([cell], data, [*rows, *elsewhere], STRATEGIES, MACHINE, 1)
    assert estimate.costs == [CellCost(45.0, HISTORY)]  # this machine's rows first

    bigger = news_like(50_000, seed=1)
    (big_cell,) = [c for c in cells_of(bigger, seeds=1) if c.label == "gru / mask / seed 0"]
    scaled = estimate_run([big_cell], bigger, rows, STRATEGIES, MACHINE, 1).costs[0]
    assert scaled.basis == HISTORY
    assert 8 * 45 < scaled.seconds < 12 * 45  # ten times the rows: about ten times the epochs


def test_rows_under_another_padding_are_scaled_by_its_padded_tokens():
    data = news_like(5000)
    cells = {c.label: c for c in cells_of(data, seeds=1)}
    row = earlier_row(cells["gru / mask / seed 0"], data, wall=100.0)
    bucket = estimate_run([cells["gru / bucket / seed 0"]], data, [row], STRATEGIES, MACHINE, 1)
    assert bucket.costs[0].basis == HISTORY
    assert cost.FIXED_SECONDS < bucket.costs[0].seconds < 0.7 * 100


def test_the_estimate_line_and_what_would_shorten_a_long_run():
    """The 120,000 training rows of AG News on a 2-core machine: hours, and the ways to
    shorten it, from the cost model alone."""
    data = news_like(120_000)
    cells = cells_of(data)
    estimate = estimate_run(cells, data, [], STRATEGIES, MACHINE, 2)
    line = estimate_line(estimate)
    assert line.startswith("estimate: 54 cells, ~")
    assert "h of cell time, ~" in line and "h with 2 at a time (a priori" in line
    assert estimate.wall_seconds > 3 * 3600
    advice = long_run_advice(
        estimate, cores=2, gpus=0, device="auto", executor="local", train_rows=120_000
    )
    assert advice is not None
    assert "--device gpu" in advice and "--executor ray" in advice and "docs/cluster.md" in advice
    assert "--max-train " in advice
    assert "--jobs" not in advice  # both cores are in use already
    on_eight = long_run_advice(
        estimate, cores=8, gpus=0, device="auto", executor="local", train_rows=120_000
    )
    assert on_eight is not None and "--jobs 8" in on_eight

    small = news_like(5000)
    short = estimate_run(cells_of(small), small, [], STRATEGIES, MACHINE, 2)
    assert short.wall_seconds < 3600
    assert long_run_advice(
        short, cores=2, gpus=0, device="auto", executor="local", train_rows=5000
    ) is None  # fmt: skip


def test_the_basis_of_the_estimate_is_stated():
    history = RunEstimate([CellCost(60.0, HISTORY)] * 4, 2, rows_used=12)
    assert estimate_line(history) == (
        "estimate: 4 cells, ~4 min of cell time, ~2 min with 2 at a time "
        "(from 12 earlier rows of the results file)"
    )
    mixed = RunEstimate([CellCost(60.0, HISTORY), CellCost(20.0, A_PRIORI)], 1, rows_used=3)
    assert estimate_line(mixed) == (
        "estimate: 2 cells, ~80 s of cell time, ~80 s with one at a time "
        "(1 cells from 3 earlier rows, 1 a priori)"
    )


def test_wall_time_of_the_longest_first_on_slots():
    assert wall_seconds([10, 10, 10, 10], 2) == 20
    assert wall_seconds([30, 10, 10, 10], 2) == 30
    assert wall_seconds([5, 4, 3], 1) == 12
    assert wall_seconds([], 4) == 0


def test_a_cell_with_one_thread_is_expected_to_take_longer():
    data = news_like(5000)
    (side_by_side,) = [c for c in cells_of(data, seeds=1) if c.label == "gru / mask / seed 0"]
    alone = replace(side_by_side, device=DeviceConfig(parallel_cells=1))
    on_gpus = replace(side_by_side, device=DeviceConfig(device="gpu", parallel_cells=2))
    assert cost.thread_slowdown(side_by_side) == cost.ONE_THREAD_SLOWDOWN
    assert cost.thread_slowdown(alone) == cost.thread_slowdown(on_gpus) == 1
    costs = estimate_run([side_by_side, alone], data, [], STRATEGIES, MACHINE, 1).costs
    assert costs[0].seconds > costs[1].seconds

    row = earlier_row(side_by_side, data, wall=cost.FIXED_SECONDS + 18)  # one thread then
    from_row = estimate_run([alone], data, [row], STRATEGIES, MACHINE, 1).costs[0]
    assert from_row.seconds == pytest.approx(cost.FIXED_SECONDS + 10)


def test_time_left_follows_how_the_finished_cells_compared_with_their_estimates():
    assert remaining_seconds([10, 10], observed_done=20, expected_done=10, slots=2) == 20
    assert remaining_seconds([10, 10], observed_done=0, expected_done=0, slots=1) == 20
