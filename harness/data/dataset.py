"""What every data source produces, and the narrow contract a source meets.

A source is something ``--data`` names. It answers two questions: what is its
content's fingerprint (cheap: it keys the vectorised cache), and what are its
labelled texts (:class:`TextDataset`, both splits, validated). Each kind of
source is one module of this package with an ``open(...)`` function that
returns a :class:`DataSource`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

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


class DataSource(Protocol):
    """One data source, opened from what ``--data`` says; nothing is read until asked."""

    def fingerprint(self) -> str:
        """Identifies the content: any change to it gives a new fingerprint."""
        ...

    def load(self) -> TextDataset:
        """Both splits, read and validated; raises :class:`~harness.errors.DataError`."""
        ...


def join_fields(values: list[str]) -> str:
    """The text a model reads from the chosen fields of one row."""
    return TEXT_SEPARATOR.join(values).strip()
