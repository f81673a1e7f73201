"""The backends benchmark trains a cell on each installed backend, the second JAX cell of
the same shapes, and JAX's shapes with and without bounds (tiny data: the plumbing and the
arithmetic, not the figures)."""

from __future__ import annotations

import importlib.util
from dataclasses import replace

import pytest
from helpers.benchmark_scripts import load_benchmark

from harness.config import DataConfig, TrainingConfig
from harness.data.vectorize import prepare


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_each_installed_backend_trains_the_cell_and_jax_compiles_less_the_second_time(
    news_dir, tmp_path, registry, monkeypatch
):
    backends = load_benchmark("backends")
    monkeypatch.setattr(backends, "EPOCHS", 2)
    data = prepare(DataConfig(source=str(news_dir)), registry, tmp_path / "cache")
    results = backends.measure(
        data, registry, replace(TrainingConfig(), batch_size=16), architectures=("lstm",)
    )
    assert {cell["backend"] for cell in results["cells"]} == set(backends.installed_backends())
    assert all(cell["status"] == "done" for cell in results["cells"])
    jax = results["jax"]
    assert jax["second"]["seed"] == 1
    assert jax["second"]["warmup_seconds"] < jax["first"]["warmup_seconds"]  # the cache
    exact, bounded = jax["shapes"]["exact"], jax["shapes"]["bounded"]
    assert bounded["training_shapes"] < exact["training_shapes"]
    assert bounded["padded_share"] >= exact["padded_share"]
    lines = backends.render_section(results)
    assert any(line.startswith("| lstm | jax | ") for line in lines)
    assert any("persistent compilation cache" in line for line in lines)
