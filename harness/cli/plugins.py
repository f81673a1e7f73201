"""``harness list``: what the plugins contribute (with the spaces ``harness tune`` searches),
and which failed to load."""

from __future__ import annotations

import click
from tabulate import tabulate


@click.command("list")
def list_plugins() -> None:
    """Architectures, padding strategies and data sources, where each comes from; failed plugins."""
    from harness.plugin.manager import load_registry
    from harness.tune.space import SHARED_SPACE

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
            ", ".join(
                f"{param.name} {param.search}"
                for param in registered.item.hyperparameters
                if param.search is not None
            )
            or "-",
        ]
        for name, registered in sorted(registry.architectures.items())
    ]
    click.echo("Architectures")
    headers = ["name", "plugin", "distribution", "summary", "defaults", "tuned over"]
    click.echo(tabulate(rows, headers))
    click.echo(
        "\nShared training space of harness tune: "
        + ", ".join(f"{param.name} {param.search}" for param in SHARED_SPACE)
    )
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
