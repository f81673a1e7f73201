"""``harness data check``: validate a data source and describe it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from harness.cli.options import VOCABULARY_SIZE_OPTION, source_reading_options, text_fields
from harness.config import DataConfig


@click.group("data")
def data() -> None:
    """Inspect data sources."""


@data.command("check")
@click.argument("source", default=DataConfig.source)
@source_reading_options
@VOCABULARY_SIZE_OPTION
def data_check(source: str, vocabulary_size: int, **options: Any) -> None:
    """Validate SOURCE and describe it [default: ag-news-sample].

    SOURCE is ag-news-sample (embedded), a directory (CSV family layout, or train.* and
    test.* tables), tfds:NAME, hf:NAME[:CONFIG] or what a plugin adds (harness list; see
    docs/data.md).
    """
    from harness.data import SourceOptions
    from harness.data.check import check
    from harness.plugin.manager import load_registry

    text_fields(options)
    tfds_data_dir = options.pop("tfds_data_dir")
    source_options = SourceOptions(**options, tfds_data_dir=tfds_data_dir and Path(tfds_data_dir))
    click.echo(check(source, load_registry(), source_options, vocabulary_size).render())
