"""The fixed-cost benchmark runs its cells forked and spawned and measures what they cost
beyond their epochs (tiny data: the arithmetic and the plumbing, not the figures)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers.benchmark_scripts import load_benchmark

from harness.config import DataConfig, TrainingConfig
from harness.data.vectorize import prepare
from harness.execution.forked import fork_is_possible


@pytest.mark.slow
@pytest.mark.skipif(not fork_is_possible(), reason="workers are forked on Linux only")
def test_each_cell_is_measured_forked_and_spawned_against_a_bare_import(
    news_dir, tmp_path, registry, monkeypatch
):
    fixed_cost = load_benchmark("fixed_cost")
    monkeypatch.setattr(fixed_cost, "CELLS", (("lstm", "bucket"),))
    monkeypatch.setattr(fixed_cost, "REPEATS", 1)
    data = prepare(DataConfig(source=str(news_dir)), registry, tmp_path / "cache")
    results = fixed_cost.measure(data, registry, replace(TrainingConfig(), batch_size=16))
    (cell,) = results["cells"]
    assert len(results["bare_import_seconds"]) == 1 and results["bare_import_seconds"][0] > 0
    assert cell["fork_seconds"][0] < cell["spawn_seconds"][0]  # no import in a forked worker
    lines = fixed_cost.render_section(results)
    assert any(line.startswith("| lstm/bucket |") for line in lines)
