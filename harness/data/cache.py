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

Token ids: 0 pads, :data:`harness.api.OOV_TOKEN_ID` is the out-of-vocabulary token, the
others index the stored vocabulary.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from harness import api
from harness.config import DataConfig
from harness.deprecation import moved_to
from harness.hashing import CACHE_KEY_LENGTH, digest

__getattr__ = moved_to(
    "harness.api", {"OOV_TOKEN_ID", "SPLITS", "VectorizedData", "VectorizedSplit"}, __name__
)

CACHE_FORMAT = 4  # bump when the stored arrays or meta.json change


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

    When there is none, ``build(path)`` makes it, once, under the entry's lock, and it
    is stored at ``path``.
    """
    cache_dir = Path(cache_dir or default_cache_dir())
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / cache_key(config, fingerprint)
    _stored_once(path, lambda staging: _write(build(path), staging))
    return load_prepared(path)


def load_prepared(path: Path) -> api.VectorizedData:
    """Read a cache entry written by :func:`cached`."""
    meta = json.loads((path / "meta.json").read_text())
    arrays = np.load(path / "splits.npz")
    return api.VectorizedData(
        config=DataConfig(**meta["config"]),
        fingerprint=meta["fingerprint"],
        class_names=meta["class_names"],
        fields=tuple(meta["fields"]),
        notes=meta["notes"],
        vocabulary=meta["vocabulary"],
        splits={
            name: api.VectorizedSplit(
                arrays[f"{name}_token_ids"], arrays[f"{name}_lengths"], arrays[f"{name}_labels"]
            )
            for name in api.SPLITS
        },
        source_rows={name: arrays[f"{name}_source_rows"] for name in api.SPLITS},
        rows_without_tokens=meta["rows_without_tokens"],
        cache_path=path,
    )


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
    under the entry's lock, when there are none."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(staging: Path) -> None:
        embeddings = build()
        np.save(staging / "matrix.npy", embeddings.matrix.astype("float32"))
        (staging / "meta.json").write_text(json.dumps(embeddings.description))

    _stored_once(path, write)
    return load_embeddings(path)


def load_embeddings(path: Path) -> api.PretrainedEmbeddings:
    """Read aligned vectors written by :func:`cached_embeddings`."""
    return api.PretrainedEmbeddings(
        np.load(path / "matrix.npy"), json.loads((path / "meta.json").read_text())
    )


def plan_path(data_path: Path, key: str) -> Path:
    """Where the batch plan ``key`` of the entry at ``data_path``'s splits is kept."""
    return data_path / "plans" / key


def cached_arrays(
    path: Path, build: Callable[[], dict[str, np.ndarray]], description: dict[str, Any]
) -> dict[str, np.ndarray]:
    """The arrays kept at ``path`` (a plan), made by ``build()`` once, under the entry's lock,
    when they are not there; ``description`` says what made them."""
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(staging: Path) -> None:
        np.savez(staging / "arrays.npz", **build())  # type: ignore[arg-type]
        (staging / "meta.json").write_text(json.dumps(description))

    _stored_once(path, write)
    return load_arrays(path)


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Read arrays written by :func:`cached_arrays`; ``FileNotFoundError`` when there are none."""
    with np.load(path / "arrays.npz") as arrays:
        return dict(arrays)


def _stored_once(path: Path, write: Callable[[Path], None]) -> None:
    """Make the entry at ``path`` unless it is there, under its lock, whole or not at all:
    ``write(staging)`` fills a fresh folder beside it, which is then renamed to ``path``."""
    with FileLock(f"{path}.lock"):
        if (path / "meta.json").exists():
            return
        staging = Path(tempfile.mkdtemp(prefix=f"{path.name}.", dir=path.parent))
        try:
            write(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        shutil.rmtree(path, ignore_errors=True)
        staging.rename(path)


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
    np.savez(staging / "splits.npz", **arrays)
    (staging / "meta.json").write_text(json.dumps(meta))
