"""benchmarks/cost_growth.py: the repeated-rows data set it builds, and its arithmetic."""

from __future__ import annotations

import pytest
from helpers.benchmark_scripts import load_benchmark

from harness.data.loading import load_dataset


@pytest.fixture(scope="module")
def cost_growth():
    return load_benchmark("cost_growth")


def test_the_repeated_sample_holds_each_training_row_that_many_times(
    cost_growth, tmp_path, registry
):
    sample = load_dataset("ag-news-sample", registry)
    repeated = load_dataset(
        str(cost_growth.write_repeated_sample(tmp_path / "repeated", 3)), registry
    )
    assert repeated.train.texts == sample.train.texts * 3
    assert list(repeated.train.labels) == list(sample.train.labels) * 3
    assert repeated.test.texts == sample.test.texts
    assert repeated.class_names == sample.class_names


def size(cost_growth, train: int, seconds_per_row: float, fixed: float) -> dict:
    """A size's results with every step taking ``fixed`` + ``seconds_per_row`` x its rows."""
    rows = {"train": train, "validation": 100, "test": 200}
    source = {"train": train + 100, "test": 200}
    by_rows = {"source": sum(source.values()), "train": train, "splits": sum(rows.values())}
    prepare = {
        measure.key: fixed + seconds_per_row * by_rows[measure.rows]
        for measure in cost_growth.PREPARE_MEASURES
    }
    epoch = fixed + seconds_per_row * train
    return {
        "label": f"{train} rows",
        "rows": rows,
        "source_rows": source,
        "prepare": {"seconds": prepare},
        "training": {
            "lstm": {"epoch_seconds": epoch},
            "stacked-bilstm": {"epoch_seconds": 2 * epoch - fixed},
        },
    }


def test_linear_costs_give_their_slope_and_land_on_the_line(cost_growth):
    sizes = (1_000, 2_000, 4_000, 7_000, 120_000)
    growth = {
        "architectures": ["lstm", "stacked-bilstm"],
        "sizes": [size(cost_growth, rows, 0.002, 1.5) for rows in sizes],
    }
    found = {line["measure"]: line for line in cost_growth.linearity(growth)}
    assert set(found) == {measure.column for measure in cost_growth.measures(growth)}
    lstm, stacked = found["lstm epoch"], found["stacked-bilstm epoch"]
    assert lstm["seconds_per_1k_rows"] == pytest.approx(2.0)
    assert stacked["seconds_per_1k_rows"] == pytest.approx(4.0)
    assert lstm["intercept_seconds"] == pytest.approx(1.5)
    for line in found.values():
        assert line["largest_measured_seconds"] == pytest.approx(line["largest_predicted_seconds"])
