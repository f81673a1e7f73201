"""The core's kinds of data source, contributed through the hook ``harness_data_sources``.

``--data`` takes, in the order the core's kinds are asked (a plugin's kinds first):

- ``ag-news-sample`` (the default): real AG News rows shipped with the package;
- a directory: in the CSV family layout of Zhang et al. (2015) when it holds
  ``classes.txt`` or a ``train.csv`` without a header, else a table (``train.*``
  and ``test.*``: CSV, TSV, JSON lines or Parquet);
- ``tfds:NAME``: a tensorflow-datasets text classification set, e.g. ``tfds:ag_news_subset``;
- ``hf:NAME[:CONFIG]`` or ``hf:PATH``: a Hugging Face data set (the ``[hf]`` extra).

One module per kind in this package reads it. A kind imports its module only
when it opens a source, so pandas, tensorflow-datasets and datasets are imported
only by a run that reads a table, a tfds set or a Hugging Face set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.api import DataSource, DataSourceKind, PrefixedSourceKind, SourceOptions
from harness.config import DEFAULT_SOURCE
from harness.plugin import hookimpl


@dataclass(frozen=True)
class EmbeddedSample:
    """``ag-news-sample``: the sample shipped inside the package."""

    name: str = DEFAULT_SOURCE
    usage: str = DEFAULT_SOURCE
    summary: str = "Real AG News rows shipped with the package (the default)."

    def claims(self, data: str) -> bool:
        return data == self.name

    def open(self, data: str, options: SourceOptions) -> DataSource:
        from harness.data.sources import embedded

        return embedded.open_sample(options)


@dataclass(frozen=True)
class Directory:
    """A directory: the CSV family layout when it looks like one, else ``train.*``/``test.*``."""

    name: str = "directory"
    usage: str = "a directory (CSV family layout or train.*/test.* tables)"
    summary: str = "CSV family layout of Zhang et al., or train.*/test.* tables (CSV, TSV, ...)."

    def claims(self, data: str) -> bool:
        return Path(data).expanduser().is_dir()

    def open(self, data: str, options: SourceOptions) -> DataSource:
        from harness.data.sources import zhang_csv

        directory = Path(data).expanduser().resolve()
        if zhang_csv.looks_like_zhang_csv(directory):
            return zhang_csv.ZhangCsvSource(directory, options)
        from harness.data.sources import table

        return table.open_table(directory, options)


def _open_tfds(name: str, options: SourceOptions) -> DataSource:
    from harness.data.sources import tfds_source

    return tfds_source.open_tfds(name, options)


def _open_hf(spec: str, options: SourceOptions) -> DataSource:
    from harness.data.sources import hf_source

    return hf_source.open_hf(spec, options)


CORE_KINDS: tuple[DataSourceKind, ...] = (
    EmbeddedSample(),
    Directory(),
    PrefixedSourceKind("tfds", "A tensorflow-datasets text classification set.", _open_tfds),
    PrefixedSourceKind(
        "hf",
        "A Hugging Face data set (the [hf] extra), or one saved to disk.",
        _open_hf,
        argument="NAME[:CONFIG]",
    ),
)


@hookimpl
def harness_data_sources() -> list[DataSourceKind]:
    """The core's kinds, registered through the same hook as a plugin's."""
    return list(CORE_KINDS)
