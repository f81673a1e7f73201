"""``harness data check``: validate a data source and describe it."""

from __future__ import annotations

from typing import Any

import click

from harness.cli.options import (
    count_option,
    data_source_options,
    from_options,
    split_seed_option,
    text_fields,
    validation_size_option,
    vocabulary_size_option,
)
from harness.config import DataConfig


@click.group("data")
def data() -> None:
    """Inspect data sources."""


@data.command("check")
@click.argument("source", default=DataConfig.source)
@data_source_options
@vocabulary_size_option
@validation_size_option
@split_seed_option
@count_option("--max-train", help="Check a seeded, stratified subset of this many rows.")
def data_check(source: str, **options: Any) -> None:
    """Validate SOURCE and describe it [default: ag-news-sample].

    SOURCE is ag-news-sample (embedded), a directory (CSV family layout, or train.* and
    test.* tables), tfds:NAME, hf:NAME[:CONFIG] or what a plugin adds (harness list; see
    docs/data.md). Every check of harness run is made, the validation split's (and
    --max-train's) included.
    """
    from harness.data.check import check

    text_fields(options)
    click.echo(check(from_options(DataConfig, options, source=source)).render())
