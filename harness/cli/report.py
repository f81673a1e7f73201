"""``harness report`` and ``harness compare``: read what runs wrote."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.cli.exits import ExitCode
from harness.cli.options import OUT_OPTION


@click.command("report")
@OUT_OPTION
def report_command(out_dir: Path) -> None:
    """Rewrite the leaderboard (.md, .png and .html) from the results file in OUT (a tune's: the
    tuned one)."""
    from harness.report.files import write_report
    from harness.results.log import RESULTS_FILE, read_rows
    from harness.tune.report import is_tune, write_tuned_report

    if is_tune(read_rows(out_dir / RESULTS_FILE)):
        click.echo(f"leaderboard: {write_tuned_report(out_dir)}")
    else:
        click.echo(f"leaderboard: {write_report(out_dir)}")


@click.command("compare")
@click.argument("baseline")
@click.argument("candidate")
@click.option(
    "--allow-missing",
    is_flag=True,
    help="List the cells (or seeds) BASELINE has done and CANDIDATE did not run, without "
    "counting them as regressions (a candidate that ran part of the matrix). Cells that "
    "failed still count.",
)
def compare_command(baseline: str, candidate: str, allow_missing: bool) -> None:
    """Compare CANDIDATE's cells with BASELINE's, paired on the test rows.

    Each of BASELINE and CANDIDATE is a results file, an --out directory holding
    results.jsonl, or REV:PATH, a results file at a git revision (e.g.
    HEAD~3:reports/results.jsonl). Prints the settings that differ and, cell by cell,
    accuracy and throughput of each, the paired difference with its 95 % interval and
    a verdict (better / worse / within noise, Holm-adjusted over the cells). A cell that
    BASELINE has done and CANDIDATE has not (failed, timed out, crashed, diverged or not
    run) is named and counts as a regression. Each data set in the files is compared on
    its own.

    \b
    Exit status:
      0  no cell is worse beyond noise
      1  a cell is worse beyond noise, or failed or is missing in CANDIDATE where
         BASELINE has it done (for CI)
      2  bad input: a source that is not a results file, or holds no result rows
      3  an unexpected error (a bug): one line, and a log file holding its traceback
    130  interrupted (Ctrl-C)
    """
    from harness.report.compare import compare_results, render

    comparisons = compare_results(baseline, candidate, allow_missing)
    click.echo(render(comparisons), nl=False)
    failed = any(comparison.fails for comparison in comparisons)
    sys.exit(ExitCode.CELL_FAILED if failed else ExitCode.OK)
