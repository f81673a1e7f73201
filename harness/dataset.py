"""One place that turns a ``--data`` source into labelled texts for train and test.

A source is ``tfds:NAME`` (tensorflow-datasets; the default is
``tfds:ag_news_subset``) or the path of a directory in the AG News CSV layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness import csv_layout, tfds_source
from harness.errors import DataError
from harness.text import Fields

DEFAULT_SOURCE = "tfds:ag_news_subset"
TFDS_PREFIX = "tfds:"


@dataclass(frozen=True)
class LabelledTexts:
    """The texts of one split (chosen fields joined) and their 0-based labels."""

    texts: list[str]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class TextDataset:
    source: str
    fingerprint: str
    class_names: list[str]
    train: LabelledTexts
    test: LabelledTexts


def source_fingerprint(source: str, tfds_data_dir: Path | None = None) -> str:
    """Identifies the source's content; cheap compared with loading it."""
    if source.startswith(TFDS_PREFIX):
        builder = tfds_source.prepare(source.removeprefix(TFDS_PREFIX), tfds_data_dir)
        return tfds_source.fingerprint(builder)
    return "sha256:" + csv_layout.fingerprint(_directory(source))


def load_dataset(source: str, fields: Fields, tfds_data_dir: Path | None = None) -> TextDataset:
    """Load and validate both splits of ``source``; raises :class:`DataError` on bad input."""
    if source.startswith(TFDS_PREFIX):
        builder = tfds_source.prepare(source.removeprefix(TFDS_PREFIX), tfds_data_dir)
        return TextDataset(
            source=source,
            fingerprint=tfds_source.fingerprint(builder),
            class_names=tfds_source.class_names(builder),
            train=LabelledTexts(*tfds_source.read_split(builder, "train", fields)),
            test=LabelledTexts(*tfds_source.read_split(builder, "test", fields)),
        )
    directory = _directory(source)
    class_names = csv_layout.read_class_names(directory)
    splits = {
        split: LabelledTexts(
            *csv_layout.read_split(directory / file_name, len(class_names), fields)
        )
        for split, file_name in csv_layout.SPLIT_FILES.items()
    }
    return TextDataset(
        source=str(directory),
        fingerprint="sha256:" + csv_layout.fingerprint(directory),
        class_names=class_names,
        train=splits["train"],
        test=splits["test"],
    )


def _directory(source: str) -> Path:
    directory = Path(source).expanduser().resolve()
    if not directory.is_dir():
        raise DataError(
            f"{source}: not a directory. --data takes a directory in the AG News CSV layout "
            f"(train.csv, test.csv, classes.txt) or {TFDS_PREFIX}NAME"
        )
    return directory
