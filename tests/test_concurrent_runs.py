"""Runs started side by side into one ``--out`` train each cell once, and stay runs of their
own in the leaderboard's header."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers.result_rows import result_row
from test_reliability import TINY

from harness.execution.claims import CellClaims
from harness.report.leaderboard import run_wall_seconds


@pytest.mark.slow
def test_three_runs_started_at_once_train_each_cell_once(harness_run):
    """Three runs in the same second used to train one cell twice."""
    command = harness_run.command(*TINY, "--seeds", "2")
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=os.environ)
        for _ in range(3)
    ]  # fmt: skip
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    rows = [
        json.loads(line) for line in (harness_run.out / "results.jsonl").read_text().splitlines()
    ]
    assert sorted(row["seed"] for row in rows) == [0, 1]  # each cell once
    said = "".join(stdout for stdout, _ in outputs)
    assert said.count("2 cells (") == 3  # each run said what it would do
    assert "Traceback" not in "".join(stderr for _, stderr in outputs)


def test_a_cell_another_run_claimed_is_left_to_it(tmp_path):
    claimed_elsewhere = subprocess.Popen(
        [sys.executable, "-c", CLAIMING, str(tmp_path / "results.jsonl"), "cell-a"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert claimed_elsewhere.stdout is not None
    assert claimed_elsewhere.stdout.readline().strip() == "claimed"
    with CellClaims(tmp_path / "results.jsonl") as claims:
        assert not claims.claim("cell-a")
        assert claims.claim("cell-b")
    claimed_elsewhere.kill()
    claimed_elsewhere.wait()
    with CellClaims(tmp_path / "results.jsonl") as claims:
        assert claims.claim("cell-a")  # its run ended: the claim went with it


CLAIMING = """
import sys, time
from pathlib import Path
from harness.execution.claims import CellClaims
claims = CellClaims(Path(sys.argv[1]))
assert claims.claim(sys.argv[2])
print("claimed", flush=True)
time.sleep(600)
"""


def test_runs_that_overlap_count_their_shared_time_once():
    rows = []
    for started, finished in [("00:00:00.1", "00:10:00"), ("00:00:00.2", "00:12:00")]:
        row = result_row(config_hash=started)
        row["run_started_at"] = f"2026-01-01T{started}+00:00"
        row["finished_at"] = f"2026-01-01T{finished}+00:00"
        rows.append(row)
    assert run_wall_seconds(rows) == pytest.approx(12 * 60 - 0.1)
    later = result_row(config_hash="later")
    later["run_started_at"] = "2026-01-02T00:00:00+00:00"
    later["finished_at"] = "2026-01-02T00:01:00+00:00"
    assert run_wall_seconds([*rows, later]) == pytest.approx(13 * 60 - 0.1)
