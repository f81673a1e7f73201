"""``harness report`` and ``harness compare``: read what runs wrote."""

from __future__ import annotations

import sys
from pathlib import Path

import click

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
