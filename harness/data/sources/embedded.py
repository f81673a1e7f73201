"""``ag-news-sample``: real AG News rows shipped inside the package, the default ``--data``.

10,410 training rows of AG News (Zhang, Zhao & LeCun 2015), split once, stratified
and seeded, into training and test rows by ``scripts/make_ag_news_sample.py``;
gzip-compressed CSV in the corpus's own layout, read by the CSV family reader.
The corpus is for research and non-commercial use: see ``ag_news_sample/README.md``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from harness.api import SourceOptions
from harness.config import DEFAULT_SOURCE
from harness.data.sources.zhang_csv import ZhangCsvSource

NAME = DEFAULT_SOURCE


def sample_directory() -> Path:
    """Where the installed package keeps the sample's files."""
    return Path(str(resources.files("harness.data") / "ag_news_sample"))


def open_sample(options: SourceOptions) -> ZhangCsvSource:
    return ZhangCsvSource(sample_directory(), options, suffix=".csv.gz", name=NAME)
