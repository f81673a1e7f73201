"""``harness run``: expand the matrix of cells, run what is not done, record every outcome.

Each finished cell appends its row to ``<out>/results.jsonl`` at once, so an
interrupted run (even by SIGKILL) loses at most the cell in progress; running
the same command again re-runs only the cells without a finished row.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

from harness import __version__
from harness.api import VectorizedData
from harness.config import (
    DEFAULT_BACKEND,
    CellSpec,
    DeviceConfig,
    Params,
    RunOptions,
    TrainingConfig,
    parse_overrides,
)
from harness.data.cache import default_cache_dir
from harness.data.embeddings import coverage_line, with_embeddings
from harness.data.vectorize import prepare
from harness.errors import HarnessError, UnknownNameError
from harness.execution import environment
from harness.execution.batch_plans import make_batch_plans
from harness.execution.claims import CellClaims
from harness.execution.cost import (
    RunEstimate,
    estimate_line,
    estimate_run,
    long_run_advice,
    longest_first,
    remaining_seconds,
)
from harness.execution.executor import Executor, open_executor
from harness.execution.preflight import (
    check_backends,
    check_embedding_memory,
    check_output_directory,
    check_writable_directory,
    gpus_visible,
)
from harness.execution.worker import CellOutcome
from harness.hashing import COMPARISON_KEY_LENGTH, digest
from harness.plugin.manager import PluginSource, Registry, load_registry
from harness.results.log import RESULTS_FILE, append_row, finished_configs, read_rows
from harness.results.schema import SCHEMA_VERSION, ResultRow

Say = Callable[[str], None]


@dataclass(frozen=True)
class Selection:
    """The validated choice of a run: hyperparameters per architecture, and padding strategies."""

    params: dict[str, Params]
    paddings: tuple[str, ...]


def select(options: RunOptions, registry: Registry) -> Selection:
    """Check names, overrides and seeds before any data is loaded; raise a clear error."""
    architectures = options.architectures or tuple(sorted(registry.architectures))
    paddings = options.paddings or tuple(sorted(registry.padding_strategies))
    for name in paddings:
        registry.padding_strategy(name)
    overrides = parse_overrides(list(options.overrides))
    for name, values in overrides.items():  # every architecture named, in the run or not
        if name not in registry.architectures:
            raise UnknownNameError("architecture in --set", name, registry.architectures)
        registry.architecture(name).item.resolve(values)
    check_backends(options.backends, in_process=options.in_process)
    params = {
        name: registry.architecture(name).item.resolve(overrides.get(name, {}))
        for name in architectures
    }
    return Selection(params, paddings)


def plan_cells(
    options: RunOptions,
    selection: Selection,
    registry: Registry,
    data: VectorizedData,
    machine: dict[str, Any],
    device: DeviceConfig,
) -> list[CellSpec]:
    """The matrix: architecture x padding strategy x seed, on ``machine`` with ``device``.

    The executor says what ``machine`` is (this machine; on Ray, the resources each cell
    asks for), and it is part of each cell's configuration (docs/results.md), as are the
    pretrained vectors ``data`` carries, if any, frozen or fine-tuned as ``options`` say, and
    Keras's backend, one cell on each of ``options.backends``.
    """
    embeddings = cell_embeddings(options, data)
    return [
        cell_of(
            registry,
            name,
            params,
            padding,
            seed,
            options.training,
            device,
            data,
            machine,
            embeddings=embeddings,
            backend=backend,
        )
        for name, params in selection.params.items()
        for padding in selection.paddings
        for backend in options.backends
        for seed in range(options.seeds)
    ]


def cell_of(
    registry: Registry,
    architecture: str,
    params: Params,
    padding: str,
    seed: int,
    training: TrainingConfig,
    device: DeviceConfig,
    data: VectorizedData,
    machine: dict[str, Any],
    score_test: bool = True,
    embeddings: dict[str, Any] | None = None,
    backend: str = DEFAULT_BACKEND,
) -> CellSpec:
    """One cell on ``data``, its plugins described as its configuration records them."""
    return CellSpec(
        architecture=architecture,
        params=params,
        padding=padding,
        seed=seed,
        training=training,
        device=device,
        data=data.describe(),
        data_cache_path=str(data.cache_path),
        plugin=_described(registry.architecture(architecture).source),
        machine=machine,
        summary=registry.architecture(architecture).item.summary,
        padding_plugin=_described(registry.padding_strategy(padding).source),
        score_test=score_test,
        embeddings=embeddings or {},
        backend=backend,
    )


def cell_embeddings(options: RunOptions, data: VectorizedData) -> dict[str, Any]:
    """The pretrained vectors of each cell as its configuration records them ({}: none)."""
    if data.embeddings is None or options.embeddings is None:
        return {}
    return {**data.embeddings.description, "trainable": options.embeddings.trainable}


def _described(source: PluginSource) -> dict[str, str]:
    """A plugin as a cell's configuration records it."""
    return {"name": source.name, "distribution": source.distribution, "version": source.version}


def run(options: RunOptions, say: Say = print) -> list[ResultRow]:
    """Run every cell of ``options`` that has no finished row; return the rows written.

    Everything that could fail after training is checked first: names, overrides,
    devices, the output directory and the results already there. Before the first cell,
    says what the run is expected to take (:mod:`harness.execution.cost`); the cells run
    the longest first.
    """
    registry = load_registry()
    for plugin in registry.failed_plugins:
        say(f"warning: {plugin.describe()} failed to load and is left out: {plugin.error}")
    selection = select(options, registry)
    check_output_directory(options.out_dir)
    check_writable_directory(
        options.cache_dir or default_cache_dir(),
        "--cache-dir" if options.cache_dir else "--cache-dir (the default)",
    )
    results_path = options.out_dir / RESULTS_FILE
    rows = read_rows(results_path)  # refuses a file of a newer schema before anything trains
    executor = open_executor(options.executor, options.device, options.timeout, options.in_process)
    data = prepare(options.data, registry, options.cache_dir)
    if options.embeddings is not None:  # the model's width follows the vectors'
        data = with_embeddings(options.embeddings, data)
        assert data.embeddings is not None
        training = dataclasses.replace(options.training, embedding_dim=data.embeddings.dimension)
        options = dataclasses.replace(options, training=training)
    machine = executor.machine()
    check_embedding_memory(
        options.training.embedding_dim,
        vocabulary=len(data.vocabulary),
        cells_at_a_time=executor.cells_at_a_time(),
        memory_gib=environment.host()["memory_gb"],
    )
    cells = plan_cells(options, selection, registry, data, machine, executor.device())
    done = set() if options.force else finished_configs(rows)
    with CellClaims(results_path) as claims:
        unfinished = [cell for cell in cells if cell.config_hash() not in done]
        todo = [cell for cell in unfinished if claims.claim(cell.config_hash())]
        if not options.force:  # a run that ended before the claims finished some of them
            done = finished_configs(read_rows(results_path))
            todo = [cell for cell in todo if cell.config_hash() not in done]
        elsewhere = len(unfinished) - len(todo)
        say(
            f"{len(cells)} cells ({len(cells) - len(unfinished)} already finished, {len(todo)} to "
            f"run{f', {elsewhere} left to another run writing to --out' if elsewhere else ''}); "
            f"data: {data.config.source} ({len(data.train)} train / {len(data.validation)} "
            f"validation / {len(data.test)} test rows); results: {results_path}"
        )
        for note in data.notes:
            say(f"note: {note}")
        if data.embeddings is not None and options.embeddings is not None:
            say(coverage_line(data.embeddings.description, options.embeddings.trainable))
        make_batch_plans(todo, data, registry, say)
        todo, estimate = longest_first(
            todo,
            estimate_run(
                todo,
                data,
                rows,
                {name: registry.padding_strategy(name).item for name in selection.paddings},
                machine,
                executor.cells_at_a_time(),
            ),
        )
        if todo:
            say_estimate(estimate, options, executor.device(), len(data.train), say)
        return run_cells(options, executor, data, todo, estimate, results_path, say)


def run_cells(
    options: RunOptions,
    executor: Executor,
    data: VectorizedData,
    todo: list[CellSpec],
    estimate: RunEstimate,
    results_path: Path,
    say: Say,
) -> list[ResultRow]:
    """Run ``todo`` (in order) on ``executor``, append each row to ``results_path`` as its
    cell ends and say where the run stands; return the rows written."""
    expected = {
        cell.config_hash(): cost.seconds for cell, cost in zip(todo, estimate.costs, strict=True)
    }
    run_started = utc_now("microseconds")  # tells apart runs started in the same second
    clock_started = time.perf_counter()
    written: list[ResultRow] = []
    # a live bar on a terminal; in logs (or with --quiet) the one line per cell says where we are
    progress = tqdm(total=len(todo), unit="cell", disable=True if options.quiet else None)

    def report(cell: CellSpec, line: str) -> None:
        if not options.quiet:
            progress.write(f"  {cell.label}: {line}")

    observed_done = expected_done = 0.0
    with progress, executor, closing(executor.outcomes(todo, data, report)) as outcomes:
        for number, (cell, outcome) in enumerate(outcomes, start=1):
            cell_expected = expected.pop(cell.config_hash())
            expected_then = {
                "cell_seconds": round(cell_expected, 1),
                "run_seconds": round(estimate.wall_seconds, 1),
            }
            row = result_row(
                cell, outcome, options.command, run_started, results_path, expected_then
            )
            append_or_keep(results_path, row)
            written.append(row)
            progress.update()
            elapsed = time.perf_counter() - clock_started
            observed_done += outcome.wall_seconds
            expected_done += cell_expected
            left = remaining_seconds(
                list(expected.values()), observed_done, expected_done, estimate.cells_at_a_time
            )
            with tqdm.external_write_mode():  # keeps a live bar below the line
                say(
                    f"[{number}/{len(todo)}, {_minutes(elapsed)} elapsed, ~{_minutes(left)} left] "
                    + _summary(cell, outcome)
                )
    return written


def append_or_keep(results_path: Path, row: ResultRow) -> None:
    """Append ``row`` to the results file; when that fails after all (the disk filled, the
    file was replaced), keep the row in a file of its own beside it, or else in the
    temporary directory, and stop the run with one line naming both: a trained row is never
    lost."""
    try:
        append_row(results_path, row)
        return
    except OSError as error:
        failure = f"{error.strerror or error}"
    line = json.dumps(row, sort_keys=True, default=str) + "\n"
    for directory in (results_path.parent, Path(tempfile.gettempdir())):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=directory, prefix="results.unsaved-", suffix=".jsonl", delete=False
            ) as kept:
                kept.write(line)
        except OSError:
            continue
        raise HarnessError(
            f"cannot append to {results_path} ({failure}); the run stops, and its row is kept "
            f"in {kept.name}: once the results file can be written, append it there "
            f"(cat {shlex.quote(kept.name)} >> {shlex.quote(str(results_path))}) and run the "
            "same command to resume"
        )
    raise HarnessError(
        f"cannot append to {results_path} ({failure}), nor keep its row elsewhere; the row: "
        + line.strip()
    )


def say_estimate(
    estimate: RunEstimate, options: RunOptions, device: DeviceConfig, train_rows: int, say: Say
) -> None:
    """The estimate line and, for a long run, what would shorten it."""
    say(estimate_line(estimate))
    advice = long_run_advice(
        estimate,
        cores=environment.host()["cores"] or 1,
        gpus=gpus_visible(),
        device=device.device,
        executor=options.executor.executor,
        train_rows=train_rows,
    )
    if advice:
        say(advice)


def result_row(
    cell: CellSpec,
    outcome: CellOutcome,
    command: str,
    run_started: str,
    results_path: Path,
    estimate: dict[str, float] | None = None,
    tuning: dict[str, Any] | None = None,
) -> ResultRow:
    """The row of ``cell``; ``estimate``: its expected seconds and its run's, before the run;
    ``tuning``: what ``harness tune`` ran it for (study, role, trial)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "config_hash": cell.config_hash(),
        "comparison": comparison_key(cell),
        "status": outcome.status,
        "reason": outcome.reason,
        "architecture": cell.architecture,
        "padding": cell.padding,
        "seed": cell.seed,
        "backend": cell.backend,
        "params": cell.params,
        "plugin": cell.plugin,
        "padding_plugin": cell.padding_plugin,
        "summary": cell.summary,
        "training": cell.configuration()["training"],
        "data": cell.data,
        "embeddings": cell.embeddings or None,
        "device": {**cell.configuration()["device"], **outcome.device},
        "measurements": outcome.measurements,
        "cell_wall_seconds": round(outcome.wall_seconds, 3),
        "versions": environment.versions(cell.backend),
        "host": outcome.node or environment.host(),  # where the cell ran
        "placement": outcome.executor,
        "git_commit": environment.git_commit(ignoring=results_path),
        "command": command,
        "run_started_at": run_started,
        "finished_at": utc_now(),
        "estimate": estimate,
        "tuning": tuning,
    }


def comparison_key(cell: CellSpec) -> str:
    """Cells with the same key are comparable: same data, training, device and machine, and
    the same version of rnn-harness, whose core builds every model's frame, trains it and
    batches it under the built-in padding strategies: rows of two versions never share a
    key, so no board pools them. Pretrained vectors, when a cell uses them, are part of it."""
    config = cell.configuration()
    shared = {key: config[key] for key in ("data", "training", "device", "machine")}
    if cell.embeddings:
        shared["embeddings"] = config["embeddings"]
    return digest({**shared, "rnn-harness": __version__}, COMPARISON_KEY_LENGTH)


def _summary(cell: CellSpec, outcome: CellOutcome) -> str:
    text = f"{cell.label}: {outcome.status}"
    if outcome.measurements:
        m = outcome.measurements
        text += (
            f", test accuracy {m['test_accuracy']:.4f}, {m['train_examples_per_second']:.0f} "
            f"examples/s, {m['epochs_run']} epochs"
        )
    if outcome.reason:
        text += f" ({outcome.reason})"
    return text + f" [{outcome.wall_seconds:.0f} s]"


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def utc_now(timespec: str = "seconds") -> str:
    return datetime.now(timezone.utc).isoformat(timespec=timespec)
