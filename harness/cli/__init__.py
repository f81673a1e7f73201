"""The ``harness`` command line: list plugins, check data, run comparisons, report."""

from __future__ import annotations

import dataclasses
import math
import os
import shlex
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from tabulate import tabulate

from harness.config import EXECUTORS, DataConfig, DeviceConfig, ExecutorConfig, TrainingConfig
from harness.errors import HarnessError
from harness.results.log import ResultsWarning
from harness.results.schema import FINISHED, Status

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter


class HarnessGroup(click.Group):
    """Prints a :class:`HarnessError` as one message and exits 2, with no traceback; prints
    a warning about the results file as one line."""

    def invoke(self, ctx: click.Context):
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except HarnessError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)


_python_show_warning = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, ResultsWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


class FiniteFloatRange(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses NaN and infinity."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


@click.group(cls=HarnessGroup)
@click.version_option(package_name="rnn-harness")
def main() -> None:
    """Compare recurrent text classifiers on equal terms."""


@main.command("list")
def list_plugins() -> None:
    """Architectures, padding strategies and data sources, where each comes from; failed plugins."""
    from harness.plugin.manager import load_registry

    registry = load_registry()
    rows = [
        [
            name,
            registered.source.name,
            f"{registered.source.distribution} {registered.source.version}",
            registered.item.summary
            + (" [reference baseline]" if registered.item.reference_baseline else ""),
            ", ".join(
                f"{param.name}: {param.type.__name__} = {param.default!r}"
                for param in registered.item.hyperparameters
            )
            or "-",
        ]
        for name, registered in sorted(registry.architectures.items())
    ]
    click.echo("Architectures")
    click.echo(tabulate(rows, ["name", "plugin", "distribution", "summary", "defaults"]))
    strategies = [
        [
            name,
            f"{registered.source.distribution} {registered.source.version}",
            registered.item.summary,
        ]
        for name, registered in sorted(registry.padding_strategies.items())
    ]
    click.echo("\nPadding strategies")
    click.echo(tabulate(strategies, ["name", "distribution", "summary"]))
    kinds = [
        [
            registered.item.usage,
            registered.item.name,
            f"{registered.source.distribution} {registered.source.version}",
            registered.item.summary,
        ]
        for registered in registry.data_sources_in_turn()
    ]
    click.echo("\nData sources (--data), asked in this order")
    click.echo(tabulate(kinds, ["--data", "name", "distribution", "summary"]))
    failed = [[p.name, f"{p.distribution} {p.version}", p.error] for p in registry.failed_plugins]
    if failed:
        click.echo("\nFailed plugins")
        click.echo(tabulate(failed, ["plugin", "distribution", "error"]))
    blocked = [p.name for p in registry.plugins if p.blocked]
    if blocked:
        click.echo(f"\nBlocked plugins: {', '.join(blocked)}")


OUT_OPTION = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where results.jsonl, leaderboard.md and leaderboard.png go.",
)
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def _from_options(config_class: type[T], options: dict[str, Any], **given: Any) -> T:
    """A config dataclass from the CLI options named after its fields (taken out of ``options``)."""
    names = {field.name for field in dataclasses.fields(config_class)}  # type: ignore[arg-type]
    values = {name: options.pop(name) for name in names - set(given) if name in options}
    return config_class(**values, **given)


@main.group()
def data() -> None:
    """Inspect data sources."""


def _data_source_options(function: F) -> F:
    """--fields/--text-column, --label-column and --tfds-data-dir: how to read a source."""
    for option in reversed(
        [
            click.option(
                "--fields",
                default=None,
                metavar="NAME+NAME",
                help="Text fields to join, in order: of the CSV family layout (text; title, "
                "description; question_title, question_content, answer) or a "
                "tensorflow-datasets builder's text features [default: all of them].",
            ),
            click.option(
                "--text-column",
                "text_columns",
                multiple=True,
                metavar="NAME",
                help="A table's or Hugging Face data set's text column (repeatable; joined in "
                "order) [default: text].",
            ),
            click.option(
                "--label-column",
                default=None,
                metavar="NAME",
                help="A table's or Hugging Face data set's label column [default: label].",
            ),
            click.option(
                "--tfds-data-dir",
                type=click.Path(file_okay=False),
                default=None,
                help="tensorflow-datasets data directory.",
            ),
        ]
    ):
        function = option(function)
    return function


def _text_fields(options: dict[str, Any]) -> None:
    """Merge --fields and --text-column (two spellings of one choice) into options["fields"]."""
    fields, columns = options.pop("fields"), options.pop("text_columns")
    if fields and columns:
        raise click.UsageError("give either --fields or --text-column, not both")
    options["fields"] = tuple(filter(None, fields.split("+"))) if fields else tuple(columns)


@data.command("check")
@click.argument("source", default=DataConfig.source)
@_data_source_options
@click.option("--vocabulary-size", type=click.IntRange(min=3), default=20_000, show_default=True)
def data_check(source: str, vocabulary_size: int, **options: Any) -> None:
    """Validate SOURCE and describe it [default: ag-news-sample].

    SOURCE is ag-news-sample (embedded), a directory (CSV family layout, or train.* and
    test.* tables), tfds:NAME or hf:NAME[:CONFIG] (see docs/data.md).
    """
    from harness.data import SourceOptions
    from harness.data.check import check

    _text_fields(options)
    tfds_data_dir = options.pop("tfds_data_dir")
    source_options = SourceOptions(**options, tfds_data_dir=tfds_data_dir and Path(tfds_data_dir))
    click.echo(check(source, source_options, vocabulary_size).render())


def _count_option(*names: str, default: int, help: str | None = None) -> Callable[[F], F]:
    """An option for a whole number of at least 1, shown with its default."""
    return click.option(
        *names, type=click.IntRange(min=1), default=default, show_default=True, help=help
    )


def _share_option(name: str, default: float, help: str) -> Callable[[F], F]:
    """An option for a share in [0, 1), shown with its default."""
    return click.option(
        name, type=FiniteFloatRange(0, 1, max_open=True), default=default, show_default=True,
        help=help,
    )  # fmt: skip


@main.command("run")
@click.option(
    "--all", "run_all", is_flag=True, help="Every architecture under every padding strategy."
)
@click.option(
    "--arch", "-a", "architectures", multiple=True, help="Architecture to run (repeatable)."
)
@click.option(
    "--padding",
    "-p",
    "paddings",
    multiple=True,
    help="Padding strategy (repeatable; default: all).",
)
@_count_option("--seeds", default=3, help="Seeds per cell: 0..N-1.")
@_count_option(
    "--epochs",
    "max_epochs",
    default=TrainingConfig.max_epochs,
    help="Most epochs; early stopping decides.",
)
@_count_option(
    "--patience",
    default=TrainingConfig.patience,
    help="Epochs without a better validation accuracy before stopping.",
)
@_count_option("--batch-size", default=TrainingConfig.batch_size)
@click.option(
    "--learning-rate",
    type=FiniteFloatRange(min=0, min_open=True),
    default=TrainingConfig.learning_rate,
    show_default=True,
)
@_count_option("--embedding-dim", default=TrainingConfig.embedding_dim)
@_share_option(
    "--embedding-dropout", TrainingConfig.embedding_dropout, "Dropout after the embedding."
)
@_share_option(
    "--word-dropout",
    TrainingConfig.word_dropout,
    "Share of words replaced by the out-of-vocabulary token in training.",
)
@_share_option(
    "--ema-momentum",
    TrainingConfig.ema_momentum,
    "Score the exponential moving average of the weights (0: the last weights).",
)
@click.option(
    "--data",
    "source",
    default=DataConfig.source,
    show_default=True,
    help="ag-news-sample (embedded), a directory (CSV family layout, or train.* and test.* "
    "tables), tfds:NAME or hf:NAME[:CONFIG]; see docs/data.md.",
)
@_data_source_options
@click.option(
    "--normalize/--no-normalize",
    default=DataConfig.normalize,
    show_default=True,
    help="Repair AG News HTML remnants (see harness/data/text.py).",
)
@click.option(
    "--vocabulary-size",
    type=click.IntRange(min=3),
    default=DataConfig.vocabulary_size,
    show_default=True,
)
@click.option(
    "--max-length",
    type=click.IntRange(min=1),
    default=None,
    help="Truncate rows to this many tokens.",
)
@click.option(
    "--validation-size",
    type=FiniteFloatRange(0, 1, min_open=True, max_open=True),
    default=DataConfig.validation_size,
    show_default=True,
    help="Share of the training split held out for validation.",
)
@click.option("--split-seed", type=int, default=DataConfig.split_seed, show_default=True)
@click.option(
    "--max-train",
    type=click.IntRange(min=1),
    default=None,
    help="Train on a seeded, stratified subset of this many rows.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="ARCH.PARAM=VALUE",
    help="Override a hyperparameter (repeatable).",
)
@OUT_OPTION
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Vectorised data cache [default: ~/.cache/rnn-harness].",
)
@click.option("--force", is_flag=True, help="Re-run cells that already have a finished result.")
@click.option(
    "--timeout",
    type=FiniteFloatRange(min=0, min_open=True),
    default=None,
    help="Seconds a cell may take before its worker is killed.",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, gpu or gpu:N.")
@click.option("--mixed-precision", is_flag=True, help="Train in mixed_float16.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="TensorFlow intra- and inter-op threads of each cell [default: TensorFlow's own "
    "choice; with --jobs N, the cores divided by N].",
)
@_count_option(
    "--jobs",
    "-j",
    "parallel_cells",
    default=DeviceConfig.parallel_cells,
    help="Cells to run at the same time, each in its own worker.",
)
@click.option(
    "--deterministic",
    is_flag=True,
    help="TensorFlow op determinism (slower; same seed, same bits).",
)
@click.option(
    "--in-process", is_flag=True, help="Run cells in this process: no isolation, no timeout."
)
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    default="local",
    show_default=True,
    help="local: worker processes on this machine; ray: one Ray task per cell "
    "(pip install 'rnn-harness[ray]'; see docs/cluster.md).",
)
@click.option(
    "--ray-address",
    default=None,
    metavar="ADDRESS",
    help="Join the Ray cluster at ADDRESS (host:port) [default: start one on this machine].",
)
@click.option(
    "--cpus-per-cell",
    type=click.IntRange(min=1),
    default=None,
    help="Ray: CPUs each cell reserves, and its TensorFlow threads [default: 1].",
)
@click.option(
    "--gpus-per-cell",
    type=click.IntRange(min=0),
    default=None,
    help="Ray: GPUs each cell reserves [default: 1 when the cells use GPUs, else 0].",
)
@click.option("--quiet", "-q", is_flag=True, help="One line per cell, no progress bar.")
def run_command(**options) -> None:
    """Train and score architectures x padding strategies x seeds; write the leaderboard.

    \b
    Exit status:
      0  every cell finished (done, or diverged: a seeded divergence repeats)
      1  a cell ended in error or timeout, or its worker died; its row and the
         leaderboard are written all the same
      2  a usage or data error, found before any cell trains
    """
    from harness.config import RunOptions
    from harness.execution.runner import run
    from harness.report.leaderboard import write_report

    if not (options["run_all"] or options["architectures"]):
        raise click.UsageError(
            "choose architectures with --arch/-a NAME, or run them all with --all"
        )
    _text_fields(options)
    run_options = _from_options(
        RunOptions,
        options,
        architectures=() if options.pop("run_all") else options["architectures"],
        data=_from_options(DataConfig, options),
        training=_from_options(TrainingConfig, options),
        device=_from_options(DeviceConfig, options),
        executor=_from_options(ExecutorConfig, options),
        command=shlex.join(["harness", *sys.argv[1:]]),
    )
    rows = run(run_options, say=click.echo)
    failed = sum(row["status"] != Status.DONE for row in rows)
    path = write_report(run_options.out_dir)
    click.echo(f"{len(rows)} cells run, {failed} not done; leaderboard: {path}")
    if any(row["status"] not in FINISHED for row in rows):
        sys.exit(1)


@main.command("report")
@OUT_OPTION
def report_command(out_dir: Path) -> None:
    """Rewrite the leaderboard from the results file in OUT."""
    from harness.report.leaderboard import write_report

    click.echo(f"leaderboard: {write_report(out_dir)}")


@main.command("compare")
@click.argument("baseline")
@click.argument("candidate")
def compare_command(baseline: str, candidate: str) -> None:
    """Compare CANDIDATE's cells with BASELINE's, paired on the test rows.

    Each of BASELINE and CANDIDATE is a results file, an --out directory holding
    results.jsonl, or REV:PATH, a results file at a git revision (e.g.
    HEAD~3:reports/results.jsonl). Prints the settings that differ and, cell by cell,
    accuracy and throughput of each, the paired difference with its 95 % interval and
    a verdict (better / worse / within noise, Holm-adjusted over the cells).

    Exit status: 0 when no cell is worse beyond noise, 1 when one is (for CI), 2 on
    bad input.
    """
    from harness.report.compare import compare, load_side, render

    comparison = compare(load_side(baseline), load_side(candidate))
    click.echo(render(comparison), nl=False)
    sys.exit(1 if comparison.regressions else 0)
