"""How a cell's costs grow with training rows: vectorising, caching, one epoch, peak memory.

    python benchmarks/performance.py --sections growth     # this section alone, ~8 minutes

Sizes: 1,000, 2,000 and 4,000 training rows of the embedded sample (``DataConfig.max_train``:
drawn stratified and seeded from its training split; validation and test splits unchanged),
all of its training rows, and 120,000 rows made by repeating the sample's training file
(:func:`write_repeated_sample`: repeated rows, so the vocabulary and the text lengths are the
sample's; its validation split holds the copies of the sample's validation rows, since copies
of a text stay on one side of that split).

Every size is measured in fresh child processes, one per phase, so that neither one phase's
nor one size's peak memory hides the next (peak resident memory is the child's own, from
:func:`harness.training.metrics.peak_host_memory_mb`; the checkpoints in between are its
resident memory then, from psutil):

1. ``prepare``: the harness's :func:`~harness.data.vectorize.prepare` into an empty cache
   folder (read and fingerprint the source, normalise, split, fit the vocabulary with
   ``TextVectorization.adapt``, tokenise every split, write the cache), with the read and
   the vocabulary fit timed inside it; then writing the same arrays once more, and reading
   the cache entry back (warm page cache, as every cell of a run reads it), each timed alone.
2. one child per architecture (:data:`ARCHITECTURES`, padding :data:`PADDING`): read the
   cache, build and compile the model as a cell does (Adam, weight averaging), one pass over
   the training batches (fills the pipeline's cache and shuffle buffer), then train. Up to
   :data:`FULL_EPOCH_ROWS` rows: a first epoch (it traces the graph), then
   :data:`TIMED_EPOCHS` epochs, the fastest of them the figure (noise on a shared machine
   only adds time). Above: :data:`STEPS` steps of warm-up, then :data:`STEPS` steps timed and
   extrapolated to an epoch (seconds per step x batches per epoch), then one full epoch
   timed: the extrapolation, which larger data could use in place of whole epochs, checked
   against it. Epoch times are training only, as in a cell (validation excluded).

``python benchmarks/cost_growth.py --child TASK_JSON --result PATH`` is a child's entry point.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil

SAMPLE_SIZES = (1_000, 2_000, 4_000, None)  # None: every training row of the sample
REPEATED_ROWS = 120_000  # AG News's training split
ARCHITECTURES = ("lstm", "stacked-bilstm")
PADDING = "bucket"
FULL_EPOCH_ROWS = 10_000
TIMED_EPOCHS = 3
STEPS = 200
CHILD_TIMEOUT_SECONDS = 1_800
MIB = 2**20


def measure_growth(source: str, scratch: Path) -> dict[str, Any]:
    """Every size's costs and peak memory; ``source`` is the embedded sample's name."""
    sizes = []
    for max_train in SAMPLE_SIZES:
        sizes.append(measure_size(source, max_train, scratch, repeated=None))
        print(json.dumps(_without_details(sizes[-1])), flush=True)
    all_rows = sizes[-1]["rows"]["train"]
    # a text's copies stay on one side of the validation split: training rows = copies x all
    copies = math.ceil(REPEATED_ROWS / all_rows)
    repeated = write_repeated_sample(scratch / "repeated", copies)
    sizes.append(measure_size(str(repeated), REPEATED_ROWS, scratch, repeated=copies))
    print(json.dumps(_without_details(sizes[-1])), flush=True)
    return {
        "architectures": list(ARCHITECTURES),
        "padding": PADDING,
        "steps": STEPS,
        "full_epoch_rows": FULL_EPOCH_ROWS,
        "timed_epochs": TIMED_EPOCHS,
        "sizes": sizes,
    }


def measure_size(
    source: str, max_train: int | None, scratch: Path, repeated: int | None
) -> dict[str, Any]:
    """One size: a prepare child, then a training child per architecture, all fresh."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))
    task = {"phase": "prepare", "source": source, "max_train": max_train, "cache_dir": str(cache)}
    prepared = run_child(task)
    train_rows = prepared["rows"]["train"]
    full = train_rows <= FULL_EPOCH_ROWS
    training = {
        name: run_child(
            {
                "phase": "train",
                "cache_path": prepared["cache_path"],
                "architecture": name,
                "padding": PADDING,
                "steps": None if full else STEPS,
            }
        )
        for name in ARCHITECTURES
    }
    shutil.rmtree(cache, ignore_errors=True)
    return {
        "label": f"{train_rows:,} rows, repeated" if repeated else f"{train_rows:,} rows",
        "max_train": max_train,
        "repeated_copies": repeated,
        "rows": prepared["rows"],
        "source_rows": prepared["source_rows"],
        "prepare": prepared,
        "training": training,
    }


def write_repeated_sample(directory: Path, copies: int) -> Path:
    """The embedded sample in the CSV family layout, its training file repeated ``copies`` times
    (its test file and class names as they are)."""
    from harness.data.sources.embedded import sample_directory

    sample = sample_directory()
    directory.mkdir(parents=True, exist_ok=True)
    train = gzip.decompress((sample / "train.csv.gz").read_bytes())
    if not train.endswith(b"\n"):
        train += b"\n"
    (directory / "train.csv").write_bytes(train * copies)
    (directory / "test.csv").write_bytes(gzip.decompress((sample / "test.csv.gz").read_bytes()))
    shutil.copy(sample / "classes.txt", directory / "classes.txt")
    return directory


def run_child(task: dict[str, Any]) -> dict[str, Any]:
    """Run ``task`` in a fresh Python process (this file) and return what it measured."""
    import harness

    root = str(Path(harness.__file__).resolve().parent.parent)  # the same harness as ours
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    with tempfile.TemporaryDirectory(prefix="rnn-harness-growth-") as scratch:
        result = Path(scratch, "result.json")
        command = [sys.executable, __file__, "--child", json.dumps(task), "--result", str(result)]
        done = subprocess.run(
            command, env=environment, capture_output=True, text=True,
            timeout=CHILD_TIMEOUT_SECONDS, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not result.is_file():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"growth child {task} failed ({done.returncode}):\n{tail}")
        return json.loads(result.read_text())


# --- the report's section -----------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One timed step of the section: a column of its tables."""

    column: str
    key: str  # a key of the prepare child's seconds, or an architecture (its epoch)
    rows: str  # the rows it processes: see rows_processed

    def seconds(self, size: dict[str, Any]) -> float:
        if self.key in size["training"]:
            return epoch_seconds(size["training"][self.key])
        return size["prepare"]["seconds"][self.key]


PREPARE_MEASURES = (
    Measure("read source", "read_source", "source"),
    Measure("fit vocabulary", "adapt", "train"),
    Measure("normalise, split, tokenise", "normalise_split_tokenise", "splits"),
    Measure("write cache", "write_cache", "splits"),
    Measure("read cache", "read_cache", "splits"),
)


def measures(growth: dict[str, Any]) -> list[Measure]:
    """Every timed step: the data's preparation, then an epoch of each architecture."""
    epochs = [Measure(f"{name} epoch", name, "train") for name in growth["architectures"]]
    return [*PREPARE_MEASURES, *epochs]


def rows_processed(size: dict[str, Any], which: str) -> int:
    """``source``: rows read from the source's files; ``train``: training rows; ``splits``:
    rows of the three splits."""
    if which == "source":
        return sum(size["source_rows"].values())
    if which == "train":
        return size["rows"]["train"]
    return sum(size["rows"].values())


def epoch_seconds(run: dict[str, Any]) -> float:
    """A steady epoch's training seconds (the graph traced before it)."""
    return run["epoch_seconds"]


def linearity(growth: dict[str, Any]) -> list[dict[str, Any]]:
    """Per timed step: the least-squares slope over every size (seconds per 1,000 rows it
    processes), and the largest size's seconds against the line through the smaller sizes."""
    sizes = growth["sizes"]
    lines = []
    for measure in measures(growth):
        rows = np.array([rows_processed(size, measure.rows) for size in sizes], dtype=float)
        seconds = np.array([measure.seconds(size) for size in sizes])
        slope, intercept = np.polyfit(rows / 1_000, seconds, 1)
        small_slope, small_intercept = np.polyfit(rows[:-1] / 1_000, seconds[:-1], 1)
        predicted = small_slope * rows[-1] / 1_000 + small_intercept
        lines.append(
            {
                "measure": measure.column,
                "seconds_per_1k_rows": float(slope),
                "intercept_seconds": float(intercept),
                "largest_predicted_seconds": float(predicted),
                "largest_measured_seconds": float(seconds[-1]),
            }
        )
    return lines


def render_section(growth: dict[str, Any]) -> list[str]:
    """The markdown section of reports/performance.md."""
    sizes, names = growth["sizes"], growth["architectures"]
    largest = sizes[-1]
    columns = measures(growth)
    lines = [
        "",
        "## How cost grows with training rows",
        "",
        f"The embedded sample at {_sample_sizes(sizes)} training rows (fewer than all: drawn "
        "stratified and seeded from its training split, `max_train`; validation and test "
        f"splits unchanged), and **{largest['rows']['train']:,} repeated rows**: the sample's "
        "training file "
        f"repeated {largest['repeated_copies']} times, so the vocabulary and the text lengths "
        "are the sample's, not AG News's (its validation split holds the copies of the "
        "sample's validation rows). Each size ran in fresh child processes, one to prepare the "
        "data and one per architecture, so that no peak hides another "
        "(`benchmarks/cost_growth.py`). Models: "
        + ", ".join(f"`{name}`" for name in names)
        + f" under `{growth['padding']}`, the harness's defaults (Adam, weight averaging); "
        "TensorFlow's own thread pools, one child at a time.",
        "",
        "| size | train / validation / test rows | rows read from the source | vocabulary |",
        "|---|---|---|---|",
    ]
    for size in sizes:
        rows = size["rows"]
        lines.append(
            f"| {size['label']} | {rows['train']:,} / {rows['validation']:,} / "
            f"{rows['test']:,} | {rows_processed(size, 'source'):,} | "
            f"{size['prepare']['vocabulary']:,} |"
        )
    lines += [
        "",
        "Seconds. The first five columns are the data's preparation (`harness.data.vectorize."
        "prepare` into an empty cache, with the read and `TextVectorization.adapt` timed inside "
        "it; writing the cache timed alone on the same arrays; the rest of `prepare` is the "
        "third column). Epochs are training time only (validation excluded), after a first "
        f"epoch that traced the graph, the fastest of {growth['timed_epochs']} (above "
        f"{growth['full_epoch_rows']:,} rows: one epoch, after {growth['steps']} steps of "
        "warm-up). " + _validation_note(largest, names),
        "",
        "| size | " + " | ".join(measure.column for measure in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for size in sizes:
        cells = [_seconds(measure.seconds(size)) for measure in columns]
        lines.append(f"| {size['label']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Milliseconds per 1,000 rows each step processes: rows read from the source for the "
        "read, "
        "training rows for the vocabulary and the epochs, rows of the three splits for the "
        "rest.",
        "",
        "| size | " + " | ".join(measure.column for measure in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for size in sizes:
        cells = [
            _milliseconds(1_000 * measure.seconds(size) / rows_processed(size, measure.rows))
            for measure in columns
        ]
        lines.append(f"| {size['label']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"**Is it linear?** A least-squares line through all {len(sizes)} sizes, and the "
        f"largest ({largest['label']}) measured against the line through the "
        f"{len(sizes) - 1} smaller sizes (1.00: exactly on it):",
        "",
        "| step | ms per 1,000 rows (slope) | fixed s (intercept) | largest, s: measured / "
        "predicted from the smaller sizes |",
        "|---|---|---|---|",
    ]
    for line in linearity(growth):
        lines.append(
            f"| {line['measure']} | {_milliseconds(line['seconds_per_1k_rows'])} | "
            f"{_seconds(line['intercept_seconds'])} | "
            f"{_seconds(line['largest_measured_seconds'])} / "
            f"{_seconds(line['largest_predicted_seconds'])} = "
            f"{line['largest_measured_seconds'] / line['largest_predicted_seconds']:.2f} |"
        )
    lines += _render_memory(growth)
    return lines


def _seconds(value: float) -> str:
    decimals = 3 if abs(value) < 0.1 else 2 if abs(value) < 10 else 1
    return f"{value:.{decimals}f}"


def _milliseconds(seconds: float) -> str:
    return f"{1_000 * seconds:,.{1 if abs(seconds) < 0.1 else 0}f}"


def _sample_sizes(sizes: list[dict[str, Any]]) -> str:
    """ "1,000, 2,000, 4,000 and all 7,104": the sample's sizes, in words."""
    counts = [
        f"{size['rows']['train']:,}" if size["max_train"] else f"all {size['rows']['train']:,}"
        for size in sizes
        if size["repeated_copies"] is None
    ]
    return ", ".join(counts[:-1]) + f" and {counts[-1]}" if len(counts) > 1 else counts[0]


def _validation_note(largest: dict[str, Any], names: list[str]) -> str:
    """How close an epoch extrapolated from a few steps came to the measured one."""
    checked = {
        name: run
        for name in names
        if "extrapolated_epoch_seconds" in (run := largest["training"][name])
    }
    if not checked:
        return ""
    steps = next(iter(checked.values()))["timed_steps"]
    return (
        f"At {largest['label']}, an epoch extrapolated from {steps} timed steps (seconds per "
        "step x batches per epoch) against the epoch measured after them: "
        + "; ".join(
            f"`{name}` {run['extrapolated_epoch_seconds']:.1f} s against "
            f"{run['epoch_seconds']:.1f} s "
            f"({run['extrapolated_epoch_seconds'] / run['epoch_seconds']:.2f} of it)"
            for name, run in checked.items()
        )
        + "."
    )


def _render_memory(growth: dict[str, Any]) -> list[str]:
    sizes, names = growth["sizes"], growth["architectures"]
    lines = [
        "",
        "Peak resident memory of each child (MiB, its own: `VmHWM`), and what it held right after "
        "importing TensorFlow and the harness:",
        "",
        "| size | prepare: peak | "
        + " | ".join(f"{name}: peak" for name in names)
        + " | after imports | vectorised arrays in memory |",
        "|---|---|" + "---|" * len(names) + "---|---|",
    ]
    for size in sizes:
        prepared = size["prepare"]
        peaks = [f"{size['training'][name]['memory_mib']['peak']:,.0f}" for name in names]
        lines.append(
            f"| {size['label']} | {prepared['memory_mib']['peak']:,.0f} | "
            + " | ".join(peaks)
            + f" | {prepared['memory_mib']['after_import']:,.0f} | "
            f"{sum(prepared['data_bytes'].values()) / MIB:.1f} |"
        )
    largest = sizes[-1]
    prepared = largest["prepare"]
    data = prepared["data_bytes"]
    runs = [largest["training"][name] for name in names]
    lines += [
        "",
        f"**Where memory goes at {largest['label']}**: each child's resident memory grew by "
        "this much (MiB) in each stage (to the peak: the growth of the peak within it).",
        "",
        "| preparing the data | MiB |",
        "|---|---|",
        *_stage_rows(
            prepared["memory_mib"],
            [
                ("Python with NumPy and psutil", "python"),
                ("importing TensorFlow and the harness", "after_import"),
                ("reading the source: every row's text as a Python string", "after_read"),
                ("normalising, splitting, fitting the vocabulary, to its peak", "peak_after_adapt"),
                ("tokenising every split and writing the cache, to the peak", "peak"),
            ],
        ),
        "",
        "| training | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
        *_stage_rows(
            [run["memory_mib"] for run in runs],
            [
                ("Python with NumPy and psutil", "python"),
                ("importing TensorFlow and the harness", "after_import"),
                ("reading the cache: the vectorised arrays", "after_data"),
                ("building the model, Adam's slots and the weight average", "after_model"),
                (
                    "one pass of the batches: the pipeline's cache and shuffle buffer",
                    "after_pipeline",
                ),
                ("training, to the peak", "peak"),
            ],
        ),
    ]
    token_ids = sum(value for key, value in data.items() if key.endswith("token_ids"))
    lines += [
        "",
        f"For scale: the vectorised arrays are {sum(data.values()) / MIB:.1f} MiB "
        f"({token_ids / MIB:.1f} MiB of token ids, int32; "
        f"{data['lengths_labels_rows'] / MIB:.1f} MiB of lengths, labels and source row "
        f"numbers), the cache file {prepared['cache_bytes'] / MIB:.1f} MiB; the model state "
        "(weights, Adam's two moments and the weight average: 4 x parameters x 4 bytes) is "
        + ", ".join(
            f"{run['model_state_bytes'] / MIB:.1f} MiB for `{name}` "
            f"({run['parameters']:,} parameters)"
            for name, run in zip(names, runs, strict=True)
        )
        + ". The rest of each peak is TensorFlow's runtime: its libraries and thread pools, "
        "the traced graphs, the pipeline's buffers and the activations and gradients of the "
        "training steps.",
    ]
    return lines


def _stage_rows(
    memories: dict[str, float] | list[dict[str, float]], stages: list[tuple[str, str]]
) -> list[str]:
    """A row per stage: how much each child's resident memory grew in it; then the peak."""
    columns = memories if isinstance(memories, list) else [memories]
    rows, previous = [], [0.0] * len(columns)
    for label, key in stages:
        now = [memory[key] for memory in columns]
        grew = [after - before for before, after in zip(previous, now, strict=True)]
        rows.append(f"| {label} | " + " | ".join(f"{mib:,.0f}" for mib in grew) + " |")
        previous = now
    peaks = " | ".join(f"**{memory['peak']:,.0f}**" for memory in columns)
    return [*rows, f"| **peak** | {peaks} |"]


# --- in the child -------------------------------------------------------------------------


def resident_mib() -> float:
    return psutil.Process().memory_info().rss / MIB


def child_prepare(source: str, max_train: int | None, cache_dir: str) -> dict[str, Any]:
    memory = {"python": resident_mib()}
    import tensorflow  # noqa: F401  (imported here, so that its memory is counted apart)

    from harness.config import DataConfig
    from harness.data import vectorize
    from harness.data.cache import load_prepared
    from harness.plugin.manager import load_registry
    from harness.training.metrics import peak_host_memory_mb

    memory["after_import"] = resident_mib()
    seconds: dict[str, float] = {}
    read: dict[str, int] = {}

    def after_read(dataset) -> None:
        read.update(train=len(dataset.train), test=len(dataset.test))
        memory["after_read"] = resident_mib()

    def after_adapt(_) -> None:
        memory["peak_after_adapt"] = peak_host_memory_mb()

    _time_calls(vectorize, "source_fingerprint", seconds)
    _time_calls(vectorize, "load_dataset", seconds, after_read)
    _time_calls(vectorize, "fit_vectorizer", seconds, after_adapt)
    config = DataConfig(source=source, max_train=max_train)
    started = time.perf_counter()
    data = vectorize.prepare(config, load_registry(), Path(cache_dir))
    seconds["prepare"] = time.perf_counter() - started
    memory["peak"] = peak_host_memory_mb()

    arrays = dict(np.load(data.cache_path / "splits.npz"))
    meta = (data.cache_path / "meta.json").read_text()
    with tempfile.TemporaryDirectory(dir=cache_dir) as again:
        started = time.perf_counter()
        np.savez(Path(again, "splits.npz"), **arrays)
        Path(again, "meta.json").write_text(meta)
        seconds["write_cache"] = time.perf_counter() - started
    started = time.perf_counter()
    load_prepared(data.cache_path)
    seconds["read_cache"] = time.perf_counter() - started
    seconds["read_source"] = seconds.pop("source_fingerprint") + seconds.pop("load_dataset")
    seconds["adapt"] = seconds.pop("fit_vectorizer")
    seconds["normalise_split_tokenise"] = (
        seconds["prepare"] - seconds["read_source"] - seconds["adapt"] - seconds["write_cache"]
    )
    return {
        "cache_path": str(data.cache_path),
        "rows": {name: len(split) for name, split in data.splits.items()},
        "source_rows": read,  # rows read from the source's files
        "vocabulary": len(data.vocabulary),
        "seconds": seconds,
        "memory_mib": memory,
        "data_bytes": data_bytes(data),
        "cache_bytes": (data.cache_path / "splits.npz").stat().st_size,
    }


def data_bytes(data) -> dict[str, int]:
    """Bytes of the vectorised arrays in memory: each split's token ids, and all the rest
    (row lengths, labels and source row numbers of every split)."""
    token_ids = {
        f"{name}_token_ids": int(split.token_ids.nbytes) for name, split in data.splits.items()
    }
    rest = sum(
        int(split.lengths.nbytes + split.labels.nbytes) for split in data.splits.values()
    ) + sum(int(rows.nbytes) for rows in data.source_rows.values())
    return {**token_ids, "lengths_labels_rows": rest}


def child_train(
    cache_path: str, architecture: str, padding: str, steps: int | None
) -> dict[str, Any]:
    memory = {"python": resident_mib()}
    import keras

    from harness.config import TrainingConfig
    from harness.data.cache import load_prepared
    from harness.plugin.manager import load_registry
    from harness.training.callbacks import EpochTimer, weight_averaging
    from harness.training.fit import compiled_classifier
    from harness.training.metrics import peak_host_memory_mb

    memory["after_import"] = resident_mib()
    data = load_prepared(Path(cache_path))
    memory["after_data"] = resident_mib()
    registry = load_registry()
    model_plugin = registry.architecture(architecture).item
    strategy = registry.padding_strategy(padding).item
    training = TrainingConfig()
    keras.utils.set_random_seed(0)
    model = compiled_classifier(
        model_plugin, model_plugin.defaults(), data, training, strategy.masks
    )
    memory["after_model"] = resident_mib()
    batches = strategy.batches(
        data.train, training.batch_size, training_lengths=data.train.lengths, shuffle_seed=0
    )
    batches_per_epoch = sum(1 for _ in batches)  # also fills the pipeline's cache
    memory["after_pipeline"] = resident_mib()

    def timed_fit(dataset, epochs: int, steps_per_epoch: int | None = None) -> list[float]:
        timer = EpochTimer()
        model.fit(
            dataset, steps_per_epoch=steps_per_epoch, epochs=epochs,
            validation_data=batches.take(1),  # the timer stops where validation starts
            callbacks=[timer, *weight_averaging(training)], shuffle=False, verbose=0,
        )  # fmt: skip
        return timer.train_seconds

    found: dict[str, Any] = {"batches_per_epoch": batches_per_epoch}
    if steps is None:  # the first epoch traces the graph
        first, *steady = timed_fit(batches, epochs=1 + TIMED_EPOCHS)
        found |= {
            "first_epoch_seconds": first,
            "steady_epochs_seconds": steady,
            "epoch_seconds": min(steady),
        }
    else:  # the first steps trace it
        warmup, timed = timed_fit(batches.repeat(), epochs=2, steps_per_epoch=steps)
        found |= {
            "warmup_seconds": warmup,
            "timed_steps": steps,
            "timed_steps_seconds": timed,
            "extrapolated_epoch_seconds": timed / steps * batches_per_epoch,
            "epoch_seconds": timed_fit(batches, epochs=1)[0],
        }
    memory["peak"] = peak_host_memory_mb()
    parameters = int(model.count_params())
    state_bytes = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in _state(model))
    return {
        **found,
        "architecture": architecture,
        "padding": padding,
        "train_rows": len(data.train),
        "parameters": parameters,
        "model_state_bytes": state_bytes,
        "memory_mib": memory,
    }


def _state(model) -> list:
    """The weights, and the optimiser's variables (Adam's two moments, the weight average)."""
    return [*model.weights, *model.optimizer.variables]


def _time_calls(
    module, name: str, seconds: dict[str, float], on_result: Callable[[Any], None] | None = None
) -> None:
    """Wrap ``module.name`` so that the time spent in its calls adds up in ``seconds[name]``
    (and each result goes to ``on_result``)."""
    original = getattr(module, name)  # an AttributeError here: the harness renamed it

    def timed(*args, **kwargs):
        started = time.perf_counter()
        result = original(*args, **kwargs)
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
        if on_result is not None:
            on_result(result)
        return result

    setattr(module, name, timed)


def _without_details(size: dict[str, Any]) -> dict[str, Any]:
    """A size's result for the progress line: its seconds and peaks."""
    return {
        "label": size["label"],
        "prepare_seconds": size["prepare"]["seconds"],
        "prepare_peak_mib": size["prepare"]["memory_mib"]["peak"],
        **{
            name: {
                key: value
                for key, value in run.items()
                if key.endswith("seconds") or key == "memory_mib"
            }
            for name, run in size["training"].items()
        },
    }


def child_main() -> None:
    parser = argparse.ArgumentParser(description="one child of the cost growth benchmark")
    parser.add_argument("--child", required=True, help="the task, as JSON")
    parser.add_argument("--result", required=True, type=Path)
    arguments = parser.parse_args()
    task = json.loads(arguments.child)
    phase = task.pop("phase")
    result = child_prepare(**task) if phase == "prepare" else child_train(**task)
    arguments.result.write_text(json.dumps(result))


if __name__ == "__main__":
    child_main()
