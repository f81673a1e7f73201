"""``harness run``: train and score the matrix of cells, then write the leaderboard."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from harness.cli.exits import ExitCode
from harness.cli.options import (
    OUT_OPTION,
    FiniteFloatRange,
    JobsType,
    count_option,
    data_source_options,
    from_options,
    share_option,
    split_seed_option,
    text_fields,
    validation_size_option,
    vocabulary_size_option,
)
from harness.config import EXECUTORS, DataConfig, DeviceConfig, ExecutorConfig, TrainingConfig
from harness.results.schema import FINISHED, Status


@click.command("run")
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
@count_option("--seeds", default=3, help="Seeds per cell: 0..N-1.")
@count_option(
    "--epochs",
    "max_epochs",
    default=TrainingConfig.max_epochs,
    help="Most epochs; early stopping decides.",
)
@count_option(
    "--patience",
    default=TrainingConfig.patience,
    help="Epochs without a better validation accuracy before stopping.",
)
@count_option("--batch-size", default=TrainingConfig.batch_size)
@click.option(
    "--learning-rate",
    type=FiniteFloatRange(min=0, min_open=True),
    default=TrainingConfig.learning_rate,
    show_default=True,
)
@count_option("--embedding-dim", default=TrainingConfig.embedding_dim)
@share_option(
    "--embedding-dropout", TrainingConfig.embedding_dropout, "Dropout after the embedding."
)
@share_option(
    "--word-dropout",
    TrainingConfig.word_dropout,
    "Share of words replaced by the out-of-vocabulary token in training.",
)
@share_option(
    "--ema-momentum",
    TrainingConfig.ema_momentum,
    "Score the exponential moving average of the weights (0: the last weights).",
)
@count_option(
    "--ema-every",
    default=TrainingConfig.ema_every,
    help="Steps between updates of the average (momentum ** N; 1: every step).",
)
@click.option(
    "--data",
    "source",
    default=DataConfig.source,
    show_default=True,
    help="ag-news-sample (embedded), a directory (CSV family layout, or train.* and test.* "
    "tables), tfds:NAME, hf:NAME[:CONFIG] or what a plugin adds (harness list); see "
    "docs/data.md.",
)
@data_source_options
@click.option(
    "--normalize/--no-normalize",
    default=DataConfig.normalize,
    show_default=True,
    help="Repair AG News HTML remnants (see harness/data/text.py).",
)
@vocabulary_size_option
@count_option("--max-length", help="Truncate rows to this many tokens.")
@validation_size_option
@split_seed_option
@count_option("--max-train", help="Train on a seeded, stratified subset of this many rows.")
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
@count_option(
    "--threads",
    help="TensorFlow intra- and inter-op threads of each cell [default: the cores divided "
    "by --jobs; TensorFlow's own choice for one cell at a time].",
)
@click.option(
    "--jobs",
    "-j",
    "parallel_cells",
    type=JobsType(),
    default="auto",
    show_default=True,
    help="Cells to run at the same time, each in its own worker. auto: one per core on a "
    "CPU, one thread each (the cores divided by --threads when given; at most one per 2 GiB "
    "of memory), one per GPU when the cells use GPUs, 1 with --in-process or --device "
    "gpu:N; with --executor ray, the cluster decides. The number is recorded with every "
    "cell and in the leaderboard.",
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
@count_option(
    "--cpus-per-cell",
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
      3  an unexpected error (a bug): one line, and a log file holding its traceback
    130  interrupted (Ctrl-C); every finished cell's row is kept
    """
    from harness.config import RunOptions
    from harness.execution.runner import run
    from harness.report.leaderboard import NoResultsError, write_report

    if not (options["run_all"] or options["architectures"]):
        raise click.UsageError(
            "choose architectures with --arch/-a NAME, or run them all with --all"
        )
    text_fields(options)
    run_options = from_options(
        RunOptions,
        options,
        architectures=() if options.pop("run_all") else options["architectures"],
        data=from_options(DataConfig, options),
        training=from_options(TrainingConfig, options),
        device=from_options(DeviceConfig, options),
        executor=from_options(ExecutorConfig, options),
        command=shlex.join(["harness", *sys.argv[1:]]),
    )
    rows = run(run_options, say=click.echo)
    failed = sum(row["status"] != Status.DONE for row in rows)
    try:
        board = f"leaderboard: {write_report(run_options.out_dir)}"
    except NoResultsError:  # every cell left to another run, none of them finished yet
        board = "no leaderboard yet: the run writing the other cells writes it when it ends"
    click.echo(f"{len(rows)} cells run, {failed} not done; {board}")
    if any(row["status"] not in FINISHED for row in rows):
        sys.exit(ExitCode.CELL_FAILED)
