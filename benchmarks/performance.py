"""Performance benchmarks, side by side in one run; writes reports/performance.md.

    python benchmarks/performance.py                       # every section, ~30 minutes on 2 cores
    python benchmarks/performance.py --matrix BASELINE NEW  # and the matrix section from two runs
    python benchmarks/performance.py --sections growth --out /tmp/check   # some, for checking

On the embedded default data (``ag-news-sample``, title + description) unless ``--data``
names other data; each measurement a ratio of things timed in this one run, on this machine:

1. padding: padded share, input-pipeline batches per second, and the stacked BiLSTM's
   training throughput under ``none``, ``mask`` and ``bucket``;
2. overhead: a harness cell's steady-state training throughput against a bare
   ``model.fit`` on the same batches and model, and a worker's fixed cost; fixed cost: what
   a cell costs beyond its epochs, its worker forked and spawned, against a bare import of
   TensorFlow and Keras (``benchmarks/fixed_cost.py``);
3. time to accuracy: the tutorial recipe (strings through an in-model
   TextVectorization, per-example map, batch 16, no prefetch) against the
   harness's defaults under each padding strategy; the target is the
   validation accuracy the tutorial recipe reaches after one epoch;
4. cells side by side: the wall time of ``harness run`` on two cells one at a
   time (TensorFlow's own thread pools) against two at a time (``--jobs 2``,
   the cores shared out);
5. prestart: each slot's next worker started while its cell trains, against not
   (``benchmarks/worker_prestart.py``), one and two cells at a time;
6. optimizer: Keras's Adam with the weight average every step against the harness's fused
   Adam with the average every few steps, per step and per update
   (``benchmarks/optimizer_step.py``);
7. growth: how vectorising, caching, an epoch and peak memory grow with training rows
   (``benchmarks/cost_growth.py``: always on the embedded sample, and rows repeated from it);
8. ray: ``--executor ray`` against local workers (``benchmarks/ray_cost.py``; the ray extra);
9. backends: each built-in under ``bucket`` on TensorFlow, JAX and (when installed) torch,
   steady epoch, warm-up and whole cell, and JAX's compiling (``benchmarks/backends.py``);
10. determinism: the throughput cost of op determinism (last: it stays on once enabled).

``--matrix BASELINE NEW`` adds the comparison of two whole-matrix runs
(``benchmarks/matrix_speedup.py``), read from their results files. Without ``--sections``
every section runs and performance.json is written afresh; with it, the sections named
replace theirs in --out's performance.json, the others are kept as they were, and the header
lists both commands.
Times exclude validation passes on both sides; first-epoch graph tracing is included.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import backends
import cost_growth
import fixed_cost
import matrix_speedup
import optimizer_step
import worker_prestart
from tutorial_recipe import TUTORIAL_BATCH_SIZE, tutorial_dataset, tutorial_model

from harness.api import VectorizedData
from harness.batching.padding import padded_share
from harness.config import (
    DEFAULT_SOURCE,
    CellSpec,
    DataConfig,
    DeviceConfig,
    RunOptions,
    TrainingConfig,
)
from harness.data.loading import load_dataset
from harness.data.vectorize import prepare, source_options
from harness.execution import environment
from harness.execution.local import prestarts
from harness.execution.runner import plan_cells, run, select
from harness.execution.worker import run_in_process, run_in_worker
from harness.plugin.manager import Registry, load_registry
from harness.report.leaderboard import training_summary
from harness.results.schema import measurements_of
from harness.training.callbacks import EpochTimer, weight_averaging
from harness.training.fit import compiled_classifier, train_and_score

RECURRENT = ("simple-rnn", "gru", "lstm", "bilstm", "stacked-bilstm")
PADDINGS = ("none", "mask", "bucket")
MAX_EPOCHS_TO_TARGET = 8
CHECKS_PER_EPOCH = 4  # the harness's validation accuracy is checked every quarter epoch
OVERHEAD_REPEATS = 3


class EpochClock(EpochTimer):
    """The harness's epoch timer, which also keeps each validation accuracy and can stop
    training once it reaches ``target``."""

    def __init__(self, target: float | None = None) -> None:
        super().__init__()
        self.target = target
        self.val_accuracy: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        self.val_accuracy.append(float(logs["val_accuracy"]))
        if self.target is not None and self.val_accuracy[-1] >= self.target:
            self.model.stop_training = True


def harness_batches(data: VectorizedData, strategy, split: str, batch_size: int, seed=None):
    return strategy.batches(
        data.splits[split], batch_size, training_lengths=data.train.lengths, shuffle_seed=seed
    )


def harness_model(data, architecture, training: TrainingConfig, mask: bool) -> keras.Model:
    return compiled_classifier(architecture, architecture.defaults(), data, training, mask)


def time_to_accuracy(data, source: str, registry, training: TrainingConfig) -> list[dict]:
    raw = load_dataset(source, registry, source_options(data.config))
    raw_texts = [text for text in raw.train.texts]
    splits = {name: data.source_rows[name] for name in ("train", "validation")}
    rows = []
    for name in RECURRENT:
        architecture = registry.architecture(name).item
        keras.utils.set_random_seed(0)
        texts = {split: [raw_texts[i] for i in index] for split, index in splits.items()}
        labels = {split: raw.train.labels[index] for split, index in splits.items()}
        model = tutorial_model(
            architecture,
            architecture.defaults(),
            texts["train"],
            data.config.vocabulary_size,
            len(data.class_names),
            mask=True,
        )
        clock = EpochClock()
        model.fit(
            tutorial_dataset(texts["train"], [""] * len(texts["train"]), labels["train"]),
            validation_data=tutorial_dataset(
                texts["validation"], [""] * len(texts["validation"]), labels["validation"]
            ),
            epochs=1,
            verbose=0,
            callbacks=[clock],
        )
        target = clock.val_accuracy[0]
        tutorial_seconds = clock.train_seconds[0]
        row = {"architecture": name, "target": target, "tutorial_seconds": tutorial_seconds}
        for padding in PADDINGS:
            strategy = registry.padding_strategy(padding).item
            keras.utils.set_random_seed(0)
            model = harness_model(data, architecture, training, strategy.masks)
            clock = EpochClock(target)
            train = harness_batches(data, strategy, "train", training.batch_size, seed=0)
            batches_per_epoch = sum(1 for _ in train)
            model.fit(  # validated every 1/CHECKS_PER_EPOCH of an epoch
                train.repeat(),
                steps_per_epoch=math.ceil(batches_per_epoch / CHECKS_PER_EPOCH),
                validation_data=harness_batches(data, strategy, "validation", training.batch_size),
                epochs=MAX_EPOCHS_TO_TARGET * CHECKS_PER_EPOCH,
                verbose=0,
                callbacks=[*weight_averaging(training), clock],  # validated as a cell is
            )
            reached = clock.val_accuracy[-1] >= target
            row[padding] = {
                "seconds": sum(clock.train_seconds) if reached else None,
                "epochs": len(clock.val_accuracy) / CHECKS_PER_EPOCH,
                "speedup": tutorial_seconds / sum(clock.train_seconds) if reached else None,
            }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def steady_epoch_seconds(model, batches, epochs: int) -> list[float]:
    """Training seconds of each epoch but the first (which carries the graph tracing)."""
    clock = EpochClock()
    model.fit(batches, validation_data=batches.take(1), epochs=epochs, verbose=0, callbacks=[clock])
    return clock.train_seconds[1:]


def steady_examples_per_second(model, batches, rows: int, epochs: int = 3) -> float:
    return rows / float(np.mean(steady_epoch_seconds(model, batches, epochs)))


def overhead_cell(
    data: VectorizedData, registry: Registry, training: TrainingConfig, epochs: int
) -> CellSpec:
    """The overhead section's cell, planned as ``harness run`` plans it: ``lstm`` /
    ``bucket``, seed 0, ``epochs`` epochs, one cell at a time."""
    options = RunOptions(
        architectures=("lstm",),
        paddings=("bucket",),
        seeds=1,
        data=data.config,
        training=replace(training, max_epochs=epochs, patience=epochs),
        device=DeviceConfig(parallel_cells=1),
    )
    (spec,) = plan_cells(options, select(options, registry), registry, data, {}, options.device)
    return spec


def overhead(data, registry, training: TrainingConfig, cache_path: str) -> dict:
    epochs = 4
    spec = overhead_cell(data, registry, training, epochs)
    name, padding = spec.architecture, spec.padding
    architecture = registry.architecture(name).item
    strategy = registry.padding_strategy(padding).item
    cell_epochs: list[list[float]] = []
    bare_epochs: list[list[float]] = []
    for _ in range(OVERHEAD_REPEATS):  # interleaved, so that a slow spell hits both sides
        keras.utils.set_random_seed(0)
        cell = train_and_score(spec, data, registry, report=lambda line: None)
        cell_epochs.append([epoch["train_seconds"] for epoch in cell["history"][1:]])
        keras.utils.set_random_seed(0)
        bare_model = harness_model(data, architecture, training, strategy.masks)
        batches = harness_batches(data, strategy, "train", training.batch_size, seed=0)
        bare_epochs.append(steady_epoch_seconds(bare_model, batches, epochs))
    rows = len(data.train)
    # noise on a shared machine only ever adds time: the fastest epoch is the cleanest figure
    cell_rate = rows / min(min(run) for run in cell_epochs)
    bare_rate = rows / min(min(run) for run in bare_epochs)
    tiny = replace(spec, training=replace(spec.training, max_epochs=1))
    in_process = run_in_process(tiny, lambda line: None)
    in_worker = run_in_worker(tiny, None, lambda line: None)
    for outcome in (in_process, in_worker):
        if outcome.status != "done":
            raise RuntimeError(f"the overhead section's cell failed: {outcome.reason}")
    started = time.perf_counter()
    prepare(data.config, registry, Path(cache_path).parent)
    load_seconds = time.perf_counter() - started
    return {
        "architecture": name,
        "padding": padding,
        "epochs": epochs,
        "repeats": OVERHEAD_REPEATS,
        "cell_examples_per_second": cell_rate,
        "bare_examples_per_second": bare_rate,
        "cell_examples_per_second_each": [rows / float(np.mean(run)) for run in cell_epochs],
        "bare_examples_per_second_each": [rows / float(np.mean(run)) for run in bare_epochs],
        "ratio": cell_rate / bare_rate,
        "worker_fixed_seconds": in_worker.wall_seconds - in_process.wall_seconds,
        "cached_data_load_seconds": load_seconds,
        "one_epoch_cell_seconds_in_process": in_process.wall_seconds,
        "one_epoch_cell_seconds_in_worker": in_worker.wall_seconds,
    }


def determinism_cost(data, registry, training: TrainingConfig) -> dict:
    """Throughput of lstm/bucket without, then with, TensorFlow op determinism (it stays on)."""
    import tensorflow as tf

    architecture = registry.architecture("lstm").item
    strategy = registry.padding_strategy("bucket").item
    rates = {}
    for deterministic in (False, True):
        if deterministic:
            tf.config.experimental.enable_op_determinism()
        keras.utils.set_random_seed(0)
        model = harness_model(data, architecture, training, strategy.masks)
        batches = harness_batches(data, strategy, "train", training.batch_size, seed=0)
        rates[deterministic] = steady_examples_per_second(model, batches, len(data.train))
    return {
        "default": rates[False],
        "deterministic": rates[True],
        "ratio": rates[True] / rates[False],
    }


def padding_costs(data, registry, training: TrainingConfig) -> list[dict]:
    architecture = registry.architecture("stacked-bilstm").item
    rows = []
    for padding in PADDINGS:
        strategy = registry.padding_strategy(padding).item
        batches = harness_batches(data, strategy, "train", training.batch_size, seed=0)
        count = sum(1 for _ in batches)
        started = time.perf_counter()
        for _ in range(3):
            for _ in batches:
                pass
        pipeline_rate = 3 * count / (time.perf_counter() - started)
        keras.utils.set_random_seed(0)
        model = harness_model(data, architecture, training, strategy.masks)
        rows.append(
            {
                "padding": padding,
                "padded_share": padded_share(batches),
                "batches": count,
                "pipeline_batches_per_second": pipeline_rate,
                "stacked_bilstm_examples_per_second": steady_examples_per_second(
                    model, batches, len(data.train)
                ),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


SIDE_BY_SIDE_CELLS = (("stacked-bilstm", "mask"), ("gru", "bucket"))
SIDE_BY_SIDE_EPOCHS = 3


def side_by_side(data: VectorizedData, training: TrainingConfig) -> list[dict]:
    """``harness run`` of two seeds of a cell with ``--jobs 1``, then ``--jobs 2``."""
    with tempfile.TemporaryDirectory(prefix="rnn-harness-benchmark-") as scratch:
        return [
            _side_by_side(data, training, name, padding, Path(scratch))
            for name, padding in SIDE_BY_SIDE_CELLS
        ]


def _side_by_side(
    data: VectorizedData, training: TrainingConfig, name: str, padding: str, out: Path
) -> dict:
    row: dict = {"architecture": name, "padding": padding, "epochs": SIDE_BY_SIDE_EPOCHS}
    for jobs in (1, 2):
        options = RunOptions(
            architectures=(name,),
            paddings=(padding,),
            seeds=2,
            data=data.config,
            training=replace(
                training, max_epochs=SIDE_BY_SIDE_EPOCHS, patience=SIDE_BY_SIDE_EPOCHS
            ),
            device=DeviceConfig(parallel_cells=jobs),
            out_dir=out / f"{name}-{padding}-jobs-{jobs}",
            cache_dir=data.cache_path.parent,
            quiet=True,
        )
        started = time.perf_counter()
        cells = run(options, say=lambda line: None)
        row[f"jobs_{jobs}"] = {
            "wall_seconds": time.perf_counter() - started,
            "examples_per_second": [
                measurements_of(cell)["train_examples_per_second"] for cell in cells
            ],
            "threads": cells[0]["device"]["threads_used"],
        }
    row["speedup"] = row["jobs_1"]["wall_seconds"] / row["jobs_2"]["wall_seconds"]
    print(json.dumps(row), flush=True)
    return row


def verdict(value: float | None, target: float, higher_is_better: bool = True) -> str:
    if value is None:
        return "not met (not reached)"
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "not met"


def _machine(host: dict[str, Any]) -> str:
    gpus = ", ".join(gpu["name"] for gpu in host["gpus"])
    return f"{host['cpu']}, {host['cores']} cores, {host['memory_gb']} GiB, " + (
        f"GPUs: {gpus}" if gpus else "no GPU"
    )


def _versions(versions: dict[str, str | None]) -> str:
    return ", ".join(f"{name} {version}" for name, version in versions.items() if version)


def _machines(results: dict) -> list[str]:
    """The header's machine and versions: one line each when every section was measured on
    the same, else one line per machine and versions naming its sections."""
    setups: dict[tuple[str, str], list[str]] = {}
    for name, setup in results.get("section_setups", {}).items():
        key = (_machine(setup["host"]), _versions(setup["versions"]))
        setups.setdefault(key, []).append(name)
    if len(setups) > 1:
        return ["- **Machines and versions**, by section:"] + [
            f"  - {', '.join(names)}: {machine}; {versions}"
            for (machine, versions), names in setups.items()
        ]
    return [
        f"- **Machine:** {_machine(results['host'])}",
        f"- **Versions:** {_versions(results['versions'])}",
    ]


def render(results: dict) -> str:
    """performance.md from performance.json: the header, then each section measured."""
    lines = [
        "# rnn-harness performance",
        "",
        "Generated by `benchmarks/performance.py`; do not edit by hand.",
        "",
        "- **Command:** "
        + ", then ".join(f"`{command}`" for command in results.get("commands", [])),
        f"- **Data:** `{results['data']['source']}`, fields `{results['data']['fields']}`: "
        f"{results['data']['rows']['train']} train / {results['data']['rows']['validation']} "
        f"validation / {results['data']['rows']['test']} test rows",
        f"- **Harness defaults:** {training_summary(results['training'])}",
        *_machines(results),
        f"- **Took:** {results['seconds'] / 60:.1f} minutes"
        + (
            " ("
            + ", ".join(
                f"{name} {seconds / 60:.1f}"
                for name, seconds in results.get("section_seconds", {}).items()
            )
            + ")"
            if results.get("section_seconds")
            else ""
        ),
        "",
        "Every figure is a ratio of two things measured side by side in one run, since this "
        "kind of machine is noisy: the same ratio moves by 10-30 % between runs of the "
        "benchmark, and whole runs by more. Read single figures with that in mind.",
    ]
    renderers: list[tuple[str, Callable[[Any], list[str]]]] = [
        ("matrix", matrix_speedup.render_section),  # the whole matrix, before and after
        ("time_to_accuracy", _render_time_to_accuracy),
        ("side_by_side", _render_side_by_side),
        ("prestart", _render_prestart),
        ("optimizer", _render_optimizer),
        ("growth", cost_growth.render_section),
        ("padding", lambda rows: _render_padding(rows, results["training"]["batch_size"])),
        ("overhead", lambda o: _render_overhead(o, results.get("determinism"))),
        ("fixed_cost", fixed_cost.render_section),
        ("ray", _render_ray),
        ("backends", backends.render_section),
    ]
    for key, render_section in renderers:
        if key in results:
            lines += render_section(results[key])
    return "\n".join(lines) + "\n"


def _render_time_to_accuracy(rows: list[dict]) -> list[str]:
    lines = [
        "",
        "## Time to the tutorial's one-epoch accuracy",
        "",
        "Target: the validation accuracy the tutorial recipe reaches after one epoch (batch "
        f"{TUTORIAL_BATCH_SIZE}, in-model TextVectorization, per-example map, no prefetch). "
        "Seconds are training time until the validation accuracy, checked every quarter "
        "epoch, first reaches the target (graph tracing included, validation passes excluded "
        "on both sides). "
        "Target: harness at least 3x sooner for every recurrent built-in (aim 5x).",
        "",
        "| architecture | target val. acc. | tutorial s | "
        + " | ".join(f"{p}: s (epochs) | {p}: speed-up" for p in PADDINGS)
        + " | verdict |",
        "|" + "---|" * (4 + 2 * len(PADDINGS)),
    ]
    for row in rows:
        cells = []
        for padding in PADDINGS:
            entry = row[padding]
            if entry["seconds"] is None:
                cells += [f"not in {entry['epochs']:g} epochs", "-"]
            else:
                cells += [
                    f"{entry['seconds']:.1f} ({entry['epochs']:g})",
                    f"{entry['speedup']:.1f}x",
                ]
        best = max((row[p]["speedup"] or 0) for p in PADDINGS)
        lines.append(
            f"| {row['architecture']} | {row['target']:.3f} | {row['tutorial_seconds']:.1f} | "
            + " | ".join(cells)
            + f" | best {best:.1f}x: {verdict(best, 3.0)} |"
        )
    return [
        *lines,
        "",
        "The harness's defaults are chosen for the accuracy a cell ends with, not for early "
        "accuracy. What stands between them and the tutorial's first epoch: 8x fewer optimiser "
        "steps an epoch (batch 128 against 16), the graph tracing of the first epoch, and the "
        "averaged weights it validates, which lag the raw ones by about 50 steps.",
    ]


def _render_overhead(o: dict, determinism: dict | None) -> list[str]:
    lines = [
        "",
        "## Harness overhead",
        "",
        f"`{o['architecture']}` under `{o['padding']}`, {o['epochs']} epochs, steady-state epochs "
        f"(all but the first), {o['repeats']} runs of each, interleaved. The figure is the "
        "fastest steady epoch of all runs, since noise on a shared machine only adds time; "
        "each run's mean is in brackets:",
        "",
        "| measure | value |",
        "|---|---|",
        f"| harness cell, training examples/s | {_with_each(o, 'cell_examples_per_second')} |",
        f"| bare `model.fit` on the same batches and model, examples/s | "
        f"{_with_each(o, 'bare_examples_per_second')} |",
        f"| ratio (target ≥ 0.95) | {o['ratio']:.3f}: {verdict(o['ratio'], 0.95)} |",
        f"| one-epoch cell, in process, s | {o['one_epoch_cell_seconds_in_process']:.1f} |",
        f"| one-epoch cell, in its own worker, s | {o['one_epoch_cell_seconds_in_worker']:.1f} |",
        f"| fixed cost of a worker (start, imports, device setup), s | "
        f"{o['worker_fixed_seconds']:.1f} |",
        f"| loading the cached vectorised data, s | {o['cached_data_load_seconds']:.3f} |",
    ]
    if determinism is not None:
        lines.append(
            f"| `--deterministic` (op determinism) throughput / default | "
            f"{determinism['ratio']:.2f} |"
        )
    return lines


def _render_padding(rows: list[dict], batch_size: int) -> list[str]:
    lines = [
        "",
        "## Padding strategies",
        "",
        f"Batch {batch_size}; training throughput of the two-layer "
        "bidirectional LSTM on steady-state epochs.",
        "",
        "| padding | padded share | batches/epoch | pipeline batches/s "
        "| stacked-bilstm examples/s |",
        "|---|---|---|---|---|",
    ]
    by_name = {row["padding"]: row for row in rows}
    for row in rows:
        lines.append(
            f"| {row['padding']} | {row['padded_share']:.3f} | {row['batches']} | "
            f"{row['pipeline_batches_per_second']:,.0f} | "
            f"{row['stacked_bilstm_examples_per_second']:,.0f} |"
        )
    bucket, mask = by_name["bucket"], by_name["mask"]
    speedup = (
        bucket["stacked_bilstm_examples_per_second"] / mask["stacked_bilstm_examples_per_second"]
    )
    return [
        *lines,
        "",
        f"- Padded share under `bucket`: {bucket['padded_share']:.3f} (target ≤ 0.10): "
        f"{verdict(bucket['padded_share'], 0.10, higher_is_better=False)}.",
        f"- stacked-bilstm `bucket` / `mask` throughput: {speedup:.2f}x (target ≥ 1.5x): "
        f"{verdict(speedup, 1.5)}.",
    ]


def _with_each(overhead: dict, key: str) -> str:
    each = ", ".join(f"{rate:,.0f}" for rate in overhead[f"{key}_each"])
    return f"{overhead[key]:,.0f} ({each})"


def _render_side_by_side(rows: list[dict]) -> list[str]:
    lines = [
        "",
        "## Cells side by side (`--jobs 2`)",
        "",
        f"`harness run` of two seeds of a cell ({SIDE_BY_SIDE_EPOCHS} epochs each, each in its "
        "own worker), one at a time with TensorFlow's own thread pools, then two at a time "
        "with the cores shared out between them. Wall time of the whole command; examples/s "
        "of each cell on its steady-state epochs.",
        "",
        "| cell | one at a time: s | examples/s per cell | two at a time: s "
        "| examples/s per cell | threads per cell | run speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        alone, paired = row["jobs_1"], row["jobs_2"]
        lines.append(
            f"| {row['architecture']} / {row['padding']} | {alone['wall_seconds']:.0f} | "
            + ", ".join(f"{rate:,.0f}" for rate in alone["examples_per_second"])
            + f" | {paired['wall_seconds']:.0f} | "
            + ", ".join(f"{rate:,.0f}" for rate in paired["examples_per_second"])
            + f" | {paired['threads']} | {row['speedup']:.2f}x |"
        )
    return lines


def _render_prestart(rows: list[dict]) -> list[str]:
    first = rows[0]
    lines = [
        "",
        "## Prestarted workers",
        "",
        f"`benchmarks/worker_prestart.py`: {first['cells']} one-epoch `{first['architecture']}` "
        f"/ `{first['padding']}` cells on {first['train_rows']} training rows, so that a "
        "worker's fixed cost (a fresh interpreter importing TensorFlow) is a large part of "
        "each; each slot's next worker started while its cell trains (a spare) against started "
        f"when its cell does, {first['repeats']} passes each way, alternating which goes first. "
        "Wall time of each pass:",
        "",
        "| cells at a time | without spares, s | with spares, s | speed-up | saved per cell, s "
        "| spares by default |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['jobs']} | {', '.join(f'{s:.1f}' for s in row['off_seconds'])} | "
            f"{', '.join(f'{s:.1f}' for s in row['on_seconds'])} | {row['ratio']:.2f}x | "
            f"{row['seconds_saved_per_cell']:+.1f} | {'yes' if row['default'] else 'no'} |"
        )
    return lines


def _render_optimizer(o: dict) -> list[str]:
    every = o["ema_every"]
    names = {
        "stock": "Keras's Adam, average every step (0.1.0)",
        "fused": f"fused, average every {every} (default)",
    }
    by_architecture = o["architectures"]
    variants = list(next(iter(by_architecture.values()))["ms_per_step"])
    updates = list(next(iter(by_architecture.values()))["update_ms"])
    lines = [
        "",
        "## Fused Adam and the weight average",
        "",
        f"`benchmarks/optimizer_step.py`, under `{o['padding']}`: milliseconds per training "
        f"step ({o['steps_per_epoch']} steps an epoch), one model per variant on the same "
        f"batches, each variant's fastest of {o['repeats']} epochs, interleaved, after an "
        f"epoch of warm-up ({o['threads']} threads). Keras's Adam with the weight average "
        "updated every step, as rnn-harness 0.1.0 trained, against the harness's fused Adam "
        f"(`harness/training/optimizer.py`) with the average every {every} steps:",
        "",
        "| architecture | " + " | ".join(names.get(v, v) for v in variants) + " | speed-up |",
        "|---|" + "---|" * (len(variants) + 1),
    ]
    for name, found in by_architecture.items():
        ms = found["ms_per_step"]
        lines.append(
            f"| {name} | "
            + " | ".join(f"{ms[variant]:.1f}" for variant in variants)
            + f" | {found['speedup']:.2f}x |"
        )
    lines += [
        "",
        "The optimiser alone, milliseconds per update on the gradients of real batches (a whole "
        "step varies by more than the optimiser's share on a shared machine; this does not):",
        "",
        "| architecture | " + " | ".join(updates) + " | speed-up |",
        "|---|" + "---|" * (len(updates) + 1),
    ]
    for name, found in by_architecture.items():
        ms = found["update_ms"]
        lines.append(
            f"| {name} | "
            + " | ".join(f"{ms[update]:.2f}" for update in updates)
            + f" | {found['update_speedup']:.2f}x |"
        )
    return lines


def _render_ray(ray: dict) -> list[str]:
    fixed, side, copies = ray["fixed_cost"], ray["side_by_side"], ray["copies"]
    local, on_ray = side["local_jobs_2"], side["ray_2_cpus"]

    def seconds(values: list[float]) -> str:
        return ", ".join(f"{value:.1f}" for value in values)

    return [
        "",
        "## Ray executor",
        "",
        f"`{ray['command']}` ({ray['seconds'] / 60:.1f} minutes): `--executor ray` against "
        "`--executor local`, side by side in one process, on a Ray cluster of this machine's "
        "2 CPUs started by the benchmark.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| one-epoch `{fixed['cell']}` cell in a local worker, s (each run) | "
        f"{seconds(fixed['local_cell_seconds'])} |",
        f"| the same cell as a Ray task (fresh worker, data from the object store), s | "
        f"{seconds(fixed['ray_cell_seconds'])} |",
        f"| extra cost of a Ray cell (target ≤ 1 s) | {fixed['ray_extra_seconds']:+.2f} s: "
        f"{verdict(fixed['ray_extra_seconds'], 1.0, higher_is_better=False)} |",
        f"| starting a local Ray cluster, once per run, s | {ray['cluster_start_seconds']:.1f} |",
        f"| putting the data in the object store, once per run, s | "
        f"{ray['data_put_seconds']:.3f} ({ray['data_pickled_bytes'] / 2**20:.1f} MiB) |",
        f"| `{side['cell']}`, 2 seeds, {side['epochs']} epochs: `--jobs 2`, s | "
        f"{local['wall_seconds']:.0f} (threads per cell {local['threads']}) |",
        f"| the same on Ray, 2 CPUs, one per cell, s | {on_ray['wall_seconds']:.0f} "
        f"(threads per cell {on_ray['threads']}) |",
        f"| Ray / local wall time | {side['ray_over_local']:.2f} |",
        f"| same test accuracies | {on_ray['accuracies'] == local['accuracies']} |",
        f"| {copies['cells']} cells on {copies['nodes']} Ray nodes of this machine (cells per "
        f"node {copies['cells_per_node']}): nodes holding a copy of the data afterwards "
        f"(target: one copy per node) | {copies['nodes_holding_the_data']} "
        f"({copies['data_bytes'] / 2**20:.1f} MiB each) |",
    ]


@dataclass(frozen=True)
class Bench:
    """What every section measures on: the data, the plugins, the harness's training defaults."""

    source: str
    data: VectorizedData
    registry: Registry
    training: TrainingConfig


def ray_section(bench: Bench) -> dict:
    import ray_cost  # the ray extra: imported only when this section runs

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnn-harness-ray-benchmark-") as scratch:
        results = ray_cost.measure(bench.data, Path(scratch), SIDE_BY_SIDE_EPOCHS)
    return results | {
        "seconds": time.perf_counter() - started,
        "command": shlex.join(["python", *sys.argv]),
    }


PRESTART_ROWS = 500  # small cells: a worker's fixed cost is a large part of each
PRESTART_JOBS = (1, 2)


def prestart_section(bench: Bench) -> list[dict]:
    """Spares against none (benchmarks/worker_prestart.py) one and two cells at a time, and
    whether the harness starts spares there by default."""
    cores = environment.host()["cores"] or 1
    return [
        worker_prestart.prestart_gain(
            replace(bench.data.config, max_train=PRESTART_ROWS),
            jobs=jobs,
            cache_dir=bench.data.cache_path.parent,
        )
        | {"default": prestarts(DeviceConfig(parallel_cells=jobs), cores, [])}
        for jobs in PRESTART_JOBS
    ]


def growth_section(bench: Bench) -> dict:
    with tempfile.TemporaryDirectory(prefix="rnn-harness-growth-") as scratch:
        return cost_growth.measure_growth(DEFAULT_SOURCE, Path(scratch))


# Each section's results go under its name (with "_" for "-") in performance.json, in this
# order; determinism last, since op determinism stays on once enabled.
SECTIONS: dict[str, Callable[[Bench], Any]] = {
    "padding": lambda b: padding_costs(b.data, b.registry, b.training),
    "overhead": lambda b: overhead(b.data, b.registry, b.training, str(b.data.cache_path)),
    "fixed-cost": lambda b: fixed_cost.measure(b.data, b.registry, b.training),
    "time-to-accuracy": lambda b: time_to_accuracy(b.data, b.source, b.registry, b.training),
    "side-by-side": lambda b: side_by_side(b.data, b.training),
    "prestart": prestart_section,
    "optimizer": lambda b: optimizer_step.optimizer_costs(b.data, b.registry, b.training),
    "growth": growth_section,
    "ray": ray_section,
    "backends": lambda b: backends.measure(b.data, b.registry, b.training),
    "determinism": lambda b: determinism_cost(b.data, b.registry, b.training),
}


def section_key(name: str) -> str:
    return name.replace("-", "_")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=DEFAULT_SOURCE, help="what `harness run --data` takes")
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument(
        "--sections",
        type=lambda text: [name for name in text.split(",") if name],
        default=list(SECTIONS),
        help="comma-separated sections to run, for checking: "
        + ", ".join(SECTIONS)
        + "; their results replace those in --out's performance.json, the rest are kept; "
        "'' runs none (with --matrix: that section alone)",
    )
    parser.add_argument(
        "--matrix",
        nargs=2,
        metavar=("BASELINE", "NEW"),
        help="results files of two `harness run --all` on the same data and seeds: "
        "the matrix section (benchmarks/matrix_speedup.py)",
    )
    matrix_speedup.add_meant_to_change_arguments(parser)
    parser.add_argument(
        "--render", action="store_true", help="only rewrite performance.md from performance.json"
    )
    arguments = parser.parse_args()
    report = arguments.out / "performance.json"
    if arguments.render:
        report.with_suffix(".md").write_text(render(json.loads(report.read_text())))
        return
    unknown = sorted(set(arguments.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"--sections: unknown {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    everything = set(arguments.sections) == set(SECTIONS)
    results = {} if everything or not report.is_file() else json.loads(report.read_text())
    started = time.perf_counter()
    training = TrainingConfig()
    registry = load_registry()
    data = prepare(DataConfig(source=arguments.data), registry, arguments.cache_dir)
    bench = Bench(arguments.data, data, registry, training)
    command = shlex.join(["python", *sys.argv])
    section_seconds = results.setdefault("section_seconds", {})
    setups = results.setdefault(  # a file from before setups were kept: its one host made all
        "section_setups",
        {
            name: {"host": results["host"], "versions": results["versions"]}
            for name in section_seconds
        },
    )
    host, versions = environment.host(), environment.versions()
    results |= {
        # some sections: add to the commands (the same command again: moved to the end)
        "commands": [*(c for c in results.get("commands", []) if c != command), command],
        "data": data.describe(),
        "training": training.__dict__,
    }
    if arguments.sections or "host" not in results:  # --matrix alone measures nothing here
        results |= {"host": host, "versions": versions}
    for name in (name for name in SECTIONS if name in arguments.sections):
        section_started = time.perf_counter()
        results[section_key(name)] = SECTIONS[name](bench)
        section_seconds[name] = time.perf_counter() - section_started
        setups[name] = {"host": host, "versions": versions}
    if arguments.matrix:
        baseline, new = arguments.matrix
        results["matrix"] = matrix_speedup.compare_runs(
            baseline, new, arguments.meant_to_change, arguments.why
        )
    results["seconds"] = (
        time.perf_counter() - started if everything else sum(section_seconds.values())
    )
    arguments.out.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(results, indent=1, default=str))
    report.with_suffix(".md").write_text(render(results))
    print(render(results))


if __name__ == "__main__":
    main()
