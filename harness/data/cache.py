"""The on-disk cache of vectorised data: its format, its key, the lock and the atomic write.

An entry is a folder named by :func:`cache_key`: a key over everything that determines
the vectorised splits (the source's content fingerprint and the data configuration's
identity), so a changed input gets a new key and a stale entry is never reused. One
process builds an entry while the others wait on its lock; the entry appears whole or
not at all (written aside, then renamed). A cell's worker reads an entry with
:func:`load_prepared` and needs nothing else of the data stage.

Pretrained word vectors aligned to an entry's vocabulary are kept inside the entry, one
folder per file of vectors (:func:`embeddings_path`), made once the same way; a worker
reads them with :func:`load_embeddings` and never reads the file of vectors. So are the
batch plans of its splits (:func:`plan_path`, :mod:`harness.batching.plan`), the batches a
worker of another Keras backend than TensorFlow trains and scores on.

Every folder is verified whenever it is read: its ``meta.json`` holds a SHA-256 of its own
content and one of the arrays beside it. A damaged folder (a file cut short, changed or
missing) raises :class:`CacheDamaged`, which names it; the cache then warns and builds it
again.

Token ids: 0 pads, :data:`harness.api.OOV_TOKEN_ID` is the out-of-vocabulary token, the
others index the stored vocabulary.
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
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from filelock import FileLock

from harness import api
from harness.config import DataConfig
from harness.deprecation import moved_to
from harness.errors import HarnessError, HarnessWarning
from harness.hashing import CACHE_KEY_LENGTH, digest

__getattr__ = moved_to(
    "harness.api", {"OOV_TOKEN_ID", "SPLITS", "VectorizedData", "VectorizedSplit"}, __name__
)

CACHE_FORMAT = 5  # bump when the stored arrays or meta.json change (5: checksums)
SPLITS_FILE = "splits.npz"
MATRIX_FILE = "matrix.npy"
ARRAYS_FILE = "arrays.npz"

T = TypeVar("T")


class CacheDamaged(HarnessError):
    """A cache entry that does not verify: a file cut short, changed or missing."""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("RNN_HARNESS_CACHE", Path(base) / "rnn-harness"))


def cache_key(config: DataConfig, fingerprint: str) -> str:
    material = {"format": CACHE_FORMAT, "fingerprint": fingerprint, **config.identity()}
    return digest(material, CACHE_KEY_LENGTH)


def cached(
    config: DataConfig,
    fingerprint: str,
    build: Callable[[Path], api.VectorizedData],
    cache_dir: Path | None = None,
) -> api.VectorizedData:
    """The entry of ``config`` and ``fingerprint``, read from the cache.

    When there is none, or it is damaged, ``build(path)`` makes it, once, under the entry's
    lock, and it is stored at ``path``.
    """
    cache_dir = Path(cache_dir or default_cache_dir())
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / cache_key(config, fingerprint)
    return _stored_once(path, lambda staging: _write(build(path), staging), load_prepared)


def load_prepared(path: Path) -> api.VectorizedData:
    """Read and verify a cache entry written by :func:`cached`; raises :class:`CacheDamaged`
    naming it when it does not verify."""
    meta, stored = _verified(path, SPLITS_FILE)
    try:
        arrays = np.load(io.BytesIO(stored))
        return api.VectorizedData(
            config=DataConfig(**meta["config"]),
            fingerprint=meta["fingerprint"],
            class_names=meta["class_names"],
            fields=tuple(meta["fields"]),
            notes=meta["notes"],
            vocabulary=meta["vocabulary"],
            splits={
                name: api.VectorizedSplit(
                    arrays[f"{name}_token_ids"],
                    arrays[f"{name}_lengths"],
                    arrays[f"{name}_labels"],
                )
                for name in api.SPLITS
            },
            source_rows={name: arrays[f"{name}_source_rows"] for name in api.SPLITS},
            rows_without_tokens=meta["rows_without_tokens"],
            cache_path=path,
        )
    except (ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
        raise _damaged(path, error) from None


def embeddings_key(fingerprint: str, random_rows_seed: int) -> str:
    """The key of the vectors of ``fingerprint`` aligned to a vocabulary, within its entry."""
    material = {"format": CACHE_FORMAT, "fingerprint": fingerprint, "seed": random_rows_seed}
    return digest(material, CACHE_KEY_LENGTH)


def embeddings_path(data_path: Path, fingerprint: str, random_rows_seed: int) -> Path:
    """Where the vectors of ``fingerprint`` aligned to the vocabulary of the entry at
    ``data_path`` are kept: inside that entry, as they belong to its vocabulary."""
    return data_path / "embeddings" / embeddings_key(fingerprint, random_rows_seed)


def cached_embeddings(
    path: Path, build: Callable[[], api.PretrainedEmbeddings]
) -> api.PretrainedEmbeddings:
    """The aligned vectors at ``path`` (:func:`embeddings_path`), made by ``build()`` once,
    under the entry's lock, when there are none (or they are damaged)."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(staging: Path) -> None:
        embeddings = build()
        np.save(staging / MATRIX_FILE, embeddings.matrix.astype("float32"))
        _write_meta(staging, embeddings.description, MATRIX_FILE)

    return _stored_once(path, write, load_embeddings)


def load_embeddings(path: Path) -> api.PretrainedEmbeddings:
    """Read and verify aligned vectors written by :func:`cached_embeddings`; raises
    :class:`CacheDamaged` naming them when they do not verify."""
    meta, stored = _verified(path, MATRIX_FILE)
    try:
        return api.PretrainedEmbeddings(np.load(io.BytesIO(stored)), meta)
    except ValueError as error:
        raise _damaged(path, error) from None


def plan_path(data_path: Path, key: str) -> Path:
    """Where the batch plan ``key`` of the entry at ``data_path``'s splits is kept."""
    return data_path / "plans" / key


def cached_arrays(
    path: Path, build: Callable[[], dict[str, np.ndarray]], description: dict[str, Any]
) -> dict[str, np.ndarray]:
    """The arrays kept at ``path`` (a plan), made by ``build()`` once, under the entry's lock,
    when they are not there (or are damaged); ``description`` says what made them."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(staging: Path) -> None:
        np.savez(staging / ARRAYS_FILE, **build())  # type: ignore[arg-type]
        _write_meta(staging, description, ARRAYS_FILE)

    return _stored_once(path, write, load_arrays)


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Read and verify arrays written by :func:`cached_arrays`; ``FileNotFoundError`` when
    there are none, :class:`CacheDamaged` when they do not verify."""
    if not (path / "meta.json").exists():
        raise FileNotFoundError(path / "meta.json")
    _, stored = _verified(path, ARRAYS_FILE)
    try:
        with np.load(io.BytesIO(stored)) as arrays:
            return dict(arrays)
    except (ValueError, zipfile.BadZipFile) as error:
        raise _damaged(path, error) from None


def _stored_once(path: Path, write: Callable[[Path], None], load: Callable[[Path], T]) -> T:
    """``load(path)``, after making the folder at ``path`` under its lock, whole or not at
    all, unless it is there and verifies: ``write(staging)`` fills a fresh folder beside it,
    which is then renamed to ``path``. A damaged folder is named in a warning and rebuilt."""
    with FileLock(f"{path}.lock"):
        if (path / "meta.json").exists():
            try:
                return load(path)
            except CacheDamaged as damage:
                warnings.warn(f"{damage}; it is rebuilt", HarnessWarning, stacklevel=3)
        staging = Path(tempfile.mkdtemp(prefix=f"{path.name}.", dir=path.parent))
        try:
            write(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        shutil.rmtree(path, ignore_errors=True)
        staging.rename(path)
        return load(path)


def _write(data: api.VectorizedData, staging: Path) -> None:
    """Write ``data``'s arrays and description into the folder ``staging``."""
    arrays: dict[str, Any] = {}  # NumPy arrays, named for np.savez
    for name in api.SPLITS:
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
    np.savez(staging / SPLITS_FILE, **arrays)
    _write_meta(staging, meta, SPLITS_FILE)


def _write_meta(folder: Path, meta: dict[str, Any], content: str) -> None:
    """``meta.json`` of ``folder``: ``meta`` with the checksum of the file ``content`` and its
    own."""
    meta = {**meta, "content_sha256": _checksum((folder / content).read_bytes())}
    meta["sha256"] = _checksum(json.dumps(meta, sort_keys=True).encode())
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def _verified(path: Path, content: str) -> tuple[dict[str, Any], bytes]:
    """The description and the bytes of the file ``content`` of the folder at ``path``, both
    checked against their checksums; raises :class:`CacheDamaged`."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if meta.pop("sha256", None) != _checksum(json.dumps(meta, sort_keys=True).encode()):
            raise ValueError("meta.json does not match its checksum")
        stored = (path / content).read_bytes()
        if meta.pop("content_sha256") != _checksum(stored):
            raise ValueError(f"{content} does not match the checksum in meta.json")
        return meta, stored
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise _damaged(path, error) from None


def _damaged(path: Path, error: BaseException) -> CacheDamaged:
    return CacheDamaged(f"cache entry {path} is damaged ({type(error).__name__}: {error})")


def _checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
