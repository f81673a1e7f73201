"""Data sources: one place that turns what ``--data`` says into validated labelled texts.

``--data`` takes:

- ``ag-news-sample`` (the default): real AG News rows shipped with the package;
- ``tfds:NAME``: a tensorflow-datasets text classification set, e.g. ``tfds:ag_news_subset``;
- ``hf:NAME[:CONFIG]`` or ``hf:PATH``: a Hugging Face data set (the ``[hf]`` extra);
- a directory: in the CSV family layout of Zhang et al. (2015) when it holds
  ``classes.txt`` or a ``train.csv`` without a header, else a table (``train.*``
  and ``test.*``: CSV, TSV, JSON lines or Parquet).

Every source meets :class:`~harness.data.dataset.DataSource` and every data set
passes :func:`~harness.data.validation.check_usable` before anyone uses it.
"""

from __future__ import annotations

from pathlib import Path

from harness.data import embedded, hf_source, table, tfds_source, zhang_csv
from harness.data.dataset import DataSource, LabelledTexts, SourceOptions, TextDataset
from harness.data.validation import check_usable
from harness.errors import DataError

DEFAULT_SOURCE = embedded.NAME

__all__ = [
    "DEFAULT_SOURCE",
    "DataSource",
    "LabelledTexts",
    "SourceOptions",
    "TextDataset",
    "load_dataset",
    "open_source",
    "source_fingerprint",
]


def open_source(source: str, options: SourceOptions | None = None) -> DataSource:
    """The source ``--data`` names; raises :class:`DataError` when it names none."""
    options = options or SourceOptions()
    if source == embedded.NAME:
        return embedded.open_sample(options)
    if source.startswith(tfds_source.PREFIX):
        return tfds_source.open_tfds(source.removeprefix(tfds_source.PREFIX), options)
    if source.startswith(hf_source.PREFIX):
        return hf_source.open_hf(source.removeprefix(hf_source.PREFIX), options)
    directory = Path(source).expanduser().resolve()
    if not directory.is_dir():
        raise DataError(
            f"{source}: not a directory. --data takes {embedded.NAME}, a directory (CSV family "
            f"layout or train.*/test.* tables), {tfds_source.PREFIX}NAME or "
            f"{hf_source.PREFIX}NAME (see docs/data.md)"
        )
    if zhang_csv.looks_like_zhang_csv(directory):
        return zhang_csv.ZhangCsvSource(directory, options)
    return table.open_table(directory, options)


def source_fingerprint(source: str, options: SourceOptions | None = None) -> str:
    """Identifies the source's content; cheap compared with loading it."""
    return open_source(source, options).fingerprint()


def load_dataset(source: str, options: SourceOptions | None = None) -> TextDataset:
    """Load both splits of ``source`` and check that they can be trained on."""
    dataset = open_source(source, options).load()
    check_usable(dataset)
    return dataset
