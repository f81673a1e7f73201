"""The ``harness`` command line: list plugins, check data, run comparisons, report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from tabulate import tabulate

from harness.errors import HarnessError
from harness.text import Fields

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter


class HarnessGroup(click.Group):
    """Prints a :class:`HarnessError` as one message and exits 2, with no traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HarnessError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)


@click.group(cls=HarnessGroup)
@click.version_option(package_name="rnn-harness")
def main() -> None:
    """Compare recurrent text classifiers on equal terms."""


@main.command("list")
def list_plugins() -> None:
    """Every architecture and padding strategy, where it comes from, and failed plugins."""
    from harness.registry import load_registry

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
    failed = [[p.name, f"{p.distribution} {p.version}", p.error] for p in registry.failed_plugins]
    if failed:
        click.echo("\nFailed plugins")
        click.echo(tabulate(failed, ["plugin", "distribution", "error"]))
    blocked = [p.name for p in registry.plugins if p.blocked]
    if blocked:
        click.echo(f"\nBlocked plugins: {', '.join(blocked)}")


FIELDS = click.Choice([fields.value for fields in Fields])


@main.group()
def data() -> None:
    """Inspect data sources."""


@data.command("check")
@click.argument("source")
@click.option(
    "--fields", type=FIELDS, default=Fields.TITLE_AND_DESCRIPTION.value, show_default=True
)
@click.option("--vocabulary-size", type=click.IntRange(min=3), default=20_000, show_default=True)
@click.option("--tfds-data-dir", type=click.Path(file_okay=False), default=None)
def data_check(source: str, fields: str, vocabulary_size: int, tfds_data_dir: str | None) -> None:
    """Validate SOURCE (a directory in the AG News CSV layout, or tfds:NAME) and describe it."""
    from harness.data_check import check

    summary = check(source, Fields(fields), vocabulary_size, tfds_data_dir and Path(tfds_data_dir))
    click.echo(summary.render())
