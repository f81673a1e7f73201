"""The options of the ``harness`` commands, in the groups ``--help`` shows them under.

``harness run --help`` lists its options under Selection, Data, Training, Execution and
Output (cloup option groups, see docs/cli.md); a command that trains cells takes the Data,
Training, Execution and Output groups from here, so that the same option means the same
thing on every command.
"""

from __future__ import annotations

import dataclasses
import math
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import cloup
from click.core import ParameterSource

from harness.config import (
    BACKENDS,
    DEFAULT_BACKEND,
    EXECUTORS,
    DataConfig,
    DeviceConfig,
    EmbeddingsConfig,
    ExecutorConfig,
    RunOptions,
    TrainingConfig,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

# Every option one line at 100 columns, defaults shown; the details are in docs/cli.md.
FORMATTER = cloup.HelpFormatter.settings(width=100, col1_max_width=34)


class FiniteFloatRange(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses NaN and infinity."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class JobsType(click.ParamType):
    """``--jobs``: ``auto`` (None, resolved by the executor) or a whole number of at least 1."""

    name = "auto|N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if value is None or value == "auto":
            return None
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            self.fail(f"{value!r} is not auto or a whole number of at least 1", param, ctx)
        return number


def from_options(config_class: type[T], options: dict[str, Any], **given: Any) -> T:
    """A config dataclass from the CLI options named after its fields (taken out of ``options``)."""
    names = {field.name for field in dataclasses.fields(config_class)}  # type: ignore[arg-type]
    values = {name: options.pop(name) for name in names - set(given) if name in options}
    return config_class(**values, **given)


def text_fields(options: dict[str, Any]) -> None:
    """Merge --fields and --text-column (two spellings of one choice) into options["fields"]."""
    fields, columns = options.pop("fields"), options.pop("text_columns")
    if fields and columns:
        raise click.UsageError("give either --fields or --text-column, not both")
    options["fields"] = tuple(filter(None, fields.split("+"))) if fields else tuple(columns)


def run_options_from(options: dict[str, Any], verb: str, **given: Any) -> RunOptions:
    """What ``harness run`` or ``harness tune`` (``verb``) was asked to do, from its parsed
    options (taken out of ``options``); ``given`` sets fields of its own."""
    if not (options["run_all"] or options["architectures"]):
        raise click.UsageError(
            f"choose architectures with --arch/-a NAME, or {verb} them all with --all"
        )
    text_fields(options)
    embeddings = embeddings_from_options(options)
    return from_options(
        RunOptions,
        options,
        architectures=() if options.pop("run_all") else options["architectures"],
        data=from_options(DataConfig, options),
        training=from_options(TrainingConfig, options),
        embeddings=embeddings,
        device=from_options(DeviceConfig, options),
        executor=from_options(ExecutorConfig, options),
        command=shlex.join(["harness", *sys.argv[1:]]),
        **given,
    )


def embeddings_from_options(options: dict[str, Any]) -> EmbeddingsConfig | None:
    """``--embeddings`` with its settings (taken out of ``options``), or None without it; an
    ``--embedding-dim`` given on the command line is kept, to be checked against the vectors'."""
    source = options.pop("embeddings")
    trainable, frozen = options.pop("embeddings_trainable"), options.pop("embeddings_frozen")
    min_coverage = options.pop("min_coverage")
    if source is None:
        given = {
            "--embeddings-trainable": trainable,
            "--embeddings-frozen": frozen,
            "--min-coverage": min_coverage is not None,
        }
        if any(given.values()):
            named = ", ".join(name for name, value in given.items() if value)
            raise click.UsageError(f"{named}: only with --embeddings")
        return None
    if trainable and frozen:
        raise click.UsageError("give either --embeddings-trainable or --embeddings-frozen")
    dimension_given = click.get_current_context().get_parameter_source("embedding_dim")
    return EmbeddingsConfig(
        source,
        trainable=trainable,
        min_coverage=EmbeddingsConfig.min_coverage if min_coverage is None else min_coverage,
        dimension=None if dimension_given == ParameterSource.DEFAULT else options["embedding_dim"],
    )


def count_option(*names: str, default: int | None = None, help: str | None = None) -> Any:
    """An option for a whole number of at least 1, shown with its default when it has one."""
    return cloup.option(
        *names, type=click.IntRange(min=1), default=default, show_default=default is not None,
        metavar="N", help=help,
    )  # fmt: skip


def share_option(name: str, default: float, help: str) -> Any:
    """An option for a share in [0, 1), shown with its default."""
    return cloup.option(
        name, type=FiniteFloatRange(0, 1, max_open=True), default=default, show_default=True,
        metavar="SHARE", help=help,
    )  # fmt: skip


def selection_options(verb: str, every: str, paddings: str) -> tuple[Any, ...]:
    """--all, --arch/-a and --padding/-p of a command that trains cells: ``verb`` what it
    does to an architecture, ``every`` what --all selects, ``paddings`` the default."""
    return (
        cloup.option("--all", "run_all", is_flag=True, help=every),
        cloup.option(
            "--arch", "-a", "architectures", multiple=True, metavar="NAME",
            help=f"Architecture to {verb} (repeatable).",
        ),
        cloup.option(
            "--padding", "-p", "paddings", multiple=True, metavar="NAME",
            help=f"Padding strategy (repeatable) [default: {paddings}].",
        ),
    )  # fmt: skip


OUT_OPTION = cloup.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    default=Path("reports"),
    show_default=True,
    help="Folder of results.jsonl and the leaderboard.",
)

VOCABULARY_SIZE_OPTION = cloup.option(
    "--vocabulary-size",
    type=click.IntRange(min=3),
    default=DataConfig.vocabulary_size,
    show_default=True,
    metavar="N",
    help="Tokens of the vocabulary.",
)

VALIDATION_SIZE_OPTION = cloup.option(
    "--validation-size",
    type=FiniteFloatRange(0, 1, min_open=True, max_open=True),
    metavar="SHARE",
    default=DataConfig.validation_size,
    show_default=True,
    help="Share of training rows held out.",
)

SPLIT_SEED_OPTION = cloup.option(
    "--split-seed",
    type=int,
    metavar="N",
    default=DataConfig.split_seed,
    show_default=True,
    help="Seed of the validation split.",
)

SOURCE_READING_OPTIONS = (
    cloup.option(
        "--fields",
        default=None,
        metavar="NAME+NAME",
        help="Text fields to join, in order [default: all].",
    ),
    cloup.option(
        "--text-column",
        "text_columns",
        multiple=True,
        metavar="NAME",
        help="A table's text column (repeatable) [default: text].",
    ),
    cloup.option(
        "--label-column",
        default=None,
        metavar="NAME",
        help="A table's label column [default: label].",
    ),
    cloup.option(
        "--tfds-data-dir",
        type=click.Path(file_okay=False),
        metavar="DIR",
        default=None,
        help="tensorflow-datasets data folder.",
    ),
)


def source_reading_options(function: F) -> F:
    """--fields/--text-column, --label-column and --tfds-data-dir: how to read a source."""
    for option in reversed(SOURCE_READING_OPTIONS):
        function = option(function)
    return function


DATA_OPTIONS = cloup.option_group(
    "Data",
    cloup.option(
        "--data",
        "source",
        default=DataConfig.source,
        show_default=True,
        metavar="SOURCE",
        help="What to train on (docs/data.md).",
    ),
    *SOURCE_READING_OPTIONS,
    cloup.option(
        "--normalize/--no-normalize",
        default=DataConfig.normalize,
        show_default=True,
        help="Repair AG News's HTML remnants.",
    ),
    VOCABULARY_SIZE_OPTION,
    count_option("--max-length", help="Truncate rows to this many tokens."),
    VALIDATION_SIZE_OPTION,
    SPLIT_SEED_OPTION,
    count_option("--max-train", help="Train on a stratified subset of N rows."),
    cloup.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        metavar="DIR",
        default=None,
        help="Vectorised data cache [default: ~/.cache/rnn-harness].",
    ),
)

TRAINING_OPTIONS = cloup.option_group(
    "Training",
    count_option(
        "--epochs", "max_epochs", default=TrainingConfig.max_epochs, help="Most epochs a cell."
    ),
    count_option(
        "--patience",
        default=TrainingConfig.patience,
        help="Epochs without a better validation score.",
    ),
    count_option("--batch-size", default=TrainingConfig.batch_size, help="Rows a step."),
    cloup.option(
        "--learning-rate",
        type=FiniteFloatRange(min=0, min_open=True),
        metavar="RATE",
        default=TrainingConfig.learning_rate,
        show_default=True,
        help="Adam's learning rate.",
    ),
    count_option(
        "--embedding-dim",
        default=TrainingConfig.embedding_dim,
        help="Width of the embedding (or the vectors').",
    ),
    cloup.option(
        "--embeddings",
        default=None,
        metavar="FILE|NAME",
        help="Pretrained word vectors (docs/embeddings.md).",
    ),
    cloup.option("--embeddings-trainable", is_flag=True, help="Fine-tune the vectors."),
    cloup.option(
        "--embeddings-frozen", is_flag=True, help="Keep the vectors as they are (default)."
    ),
    cloup.option(
        "--min-coverage",
        type=FiniteFloatRange(0, 1),
        default=None,
        metavar="SHARE",
        help="Least vocabulary share the vectors cover [default: 0.01].",
    ),
    share_option(
        "--embedding-dropout", TrainingConfig.embedding_dropout, "Dropout after the embedding."
    ),
    share_option("--word-dropout", TrainingConfig.word_dropout, "Share of words made unknown."),
    share_option(
        "--ema-momentum", TrainingConfig.ema_momentum, "Weight average's momentum (0: none)."
    ),
    count_option(
        "--ema-every", default=TrainingConfig.ema_every, help="Steps between average updates."
    ),
)

EXECUTION_OPTIONS = cloup.option_group(
    "Execution",
    cloup.option(
        "--jobs",
        "-j",
        "parallel_cells",
        type=JobsType(),
        default="auto",
        show_default=True,
        help="Cells at a time, each in its own worker.",
    ),
    count_option("--threads", help="TensorFlow threads a cell [default: cores / jobs]."),
    cloup.option(
        "--device",
        default=DeviceConfig.device,
        show_default=True,
        metavar="auto|cpu|gpu|gpu:N",
        help="Where cells train.",
    ),
    cloup.option(
        "--backend",
        "backends",
        type=click.Choice(BACKENDS),
        multiple=True,
        default=(DEFAULT_BACKEND,),
        show_default=True,
        metavar="NAME",
        help="Keras backend (repeatable; docs/backends.md).",
    ),
    cloup.option("--mixed-precision", is_flag=True, help="Train in mixed_float16."),
    cloup.option("--deterministic", is_flag=True, help="Op determinism: same seed, same bits."),
    cloup.option(
        "--timeout",
        type=FiniteFloatRange(min=0, min_open=True),
        default=None,
        metavar="SECONDS",
        help="Kill a cell's worker after this long.",
    ),
    cloup.option("--in-process", is_flag=True, help="Cells in this process (debugging)."),
    cloup.option(
        "--executor",
        type=click.Choice(EXECUTORS),
        default=ExecutorConfig.executor,
        show_default=True,
        help="Local workers, or a Ray cluster.",
    ),
    cloup.option(
        "--ray-address",
        default=None,
        metavar="HOST:PORT",
        help="Ray cluster to join [default: start one].",
    ),
    count_option("--cpus-per-cell", help="Ray: CPUs a cell reserves [default: 1]."),
    cloup.option(
        "--gpus-per-cell",
        type=click.IntRange(min=0),
        metavar="N",
        default=None,
        help="Ray: GPUs a cell reserves [default: 1 if GPUs].",
    ),
)

OUTPUT_OPTIONS = cloup.option_group(
    "Output",
    OUT_OPTION,
    cloup.option("--force", is_flag=True, help="Re-run cells that already finished."),
    cloup.option("--quiet", "-q", is_flag=True, help="One line per cell, no progress bar."),
)
