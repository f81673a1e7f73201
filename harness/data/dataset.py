"""What every data source produces, and the narrow contract a source meets.

A source is something ``--data`` names. It answers two questions: what is its
content's fingerprint (cheap: it keys the vectorised cache), and what are its
labelled texts (:class:`TextDataset`, both splits, validated). A kind of source
(:class:`DataSourceKind`) says which ``--data`` strings it takes and opens them;
the kinds come from the hook ``harness_data_sources``, the core's as a plugin's.

>>> kind = PrefixedSourceKind("mysource", "My corpus, by name.", lambda name, options: ...)
>>> kind.usage, kind.claims("mysource:news"), kind.claims("tfds:news")
('mysource:NAME', True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from harness.errors import DataError, shortened

TEXT_SEPARATOR = " "  # between the chosen text fields of one row


@dataclass(frozen=True)
class LabelledTexts:
    """The texts of one split (chosen fields joined) and their 0-based labels."""

    texts: list[str]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class TextDataset:
    """Both splits of a source, its class names (label k is ``class_names[k]``) and fields."""

    source: str
    fingerprint: str
    class_names: list[str]
    train: LabelledTexts
    test: LabelledTexts
    fields: tuple[str, ...] = ()  # the text fields joined, in order
    notes: tuple[str, ...] = ()  # what a user should know, e.g. how classes were named


@dataclass(frozen=True)
class SourceOptions:
    """How to read a source: which text fields to join and which field holds the label.

    ``fields`` empty: the source's default (all text fields of a CSV family layout
    or a tensorflow-datasets builder; the column ``text`` of a table).
    ``label_column`` None: the source's own label (``label`` in a table).
    """

    fields: tuple[str, ...] = ()
    label_column: str | None = None
    tfds_data_dir: Path | None = None


@runtime_checkable
class DataSource(Protocol):
    """One data source, opened from what ``--data`` says; nothing is read until asked."""

    def fingerprint(self) -> str:
        """Identifies the content: any change to it gives a new fingerprint."""
        ...

    def load(self) -> TextDataset:
        """Both splits, read and validated; raises :class:`~harness.errors.DataError`."""
        ...


@runtime_checkable
class DataSourceKind(Protocol):
    """A kind of data source: which ``--data`` strings it takes, and how it opens one.

    Contributed through the hook ``harness_data_sources``. The kinds are asked in
    turn, the plugins' before the core's; the first whose :meth:`claims` is true
    opens the source.
    """

    @property
    def name(self) -> str:
        """Unique among the registered kinds: lower-case words joined by '-'."""
        ...

    @property
    def usage(self) -> str:
        """What ``--data`` looks like for this kind, e.g. ``tfds:NAME``; listed in errors."""
        ...

    @property
    def summary(self) -> str:
        """One line for ``harness list``."""
        ...

    def claims(self, data: str) -> bool:
        """Whether ``data`` (what ``--data`` says) is for this kind; quick, reads no rows."""
        ...

    def open(self, data: str, options: SourceOptions) -> DataSource:
        """The source ``data`` names; reads nothing yet (that is :meth:`DataSource.load`)."""
        ...


@dataclass(frozen=True)
class PrefixedSourceKind:
    """The kind of source that ``--data PREFIX:NAME`` names, e.g. ``tfds:ag_news_subset``.

    ``open_name(NAME, options)`` opens the source: a class whose fields are the name
    and the options will do.
    """

    prefix: str  # without the colon; also the kind's name
    summary: str
    open_name: Callable[[str, SourceOptions], DataSource]
    argument: str = "NAME"  # how the usage shows what follows the prefix

    @property
    def name(self) -> str:
        return self.prefix

    @property
    def usage(self) -> str:
        return f"{self.prefix}:{self.argument}"

    def claims(self, data: str) -> bool:
        return data.startswith(f"{self.prefix}:")

    def open(self, data: str, options: SourceOptions) -> DataSource:
        """The source of NAME; raises :class:`DataError` when NAME is empty."""
        name = data.removeprefix(f"{self.prefix}:")
        if not name.strip():
            raise DataError(no_name_message(data, self.usage))
        return self.open_name(name, options)


def no_name_message(data: str, usage: str) -> str:
    """What ``--data`` is told when it gives a kind's prefix without a name."""
    shown = data if data.strip() == data and data else repr(data)
    return f"--data {shortened(shown)} names no data set; write {usage}"


def join_fields(values: list[str]) -> str:
    """The text a model reads from the chosen fields of one row."""
    return TEXT_SEPARATOR.join(values).strip()
