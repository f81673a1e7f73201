"""Small files of word vectors, written by the tests in each format the harness reads."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from helpers.news_data import FILLER, TOPICS

NEWS_WORDS = sorted({word for words in TOPICS.values() for word in words.split()} | set(FILLER))


def news_vectors(dimension: int = 8, seed: int = 0, extra: tuple[str, ...] = ()) -> dict:
    """A vector for every word of the tiny news data sets (and ``extra`` words), seeded."""
    rng = np.random.default_rng(seed)
    words = [*NEWS_WORDS, *extra]
    return {word: rng.normal(0.5, 2.0, dimension).astype(np.float32) for word in words}


def _text_lines(vectors: dict[str, np.ndarray], end: str = "") -> list[bytes]:
    return [
        (word + " " + " ".join(f"{value:.6f}" for value in vector) + end + "\n").encode()
        for word, vector in vectors.items()
    ]


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(gzip.compress(content) if path.suffix == ".gz" else content)
    return path


def write_glove(path: Path, vectors: dict[str, np.ndarray]) -> Path:
    """GloVe text: ``word v1 ... vD`` lines (gzipped when ``path`` ends ``.gz``)."""
    return _write(path, b"".join(_text_lines(vectors)))


def write_word2vec_text(path: Path, vectors: dict[str, np.ndarray]) -> Path:
    """fastText's ``.vec``: a ``COUNT DIMENSION`` line, then lines that end with a space."""
    dimension = len(next(iter(vectors.values())))
    header = f"{len(vectors)} {dimension}\n".encode()
    return _write(path, header + b"".join(_text_lines(vectors, end=" ")))


def write_word2vec_binary(path: Path, vectors: dict[str, np.ndarray]) -> Path:
    """word2vec's ``.bin``: the header line, then each word, a space, float32s and a newline."""
    dimension = len(next(iter(vectors.values())))
    content = f"{len(vectors)} {dimension}\n".encode() + b"".join(
        word.encode() + b" " + np.asarray(vector, "<f4").tobytes() + b"\n"
        for word, vector in vectors.items()
    )
    return _write(path, content)
