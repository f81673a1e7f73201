"""A result of rnn-harness 0.1.0's `none`, which padded after the text, is never taken for a
result of today's `none`, which pads before it: not resumed as one, not pooled with one.

The old rows are the committed results file's own (reports/results.jsonl, rnn-harness 0.1.0).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import harness
from harness.config import CellSpec, DeviceConfig, TrainingConfig
from harness.execution.runner import comparison_key, result_row
from harness.execution.worker import CellOutcome
from harness.report.leaderboard import Leaderboard, reported_rows
from harness.results.log import ResultsWarning, append_row, finished_configs, read_rows

COMMITTED_RESULTS = Path(__file__).resolve().parent.parent / "reports" / "results.jsonl"
DEVICE_SETTINGS = [field.name for field in dataclasses.fields(DeviceConfig)]
CORE = {"name": "core", "distribution": "rnn-harness", "version": harness.__version__}


def old_rows(padding: str | None = None) -> list[dict]:
    """The committed rows of rnn-harness 0.1.0 (before a row recorded its padding plugin)."""
    rows = [json.loads(line) for line in COMMITTED_RESULTS.read_text().splitlines() if line]
    old = [row for row in rows if "padding_plugin" not in row]
    return [row for row in old if padding in (None, row["padding"])]


def todays_cell(row: dict, **training: object) -> CellSpec:
    """The cell of an old row as this harness plans it, on the same data, settings, machine."""
    return CellSpec(
        architecture=row["architecture"],
        params=row["params"],
        padding=row["padding"],
        seed=row["seed"],
        training=TrainingConfig(**{**row["training"], **training}),
        device=DeviceConfig(**{name: row["device"][name] for name in DEVICE_SETTINGS}),
        data=row["data"],
        data_cache_path="unused",
        plugin=row["plugin"],
        machine={
            "cpu": row["host"]["cpu"],
            "cores": row["host"]["cores"],
            "gpus": [gpu["name"] for gpu in row["host"]["gpus"]],
        },
        padding_plugin=CORE,
    )


@pytest.mark.parametrize("ema_every", [1, TrainingConfig.ema_every])
def test_an_old_none_row_neither_resumes_nor_shares_a_comparison_with_todays_none(ema_every):
    """Also with ``--ema-every 1``, 0.1.0's average of every step: a cell's configuration
    records its padding strategy's plugin, and its comparison the version of rnn-harness."""
    for row in old_rows("none"):
        cell = todays_cell(row, ema_every=ema_every)
        assert cell.config_hash() != row["config_hash"]
        assert comparison_key(cell) != row["comparison"]
        assert cell.config_hash() not in finished_configs(old_rows())


def test_a_board_of_old_and_new_none_rows_reports_only_the_new(tmp_path):
    results = tmp_path / "results.jsonl"
    for row in old_rows():  # 54 cells of 0.1.0, lstm/none among them
        append_row(results, row)
    lstm_none = [row for row in old_rows("none") if row["architecture"] == "lstm"]
    new = [todays_cell(row) for row in lstm_none[:2]]  # two seeds re-run today, one not yet
    for cell, row in zip(new, lstm_none, strict=False):
        measured = {**row["measurements"], "test_accuracy": 0.99, "test_predictions": None}
        outcome = CellOutcome("done", None, measured, {}, 10.0)
        started = "2026-01-01T00:00:00+00:00"
        append_row(results, result_row(cell, outcome, "harness run", started, results))
    with pytest.warns(ResultsWarning, match="54 rows of an older schema"):  # the old rows only
        rows = read_rows(results)

    reported = reported_rows(rows)
    assert [(r["architecture"], r["padding"], r["seed"]) for r in reported] == [
        ("lstm", "none", 0),
        ("lstm", "none", 1),
    ]
    assert all(r["padding_plugin"] == CORE for r in reported)
    (cell,) = Leaderboard.from_rows(rows).cells.itertuples()
    assert (cell.architecture, cell.padding, cell.seeds, cell.accuracy) == ("lstm", "none", 2, 0.99)


def test_each_cell_records_the_plugin_of_its_padding_strategy(
    install_distribution, news_dir, tmp_path
):
    from test_registry import PADDING_PLUGIN

    from harness.config import DataConfig, RunOptions
    from harness.data.vectorize import prepare
    from harness.execution.runner import plan_cells, select
    from harness.plugin.manager import load_registry

    install_distribution("rnn-harness-padding", {"left": PADDING_PLUGIN})
    registry = load_registry()
    options = RunOptions(
        architectures=("gru",), paddings=("none", "left-as-is"), seeds=1,
        data=DataConfig(source=str(news_dir)),
    )  # fmt: skip
    data = prepare(options.data, registry, tmp_path / "cache")
    cells = plan_cells(options, select(options, registry), registry, data, {}, DeviceConfig())
    recorded = {cell.padding: cell.padding_plugin for cell in cells}
    assert recorded == {
        "none": CORE,
        "left-as-is": {"name": "left", "distribution": "rnn-harness-padding", "version": "1.0"},
    }
    assert cells[0].config_hash() != cells[1].config_hash()
