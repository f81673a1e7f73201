"""Turning a data set into integer sequences once, cached on disk for every cell and run.

The vocabulary (a Keras ``TextVectorization``) is fitted on the training split
only, after the validation split has been carved out of it; rows with the same
text stay on one side of that split. Vectorised splits
are stored under a key that covers everything that determines them: the
source's content fingerprint, fields, normalisation, vocabulary size, maximum
length, validation size, ``max_train`` and the split seed. A changed input gets
a new key, so a stale cache is never reused.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from harness.config import DataConfig
from harness.data import load_dataset, source_fingerprint
from harness.data.dataset import SourceOptions
from harness.data.splits import split_off, stratified_sample
from harness.data.text import normalize
from harness.data.validation import check_training_split
from harness.hashing import CACHE_KEY_LENGTH, digest

CACHE_FORMAT = 4  # bump when the stored arrays or meta.json change
OOV_TOKEN_ID = 1  # TextVectorization: 0 is padding, 1 is the out-of-vocabulary token
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class VectorizedSplit:
    """One split as rows of token ids: all ids end to end, each row's length, and its label."""

    token_ids: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def rows(self) -> list[np.ndarray]:
        return np.split(self.token_ids, np.cumsum(self.lengths)[:-1])


@dataclass(frozen=True)
class VectorizedData:
    """The three vectorised splits of one data configuration, and what describes them."""

    config: DataConfig
    fingerprint: str
    class_names: list[str]
    fields: tuple[str, ...]  # the text fields the source joined: the config's or its default
    notes: list[str]
    vocabulary: list[str]
    splits: dict[str, VectorizedSplit]
    source_rows: dict[str, np.ndarray]
    rows_without_tokens: dict[str, int]
    cache_path: Path

    @property
    def train(self) -> VectorizedSplit:
        return self.splits["train"]

    @property
    def validation(self) -> VectorizedSplit:
        return self.splits["validation"]

    @property
    def test(self) -> VectorizedSplit:
        return self.splits["test"]

    def describe(self) -> dict[str, Any]:
        """What a result row records about its data."""
        return {
            **self.config.identity(),
            "fields": "+".join(self.fields),
            "fingerprint": self.fingerprint,
            "class_names": self.class_names,
            "vocabulary_size_used": len(self.vocabulary),
            "rows": {name: len(split) for name, split in self.splits.items()},
            "rows_without_tokens": self.rows_without_tokens,
        }


def source_options(config: DataConfig) -> SourceOptions:
    """What the data source needs of ``config``: its fields, label column and tfds folder."""
    return SourceOptions(
        fields=config.fields,
        label_column=config.label_column,
        tfds_data_dir=Path(config.tfds_data_dir) if config.tfds_data_dir else None,
    )


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("RNN_HARNESS_CACHE", Path(base) / "rnn-harness"))


def cache_key(config: DataConfig, fingerprint: str) -> str:
    material = {"format": CACHE_FORMAT, "fingerprint": fingerprint, **config.identity()}
    return digest(material, CACHE_KEY_LENGTH)


def prepare(config: DataConfig, cache_dir: Path | None = None) -> VectorizedData:
    """The vectorised splits of ``config``: from the cache, or built once and cached."""
    cache_dir = Path(cache_dir or default_cache_dir())
    cache_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = source_fingerprint(config.source, source_options(config))
    path = cache_dir / cache_key(config, fingerprint)
    with FileLock(f"{path}.lock"):
        if not (path / "meta.json").exists():
            _build(config, fingerprint, path)
    return load_prepared(path)


def load_prepared(path: Path) -> VectorizedData:
    """Read a cache entry written by :func:`prepare`."""
    meta = json.loads((path / "meta.json").read_text())
    arrays = np.load(path / "splits.npz")
    return VectorizedData(
        config=DataConfig(**meta["config"]),
        fingerprint=meta["fingerprint"],
        class_names=meta["class_names"],
        fields=tuple(meta["fields"]),
        notes=meta["notes"],
        vocabulary=meta["vocabulary"],
        splits={
            name: VectorizedSplit(
                arrays[f"{name}_token_ids"], arrays[f"{name}_lengths"], arrays[f"{name}_labels"]
            )
            for name in SPLITS
        },
        source_rows={name: arrays[f"{name}_source_rows"] for name in SPLITS},
        rows_without_tokens=meta["rows_without_tokens"],
        cache_path=path,
    )


def fit_vectorizer(texts: list[str], vocabulary_size: int, ragged: bool = True):
    """A ``TextVectorization`` whose vocabulary is fitted on ``texts``.

    adapt() is fed a batched tf.data.Dataset: about 100x faster than a NumPy array of strings.
    """
    import tensorflow as tf

    vectorizer = tf.keras.layers.TextVectorization(max_tokens=vocabulary_size, ragged=ragged)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(1024))
    return vectorizer


def _build(config: DataConfig, fingerprint: str, path: Path) -> None:
    import tensorflow as tf

    dataset = load_dataset(config.source, source_options(config))
    texts = {"train": dataset.train.texts, "test": dataset.test.texts}
    if config.normalize:
        texts = {split: [normalize(text) for text in values] for split, values in texts.items()}
    labels = dataset.train.labels
    _, same_text = np.unique(texts["train"], return_inverse=True)
    kept, validation = split_off(labels, config.validation_size, config.split_seed, same_text)
    check_training_split(dataset.source, dataset.class_names, labels[kept], len(validation))
    if config.max_train is not None and config.max_train < len(kept):
        kept = kept[stratified_sample(labels[kept], config.max_train, config.split_seed)]
    split_texts = {
        "train": [texts["train"][i] for i in kept],
        "validation": [texts["train"][i] for i in validation],
        "test": texts["test"],
    }
    split_labels = {
        "train": labels[kept],
        "validation": labels[validation],
        "test": dataset.test.labels,
    }
    source_rows = {"train": kept, "validation": validation, "test": np.arange(len(dataset.test))}

    vectorizer = fit_vectorizer(split_texts["train"], config.vocabulary_size)

    arrays: dict[str, Any] = {}  # NumPy arrays, named for np.savez
    rows_without_tokens: dict[str, int] = {}
    for name in SPLITS:
        ragged = vectorizer(tf.constant(split_texts[name]))
        if config.max_length is not None:
            ragged = ragged[:, : config.max_length]
        token_ids, lengths, empty = _never_empty(
            ragged.flat_values.numpy().astype("int32"), ragged.row_lengths().numpy().astype("int32")
        )
        arrays |= {
            f"{name}_token_ids": token_ids,
            f"{name}_lengths": lengths,
            f"{name}_labels": split_labels[name].astype("int32"),
            f"{name}_source_rows": source_rows[name].astype("int64"),
        }
        rows_without_tokens[name] = empty
    meta = {
        "config": {**config.identity(), "tfds_data_dir": config.tfds_data_dir},
        "fingerprint": fingerprint,
        "class_names": dataset.class_names,
        "fields": list(dataset.fields),
        "notes": list(dataset.notes),
        "vocabulary": [str(token) for token in vectorizer.get_vocabulary()],
        "rows_without_tokens": rows_without_tokens,
    }
    staging = Path(tempfile.mkdtemp(prefix=f"{path.name}.", dir=path.parent))
    np.savez(staging / "splits.npz", **arrays)
    (staging / "meta.json").write_text(json.dumps(meta))
    shutil.rmtree(path, ignore_errors=True)
    staging.rename(path)


def _never_empty(token_ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Give each row that has no tokens (e.g. only punctuation) one out-of-vocabulary token.

    An all-padding row would be fully masked, which Keras's fused GPU kernels refuse.
    """
    empty = np.flatnonzero(lengths == 0)
    if len(empty) == 0:
        return token_ids, lengths, 0
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    token_ids = np.insert(token_ids, starts[empty], OOV_TOKEN_ID).astype("int32")
    return token_ids, np.maximum(lengths, 1).astype("int32"), len(empty)
