"""Loading a data set from tensorflow-datasets, failing fast when it cannot be reached.

Offline, tensorflow-datasets retries a download for minutes before it gives up.
Before any download the harness asks the download host for a connection with a
short timeout and, when there is none, stops at once with one paragraph that
says how to use a local copy instead.
"""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np

from harness.errors import DataError
from harness.text import Fields

DOWNLOAD_PROBE = ("drive.google.com", 443)  # where ag_news_subset downloads from
PROBE_TIMEOUT_S = 5.0
AG_NEWS_ARCHIVE = "ag_news_csv.tar.gz"


def _builder(name: str, data_dir: Path | None):
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise DataError(f"tensorflow-datasets cannot be imported: {error}") from error
    try:
        return tfds.builder(name, data_dir=None if data_dir is None else str(data_dir))
    except Exception as error:
        raise DataError(f"tensorflow-datasets has no data set {name!r}: {error}") from None


def manual_archive_path(builder) -> Path:
    """Where tensorflow-datasets looks for a hand-downloaded archive of this data set."""
    data_dir_root = Path(builder.data_dir).parents[1]  # <root>/<name>/<version>
    return data_dir_root / "downloads" / "manual" / AG_NEWS_ARCHIVE


def prepare(name: str, data_dir: Path | None) -> object:
    """A prepared tensorflow-datasets builder; downloads when needed, fails fast offline."""
    builder = _builder(name, data_dir)
    if builder.is_prepared():
        return builder
    archive = manual_archive_path(builder)
    if not archive.exists() and not _reachable(DOWNLOAD_PROBE):
        raise DataError(_offline_advice(name, archive))
    try:
        builder.download_and_prepare()
    except Exception as error:
        raise DataError(
            f"{_offline_advice(name, archive)}\n(tensorflow-datasets said: {error})"
        ) from error
    return builder


def fingerprint(builder) -> str:
    return f"tfds:{builder.name}:{builder.version}"


def read_split(builder, split: str, fields: Fields) -> tuple[list[str], np.ndarray]:
    """The chosen text and label of every example of ``split``; refuses empty text."""
    texts: list[str] = []
    labels: list[int] = []
    for number, example in enumerate(builder.as_dataset(split=split).as_numpy_iterator()):
        title = example["title"].decode("utf-8")
        description = example["description"].decode("utf-8")
        text = fields.select(title, description)
        if not text.strip():
            raise DataError(
                f"tfds:{builder.name} split {split!r}, example {number}: "
                f"empty text in the chosen fields ({fields.value})"
            )
        texts.append(text)
        labels.append(int(example["label"]))
    if not texts:
        raise DataError(f"tfds:{builder.name} split {split!r} is empty")
    return texts, np.asarray(labels, dtype="int32")


def class_names(builder) -> list[str]:
    return list(builder.info.features["label"].names)


def _reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _offline_advice(name: str, archive: Path) -> str:
    return (
        f"Cannot download tensorflow-datasets {name!r}: {DOWNLOAD_PROBE[0]} cannot be reached "
        "from this machine. Point the harness at a local copy in the AG News CSV layout "
        "instead: --data PATH, where PATH holds train.csv, test.csv and classes.txt (the "
        f"extracted {AG_NEWS_ARCHIVE}). Or, if you hold {AG_NEWS_ARCHIVE}, put it at "
        f"{archive} and tensorflow-datasets will prepare the data set from it without a download."
    )
