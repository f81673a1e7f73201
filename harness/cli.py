"""The ``harness`` command line: list plugins, check data, run comparisons, report."""

from __future__ import annotations

import sys

import click
from tabulate import tabulate

from harness.errors import HarnessError


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
