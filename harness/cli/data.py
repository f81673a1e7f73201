"""``harness data check``: validate a data source and describe it."""

from __future__ import annotations

from typing import Any

import click

from harness.cli.options import (
    SPLIT_SEED_OPTION,
    VALIDATION_SIZE_OPTION,
    VOCABULARY_SIZE_OPTION,
    count_option,
    from_options,
    source_reading_options,
    text_fields,
)
from harness.config import DataConfig


@click.group("data")
def data() -> None:
    """Inspect data sources."""


@data.command("check")
@click.argument("source", default=DataConfig.source)
@source_reading_options
@VOCABULARY_SIZE_OPTION
@VALIDATION_SIZE_OPTION
@SPLIT_SEED_OPTION
@count_option("--max-train", help="Check a seeded, stratified subset of this many rows.")
def data_check(source: str, **options: Any) -> None:
    """Validate SOURCE and describe it [default: ag-news-sample].

    SOURCE is ag-news-sample (embedded), a directory (CSV family layout, or train.* and
    test.* tables), tfds:NAME, hf:NAME[:CONFIG] or what a plugin adds (harness list; see
    docs/data.md). Every check of harness run is made, the validation split's (and
    --max-train's) included.
    """
    from harness.data.check import check
    from harness.plugin.manager import load_registry

    text_fields(options)
    click.echo(check(from_options(DataConfig, options, source=source), load_registry()).render())
