"""The on-disk cache of vectorised data: its format, its key, the lock and the atomic write.

An entry is a folder named by :func:`cache_key`: a key over everything that determines
the vectorised splits (the source's content fingerprint and the data configuration's
identity), so a changed input gets a new key and a stale entry is never reused. One
process builds an entry while the others wait on its lock; the entry appears whole or
not at all (written aside, then renamed). A cell's worker reads an entry with
:func:`load_prepared` and needs nothing else of the data stage.

An entry is verified whenever it is read: ``meta.json`` holds a SHA-256 of its own content
and one of ``splits.npz``. A damaged entry (a file cut short, changed or missing) raises
:class:`CacheDamaged`, which names it; :func:`cached` then warns and builds it again.

Token ids: 0 pads, :data:`OOV_TOKEN_ID` is the out-of-vocabulary token, the others index
the stored vocabulary.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from harness.config import DataConfig
from harness.errors import HarnessError, HarnessWarning
from harness.hashing import CACHE_KEY_LENGTH, digest

CACHE_FORMAT = 5  # bump when the stored arrays or meta.json change (5: checksums)
OOV_TOKEN_ID = 1  # TextVectorization: 0 is padding, 1 is the out-of-vocabulary token
SPLITS = ("train", "validation", "test")


class CacheDamaged(HarnessError):
    """A cache entry that does not verify: a file cut short, changed or missing."""


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


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("RNN_HARNESS_CACHE", Path(base) / "rnn-harness"))


def cache_key(config: DataConfig, fingerprint: str) -> str:
    material = {"format": CACHE_FORMAT, "fingerprint": fingerprint, **config.identity()}
    return digest(material, CACHE_KEY_LENGTH)


def cached(
    config: DataConfig,
    fingerprint: str,
    build: Callable[[Path], VectorizedData],
    cache_dir: Path | None = None,
) -> VectorizedData:
    """The entry of ``config`` and ``fingerprint``, read from the cache.

    When there is none, ``build(path)`` makes it, once, under the entry's lock, and it
    is stored at ``path``.
    """
    cache_dir = Path(cache_dir or default_cache_dir())
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / cache_key(config, fingerprint)
    with FileLock(f"{path}.lock"):
        if (path / "meta.json").exists():
            try:
                return load_prepared(path)
            except CacheDamaged as damage:
                warnings.warn(f"{damage}; it is rebuilt", HarnessWarning, stacklevel=2)
        _store(build(path), path)
        return load_prepared(path)


def load_prepared(path: Path) -> VectorizedData:
    """Read and verify a cache entry written by :func:`cached`; raises
    :class:`CacheDamaged` naming it when it does not verify."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if meta.pop("sha256", None) != _checksum(json.dumps(meta, sort_keys=True).encode()):
            raise ValueError("meta.json does not match its checksum")
        stored = (path / "splits.npz").read_bytes()
        if meta["splits_sha256"] != _checksum(stored):
            raise ValueError("splits.npz does not match the checksum in meta.json")
        return _from_stored(path, meta, np.load(io.BytesIO(stored)))
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
        raise CacheDamaged(
            f"cache entry {path} is damaged ({type(error).__name__}: {error})"
        ) from None


def _from_stored(path: Path, meta: dict[str, Any], arrays: Any) -> VectorizedData:
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


def _checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _store(data: VectorizedData, path: Path) -> None:
    """Write ``data`` at ``path`` whole or not at all: aside first, then renamed."""
    arrays: dict[str, Any] = {}  # NumPy arrays, named for np.savez
    for name in SPLITS:
        split = data.splits[name]
        arrays |= {
            f"{name}_token_ids": split.token_ids.astype("int32"),
            f"{name}_lengths": split.lengths.astype("int32"),
            f"{name}_labels": split.labels.astype("int32"),
            f"{name}_source_rows": data.source_rows[name].astype("int64"),
        }
    meta = {
        "config": {**data.config.identity(), "tfds_data_dir": data.config.tfds_data_dir},
        "fingerprint": data.fingerprint,
        "class_names": data.class_names,
        "fields": list(data.fields),
        "notes": list(data.notes),
        "vocabulary": data.vocabulary,
        "rows_without_tokens": data.rows_without_tokens,
    }
    staging = Path(tempfile.mkdtemp(prefix=f"{path.name}.", dir=path.parent))
    np.savez(staging / "splits.npz", **arrays)
    meta["splits_sha256"] = _checksum((staging / "splits.npz").read_bytes())
    meta["sha256"] = _checksum(json.dumps(meta, sort_keys=True).encode())
    (staging / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    shutil.rmtree(path, ignore_errors=True)
    staging.rename(path)
