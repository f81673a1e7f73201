"""benchmarks/matrix_speedup.py's arithmetic, on result rows written here (no training)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.benchmark_scripts import load_benchmark
from helpers.paired_rows import correctness, rows_with_predictions

from harness.results.log import append_row

ROWS = 2_000


@pytest.fixture(scope="module")
def matrix_speedup():
    return load_benchmark("matrix_speedup")


def timed_rows(rng, cells: dict[tuple[str, str], float], seconds: float, started: str) -> list:
    """Three seeds of each (architecture, padding) at its accuracy, each cell ``seconds`` long,
    the run started at ``started`` and its cells finished one minute apart."""
    rows = []
    for (architecture, padding), accuracy in cells.items():
        rows += rows_with_predictions(architecture, padding, correctness(rng, accuracy, ROWS))
    for number, row in enumerate(rows, start=1):
        row["cell_wall_seconds"] = seconds
        row["run_started_at"] = f"{started}:00:00+00:00"
        row["finished_at"] = f"{started}:{number:02d}:00+00:00"
        row["device"]["parallel_cells"] = 2
        row.setdefault("padding_plugin", {"name": row["padding"], "distribution": "rnn-harness",
                                          "version": "0.1.0"})  # fmt: skip
    return rows


def write(path: Path, rows: list[dict]) -> str:
    for row in rows:
        append_row(path, row)
    return str(path)


def test_makespan_starts_each_cell_on_the_first_free_slot(matrix_speedup):
    assert matrix_speedup.makespan([1, 1, 2], slots=2) == 3  # the long one last
    assert matrix_speedup.makespan([2, 1, 1], slots=2) == 2  # longest first
    assert matrix_speedup.makespan([1, 1, 2], slots=1) == 4
    assert matrix_speedup.makespan([5], slots=3) == 5


def test_wall_time_adds_up_the_runs_of_a_resumed_file(matrix_speedup):
    rows = [
        {"run_started_at": "2026-01-01T10:00:00+00:00", "finished_at": f"2026-01-01T{t}+00:00"}
        for t in ("10:01:00", "10:02:30")
    ] + [
        {"run_started_at": "2026-01-01T11:00:00+00:00", "finished_at": "2026-01-01T11:00:10+00:00"}
    ]
    assert matrix_speedup.wall_seconds(rows) == 150 + 10


def test_two_runs_compared_cell_by_cell_with_totals_and_schedule(matrix_speedup, tmp_path):
    rng = np.random.default_rng(0)
    cells = {("gru", "mask"): 0.85, ("lstm", "none"): 0.40, ("lstm", "mask"): 0.84}
    baseline = write(tmp_path / "a.jsonl", timed_rows(rng, cells, 60.0, "2026-01-01T10"))
    moved = {**cells, ("lstm", "none"): 0.84}  # the lever's cell: far better
    new = write(tmp_path / "b.jsonl", timed_rows(rng, moved, 30.0, "2026-01-01T12"))

    matrix = matrix_speedup.compare_runs(baseline, new, [("lstm", "none")], "pads on the left")

    by_cell = {(c["architecture"], c["padding"]): c for c in matrix["cells"]}
    assert by_cell["gru", "mask"]["verdict"] == "within noise"
    assert by_cell["gru", "mask"]["cell_seconds"] == [180.0, 90.0]  # 3 seeds added up
    assert by_cell["gru", "mask"]["epochs"] == [4.0, 4.0]
    assert by_cell["lstm", "none"]["lever"] and not by_cell["lstm", "mask"]["lever"]
    assert by_cell["lstm", "none"]["verdict"] == "better"
    assert matrix["baseline"]["cell_seconds"] == 9 * 60 and matrix["new"]["cell_seconds"] == 9 * 30
    assert matrix["baseline"]["wall_seconds"] == matrix["new"]["wall_seconds"] == 9 * 60
    schedule = matrix["schedule"]
    assert schedule["slots"] == 2 and schedule["one_slot_seconds"] == 270
    assert schedule["matrix_order_seconds"] == schedule["longest_first_seconds"] == 150

    section = "\n".join(matrix_speedup.render_section(matrix))
    assert "| cells' time added up, min | 9.0 | 4.5 | 2.00x |" in section
    assert "**2 of 2 cells within noise** (the † cells left out)." in section
    assert "| lstm | none † |" in section and "Meant to change**: pads on the left." in section
    assert section.index("| gru | mask |") < section.index("| lstm | mask |")  # in name order


def test_the_same_run_on_both_sides_is_within_noise_at_ratio_one(matrix_speedup, tmp_path):
    rows = timed_rows(np.random.default_rng(1), {("gru", "bucket"): 0.8}, 10.0, "2026-01-01T10")
    results = write(tmp_path / "results.jsonl", rows)
    matrix = matrix_speedup.compare_runs(results, results)
    (cell,) = matrix["cells"]
    assert cell["difference"][0] == 0 and cell["verdict"] == "within noise"
    section = "\n".join(matrix_speedup.render_section(matrix))
    assert "| wall time, min | 3.0 | 3.0 | 1.00x |" in section
    assert "†" not in section  # no cell was named as meant to change
    assert "different machines" not in section


def test_the_schedule_and_the_estimate_recorded_in_the_rows(matrix_speedup, tmp_path):
    cells = {("gru", "mask"): 0.8, ("lstm", "mask"): 0.8}
    rows = timed_rows(np.random.default_rng(2), cells, 0.0, "2026-01-01T10")
    for row in rows:  # gru cells take 10 s and were expected to, lstm 30 s and expected 60
        gru = row["architecture"] == "gru"
        row["cell_wall_seconds"] = 10.0 if gru else 30.0
        row["estimate"] = {"cell_seconds": 10.0 if gru else 60.0, "run_seconds": 240.0}
    results = write(tmp_path / "results.jsonl", rows)

    matrix = matrix_speedup.compare_runs(results, results)

    schedule = matrix["schedule"]
    assert schedule["matrix_order_seconds"] == 70  # gru's three first: lstm's last one alone
    assert schedule["run_order_seconds"] == schedule["longest_first_seconds"] == 60
    estimate = matrix["estimate"]
    assert estimate["run_seconds"] == 240 and estimate["wall_seconds"] == 360  # 6 rows, 1 min
    assert estimate["cell_seconds_estimated"] == 210 and estimate["cell_seconds_measured"] == 120
    assert estimate["median_measured_over_estimated"] == 0.75  # ratios 1, 1, 1, .5, .5, .5
    assert estimate["cells_within_factor"] == 3
    section = "\n".join(matrix_speedup.render_section(matrix))
    assert "4.0 min for a run that took 6.0 min (0.67 of it)" in section


def test_runs_on_two_machines_are_named_and_said_to_differ(matrix_speedup, tmp_path):
    rng = np.random.default_rng(3)
    cells = {("gru", "mask"): 0.85}
    before = timed_rows(rng, cells, 60.0, "2026-01-01T10")
    after = timed_rows(rng, cells, 30.0, "2026-01-01T12")
    for row in after:
        row["host"] = {**row["host"], "cpu": "Other CPU"}
    matrix = matrix_speedup.compare_runs(
        write(tmp_path / "a.jsonl", before), write(tmp_path / "b.jsonl", after)
    )

    section = "\n".join(matrix_speedup.render_section(matrix))

    assert f"on {before[0]['host']['cpu']}, {before[0]['host']['cores']} cores" in section
    assert f"on Other CPU, {after[0]['host']['cores']} cores" in section
    assert "ran on different machines" in section
