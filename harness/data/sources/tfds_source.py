"""``tfds:NAME``: any text classification data set of tensorflow-datasets.

The builder's features decide what is read: its ``Text`` features (``--fields``
names the ones to join; default all of them, in the builder's order) and its one
``ClassLabel`` (``--label-column`` picks one when there are several). Offline,
tensorflow-datasets retries a download for minutes before it gives up: before a
download the harness asks the data set's own download hosts for a connection
with a short timeout and, when none answers, stops at once with advice.
"""

from __future__ import annotations

import difflib
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from harness.api import LabelledTexts, SourceOptions, TextDataset
from harness.data.text import join_fields
from harness.errors import DataError

PREFIX = "tfds:"
PROBE_TIMEOUT_S = 5.0
SPLITS = ("train", "test")


@dataclass(frozen=True)
class TfdsSource:
    name: str
    options: SourceOptions

    def fingerprint(self) -> str:
        builder = self.builder()
        return f"tfds:{builder.name}:{builder.version}"

    def load(self) -> TextDataset:
        builder = self.builder()
        text_features, label_feature = _features(builder, self.options)
        splits = {
            split: LabelledTexts(*_read_split(builder, split, text_features, label_feature))
            for split in SPLITS
        }
        return TextDataset(
            source=PREFIX + self.name,
            fingerprint=self.fingerprint(),
            class_names=list(builder.info.features[label_feature].names),
            train=splits["train"],
            test=splits["test"],
            fields=text_features,
        )

    def builder(self):
        """The prepared builder; downloads when needed, fails fast when its hosts are offline."""
        builder = _builder(self.name, self.options.tfds_data_dir)
        if builder.is_prepared():
            return builder
        missing_splits = set(SPLITS) - set(builder.info.splits.keys())
        if builder.info.splits and missing_splits:
            raise DataError(_no_split_message(self.name, builder, missing_splits))
        manual = manual_archive_paths(builder)
        hosts = download_hosts(builder)
        if hosts and not any(p.exists() for p in manual) and not any(map(_reachable, hosts)):
            raise DataError(_offline_advice(self.name, hosts, manual, builder))
        try:
            builder.download_and_prepare()
        except Exception as error:
            raise DataError(
                f"{_offline_advice(self.name, hosts, manual, builder)}\n"
                f"(tensorflow-datasets said: {error})"
            ) from error
        return builder


def open_tfds(name: str, options: SourceOptions) -> TfdsSource:
    return TfdsSource(name, options)


def download_hosts(builder) -> list[tuple[str, int]]:
    """(host, port) of every URL the data set downloads from, as its checksums list them."""
    hosts = []
    for url in getattr(builder, "url_infos", None) or {}:
        parsed = urlparse(url)
        if parsed.hostname:
            address = (parsed.hostname, parsed.port or (80 if parsed.scheme == "http" else 443))
            if address not in hosts:
                hosts.append(address)
    return hosts


def manual_archive_paths(builder) -> list[Path]:
    """Where tensorflow-datasets looks for hand-downloaded copies of the data set's files."""
    manual_dir = Path(builder.data_dir).parents[1] / "downloads" / "manual"
    names = [info.filename for info in (getattr(builder, "url_infos", None) or {}).values()]
    return [manual_dir / name for name in names if name]


def _builder(name: str, data_dir: Path | None):
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise DataError(f"tensorflow-datasets cannot be imported: {error}") from error
    try:
        return tfds.builder(name, data_dir=None if data_dir is None else str(data_dir))
    except Exception as error:
        if type(error).__name__ != "DatasetNotFoundError":
            raise DataError(f"tensorflow-datasets cannot open {name!r}: {error}") from None
        close = difflib.get_close_matches(name, tfds.list_builders(), n=3, cutoff=0.8)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise DataError(
            f"tensorflow-datasets has no data set {name!r}{hint} "
            "(python -c 'import tensorflow_datasets as tfds; print(tfds.list_builders())' "
            "lists them all)"
        ) from None


def _features(builder, options: SourceOptions) -> tuple[tuple[str, ...], str]:
    """(text features to join, the label feature) of ``builder``, checked against the options."""
    import tensorflow_datasets as tfds

    features = builder.info.features
    text = [name for name, f in features.items() if isinstance(f, tfds.features.Text)]
    labels = [name for name, f in features.items() if isinstance(f, tfds.features.ClassLabel)]
    described = ", ".join(f"{name} ({type(f).__name__})" for name, f in features.items())
    where = f"tfds:{builder.name}"
    for name in options.fields:
        if name not in text:
            raise DataError(
                f"--fields: {name!r} is not a text feature of {where} (features: {described})"
            )
    if not text:
        raise DataError(f"{where} has no text feature (features: {described})")
    if options.label_column is not None:
        if options.label_column not in labels:
            raise DataError(
                f"--label-column: {options.label_column!r} is not a class label feature of "
                f"{where} (features: {described})"
            )
        label = options.label_column
    elif len(labels) == 1:
        label = labels[0]
    else:
        raise DataError(
            f"{where} has {len(labels)} class label features; a text classification data set "
            f"has one{' (choose it with --label-column)' if labels else ''} "
            f"(features: {described})"
        )
    return options.fields or tuple(text), label


def _read_split(
    builder, split: str, text_features: tuple[str, ...], label_feature: str
) -> tuple[list[str], np.ndarray]:
    """The chosen text and label of every example of ``split``; refuses empty text."""
    if split not in builder.info.splits:
        raise DataError(_no_split_message(builder.name, builder, {split}))
    texts: list[str] = []
    labels: list[int] = []
    for number, example in enumerate(builder.as_dataset(split=split).as_numpy_iterator()):
        text = join_fields([example[name].decode("utf-8") for name in text_features])
        if not text.strip():
            raise DataError(
                f"tfds:{builder.name} split {split!r}, example {number}: "
                f"empty text in the chosen fields ({'+'.join(text_features)})"
            )
        texts.append(text)
        labels.append(int(example[label_feature]))
    if not texts:
        raise DataError(f"tfds:{builder.name} split {split!r} is empty")
    return texts, np.asarray(labels, dtype="int32")


def _no_split_message(name: str, builder, missing: set[str]) -> str:
    return (
        f"tfds:{name} has no {' or '.join(sorted(missing))} split "
        f"(splits: {', '.join(builder.info.splits.keys()) or 'none'}); the harness needs "
        "train and test"
    )


def _reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _offline_advice(name: str, hosts: list[tuple[str, int]], manual: list[Path], builder) -> str:
    where = ", ".join(host for host, _ in hosts) or "its download host"
    advice = (
        f"Cannot download tensorflow-datasets {name!r}: {where} cannot be reached from this "
        "machine. Point the harness at a local copy instead: --data PATH, where PATH is a "
        "directory of CSV files (train.csv, test.csv) or of tables (see docs/data.md)"
    )
    if manual:
        advice += (
            f". Or, if you hold the data set's own files, put them at "
            f"{', '.join(map(str, manual))} and tensorflow-datasets will prepare it from them "
            "without a download"
        )
    if builder.name == "ag_news_subset":
        advice += "; the extracted ag_news_csv.tar.gz also works as --data PATH"
    return advice + "."
