"""``harness run``: train and score the matrix of cells, then write the leaderboard."""

from __future__ import annotations

import sys

import cloup

from harness.cli.exits import ExitCode
from harness.cli.options import (
    DATA_OPTIONS,
    EXECUTION_OPTIONS,
    FORMATTER,
    OUTPUT_OPTIONS,
    TRAINING_OPTIONS,
    count_option,
    run_options_from,
    selection_options,
)
from harness.results.schema import FINISHED, Status


@cloup.command("run", formatter_settings=FORMATTER)
@cloup.option_group(
    "Selection",
    *selection_options("run", "Every architecture, every strategy.", "all"),
    count_option("--seeds", default=3, help="Seeds a cell: 0..N-1."),
    cloup.option(
        "--set", "overrides", multiple=True, metavar="ARCH.PARAM=VALUE",
        help="Override a hyperparameter (repeatable).",
    ),
)  # fmt: skip
@DATA_OPTIONS
@TRAINING_OPTIONS
@EXECUTION_OPTIONS
@OUTPUT_OPTIONS
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
    from harness.execution.runner import run
    from harness.report.files import write_report
    from harness.report.leaderboard import NoResultsError

    run_options = run_options_from(options, "run")
    rows = run(run_options, say=cloup.echo)
    failed = sum(row["status"] != Status.DONE for row in rows)
    try:
        board = f"leaderboard: {write_report(run_options.out_dir)}"
    except NoResultsError:  # every cell left to another run, none of them finished yet
        board = "no leaderboard yet: the run writing the other cells writes it when it ends"
    cloup.echo(f"{len(rows)} cells run, {failed} not done; {board}")
    if any(row["status"] not in FINISHED for row in rows):
        sys.exit(ExitCode.CELL_FAILED)
