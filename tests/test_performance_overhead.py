"""benchmarks/performance.py's overhead section: the cell it times as a worker trains it."""

from __future__ import annotations

from pathlib import Path

from helpers.benchmark_scripts import load_benchmark

from harness.config import DataConfig, TrainingConfig
from harness.data.vectorize import prepare
from harness.execution.worker import run_in_process
from harness.plugin.manager import load_registry


def test_the_overhead_cell_trains(news_dir: Path, tmp_path: Path):
    """Its one-epoch run in process and in a worker give a worker's fixed cost: both must
    train, not stop at an error."""
    performance = load_benchmark("performance")
    registry = load_registry()
    data = prepare(DataConfig(source=str(news_dir)), registry, tmp_path / "cache")
    spec = performance.overhead_cell(data, registry, TrainingConfig(batch_size=16), epochs=1)
    outcome = run_in_process(spec, lambda line: None)
    assert outcome.status == "done", outcome.reason
