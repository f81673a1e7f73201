"""Keras's backends side by side: each built-in architecture under ``bucket`` trained on
TensorFlow, JAX and (when it is installed) torch in one run, and what JAX's compiling costs.

    python benchmarks/performance.py --sections backends

Each built-in under ``bucket``, seed 0, :data:`EPOCHS` epochs, one cell at a time in forked
workers, as ``harness run --backend ...`` runs it: the steady epoch, the first epoch's extra
time (the warm-up: tracing, or on JAX compiling), the whole cell (its worker's wall time),
and the test accuracy. The cells read a data cache of their own, so JAX's persistent
compilation cache starts empty; then ``lstm`` again on JAX with seed 1, whose shapes are
the same: its programs come from that cache. Last, JAX's first epoch of ``lstm`` /
``bucket`` with every batch in its own shape against the few shapes the harness gives them
(:func:`harness.training.feed.batch_shapes`), in a process without the persistent cache.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.api import VectorizedData
from harness.config import BACKENDS, CellSpec, DeviceConfig, RunOptions, TrainingConfig
from harness.data.vectorize import prepare
from harness.execution.runner import plan_cells, run, select
from harness.plugin.manager import Registry

ARCHITECTURES = ("bag-of-embeddings", "simple-rnn", "gru", "lstm", "bilstm", "stacked-bilstm")
PADDING = "bucket"
EPOCHS = 3
COMPILED = "lstm"  # the cell whose compiling is measured

SHAPES = """
import json, sys
from harness.execution.worker import import_training
import_training("jax")
from pathlib import Path
from harness.batching.plan import BatchShapes
from harness.config import CellSpec
from harness.data.cache import load_prepared
from harness.plugin.manager import load_registry
from harness.training import fit
from harness.training.feed import load_cell_plans

spec = CellSpec.from_json(sys.argv[1])
data = load_prepared(Path(spec.data_cache_path))
registry = load_registry()
strategy = registry.padding_strategy(spec.padding).item
bounded = fit.batch_shapes
plan = load_cell_plans(spec, data.cache_path).train
found = {}
for name, shapes_of in (("exact", lambda *args: BatchShapes()), ("bounded", bounded)):
    fit.batch_shapes = shapes_of
    shapes = shapes_of("jax", strategy, data.train.lengths, spec.training.batch_size)
    measured = fit.train_and_score(spec, data, registry, lambda line: None)
    first, second = measured["history"][:2]
    found[name] = {
        "training_shapes": len({shapes.shape(int(rows), int(width))
                                for rows, width in zip(plan.sizes, plan.widths)}),
        "warmup_seconds": measured["warmup_seconds"],
        "validation_warmup_seconds":
            first["validation_seconds"] - second["validation_seconds"],
        "seconds_per_epoch": measured["seconds_per_epoch"],
        "padded_share": measured["padded_share"],
    }
print(json.dumps(found))
"""


def installed_backends() -> tuple[str, ...]:
    return tuple(name for name in BACKENDS if importlib.util.find_spec(name) is not None)


def measure(
    data: VectorizedData,
    registry: Registry,
    training: TrainingConfig,
    architectures: tuple[str, ...] = ARCHITECTURES,
) -> dict[str, Any]:
    """Every cell on every installed backend, the second JAX cell, and JAX's shapes."""
    backends = installed_backends()
    with tempfile.TemporaryDirectory(prefix="rnn-harness-backends-") as scratch:
        cache, out = Path(scratch, "cache"), Path(scratch, "out")
        own = prepare(data.config, registry, cache)  # a cache of their own: no programs yet
        options = RunOptions(
            architectures=architectures,
            paddings=(PADDING,),
            backends=backends,
            seeds=1,
            data=data.config,
            training=replace(training, max_epochs=EPOCHS, patience=EPOCHS),
            device=DeviceConfig(parallel_cells=1),
            out_dir=out,
            cache_dir=cache,
            quiet=True,
        )
        rows = [dict(row) for row in run(options, say=print)]
        jax = {}
        if "jax" in backends and COMPILED in architectures:
            again = replace(options, architectures=(COMPILED,), backends=("jax",), seeds=2)
            (second,) = run(again, say=print)  # seed 0 is done: seed 1, the same shapes
            first = next(row for row in rows if _cell(row) == (COMPILED, "jax"))
            (spec,) = plan_cells(
                replace(again, seeds=1), select(again, registry), registry, own, {},
                again.device,
            )  # fmt: skip
            jax = {
                "first": _measured(first),
                "second": _measured(dict(second)),
                "shapes": compile_cost(spec),
            }
    return {
        "epochs": EPOCHS,
        "padding": PADDING,
        "backends": list(backends),
        "cells": [_measured(row) for row in rows],
        "jax": jax,
    }


def _cell(row: dict) -> tuple[str, str]:
    return row["architecture"], row["backend"]


def _measured(row: dict) -> dict[str, Any]:
    measured = row["measurements"] or {}
    return {
        "architecture": row["architecture"],
        "backend": row["backend"],
        "seed": row["seed"],
        "status": row["status"],
        "reason": row["reason"],
        "seconds_per_epoch": measured.get("seconds_per_epoch"),
        "train_examples_per_second": measured.get("train_examples_per_second"),
        "warmup_seconds": measured.get("warmup_seconds"),
        "cell_seconds": row["cell_wall_seconds"],
        "test_accuracy": measured.get("test_accuracy"),
    }


def compile_cost(spec: CellSpec) -> dict[str, Any]:
    """JAX's first epoch of ``spec`` with each batch in its own shape, then in the bounded
    shapes, in a process of its own without the persistent compilation cache."""
    result = subprocess.run(
        [sys.executable, "-c", SHAPES, spec.to_json()],
        capture_output=True,
        text=True,
        timeout=3600,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"the JAX shapes measurement failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.splitlines()[-1])


def render_section(results: dict) -> list[str]:
    """The backends section of performance.md."""
    lines = [
        "",
        "## Keras's backends side by side",
        "",
        f"Each built-in architecture under `{results['padding']}`, seed 0, {results['epochs']} "
        "epochs, one cell at a time in forked workers, on "
        + ", ".join(f"`{name}`" for name in results["backends"])
        + " (`harness run --backend`): the steady epoch (training part), the warm-up (the "
        "first epoch's extra time: tracing, or on JAX compiling, its compilation cache empty), "
        "the whole cell (its worker's wall time) and the test accuracy. JAX and torch train "
        "on the very batches TensorFlow does (batch plans, docs/backends.md).",
        "",
        "| architecture | backend | steady epoch s | train ex/s | warm-up s | whole cell s | "
        "test acc. % |",
        "|---|---|---|---|---|---|---|",
    ]
    for cell in results["cells"]:
        lines.append(
            f"| {cell['architecture']} | {cell['backend']} | "
            f"{_figure(cell['seconds_per_epoch'], '.2f')} | "
            f"{_figure(cell['train_examples_per_second'], ',.0f')} | "
            f"{_figure(cell['warmup_seconds'], '.1f')} | {_figure(cell['cell_seconds'], '.0f')} | "
            f"{_figure(cell['test_accuracy'], '.2%').rstrip('%')} |"
        )
    jax = results.get("jax") or {}
    if jax:
        first, second, shapes = jax["first"], jax["second"], jax["shapes"]
        exact, bounded = shapes["exact"], shapes["bounded"]
        lines += [
            "",
            f"JAX's compiling, `{first['architecture']}` / `{results['padding']}`: the second "
            f"cell of the same shapes (seed 1) reads its programs from the persistent "
            f"compilation cache under the harness's cache folder: warm-up "
            f"{_figure(second['warmup_seconds'], '.1f')} s against "
            f"{_figure(first['warmup_seconds'], '.1f')} s, whole cell "
            f"{_figure(second['cell_seconds'], '.0f')} s against "
            f"{_figure(first['cell_seconds'], '.0f')} s. Without that cache, every batch in its "
            f"own shape: {exact['training_shapes']} training shapes, warm-up "
            f"{exact['warmup_seconds']:.1f} s (+ {exact['validation_warmup_seconds']:.1f} s "
            f"of the first validation), steady epoch {exact['seconds_per_epoch']:.2f} s, padded "
            f"share {exact['padded_share']:.3f}; in the harness's bounded shapes: "
            f"{bounded['training_shapes']} shapes, warm-up {bounded['warmup_seconds']:.1f} s "
            f"(+ {bounded['validation_warmup_seconds']:.1f} s), steady epoch "
            f"{bounded['seconds_per_epoch']:.2f} s, padded share {bounded['padded_share']:.3f}.",
        ]
    return lines


def _figure(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)
