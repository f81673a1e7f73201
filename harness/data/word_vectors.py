"""Reading pretrained word vectors, streamed and kept only for the words asked for.

A file of word vectors may hold millions of words; a run needs those of its vocabulary.
Each reader goes through its file once and keeps the vectors of the words wanted, so that
memory grows with the vocabulary, not with the file. The formats:

- **GloVe text**: one ``word v1 ... vD`` line a word, the width taken from the first line;
- **word2vec / fastText text** (``.vec``): the same lines after a first line ``COUNT DIMENSION``;
- **word2vec binary** (a name ending ``.bin``): the line ``COUNT DIMENSION``, then each word,
  a space and its ``DIMENSION`` little-endian float32 numbers;
- any of them gzipped (found by the gzip magic number, whatever the name);
- **a NumPy matrix with a Parquet list of its rows' words**, as a packaged source ships them
  (memory-mapped: only the rows wanted are read).

Every line's shape is checked (a line of another width stops the reading with the file and
the line number); the numbers of the words kept are parsed and must be finite. A word that
repeats keeps its first vector, as files list words by frequency. The count of a header is
not checked, so that a file cut short with ``head`` still reads.

Hand-written rather than gensim's ``KeyedVectors.load_word2vec_format``, which holds the
whole file in memory and cannot keep only a vocabulary's words.
"""

from __future__ import annotations

import gzip
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from harness.errors import DataError

GZIP_MAGIC = b"\x1f\x8b"
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class FoundVectors:
    """The vectors a source holds for the words asked for, and the source's format and width."""

    format: str  # glove, word2vec-text, word2vec-binary or npy+parquet
    dimension: int
    vectors: dict[str, np.ndarray]  # float32 vectors of ``dimension`` numbers


def read_vector_file(path: Path, wanted: Collection[str]) -> FoundVectors:
    """The vectors ``path`` holds for the words of ``wanted``: GloVe or word2vec text, or
    word2vec binary when its name ends ``.bin`` (before any ``.gz``); gzipped or not.

    Raises :class:`DataError` naming the file, and the line or entry, on a line of
    another width, a number that is not one, a binary file cut inside an entry, or a
    file that holds no vectors.
    """
    binary = path.name.removesuffix(".gz").endswith(".bin")
    try:
        with _opened(path) as stream:
            if binary:
                return _read_binary(stream, path, wanted)
            return _read_text(stream, path, wanted)
    except (OSError, EOFError) as error:  # unreadable, or a damaged or cut gzip stream
        raise DataError(f"{path}: cannot read it ({error})") from None


def read_matrix_and_words(matrix: Path, words: Path, wanted: Collection[str]) -> FoundVectors:
    """The rows of the NumPy matrix ``matrix`` (``.npy``, memory-mapped) for the words of
    ``wanted``; ``words`` is a Parquet table whose first column is the word of each row."""
    import pyarrow.parquet as pq

    table = np.load(matrix, mmap_mode="r")
    if table.ndim != 2:
        raise DataError(f"{matrix}: a matrix of word vectors has 2 axes, not {table.ndim}")
    rows: dict[str, int] = {}
    position = 0
    listing = pq.ParquetFile(words)
    for batch in listing.iter_batches(columns=listing.schema_arrow.names[:1]):
        for word in batch.column(0).to_pylist():
            if word in wanted and word not in rows:
                rows[word] = position
            position += 1
    if position != len(table):
        raise DataError(f"{words}: lists {position} words for the {len(table)} rows of {matrix}")
    vectors = {word: np.asarray(table[row], dtype=np.float32) for word, row in rows.items()}
    for word, vector in vectors.items():
        if not np.isfinite(vector).all():
            raise DataError(f"{matrix}: the vector of {word!r} holds a non-finite number")
    return FoundVectors("npy+parquet", int(table.shape[1]), vectors)


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    if not path.is_file():
        raise DataError(f"{path}: no such file of word vectors")
    with path.open("rb") as raw:
        gzipped = raw.read(2) == GZIP_MAGIC
    with gzip.open(path, "rb") if gzipped else path.open("rb") as stream:
        yield stream  # type: ignore[misc]


def _header(line: bytes) -> tuple[int, int] | None:
    """``(count, dimension)`` of a word2vec header line, or None for a line that is not one."""
    fields = line.split()
    if len(fields) == 2 and all(field.isdigit() for field in fields):
        return int(fields[0]), int(fields[1])
    return None


def _read_text(stream: BinaryIO, path: Path, wanted: Collection[str]) -> FoundVectors:
    """GloVe text, or word2vec/fastText text after its ``COUNT DIMENSION`` line.

    Words are compared as UTF-8 bytes, so a line is decoded only when its word is wanted.
    """
    wanted_bytes = {word.encode("utf-8"): word for word in wanted}
    vectors: dict[str, np.ndarray] = {}
    dimension: int | None = None
    source = ""  # where the width came from, for the error of a line of another width
    file_format = "glove"
    for number, raw in enumerate(stream, start=1):
        line = raw.rstrip()  # fastText ends its lines with a space
        if not line:
            continue
        if dimension is None:
            header = _header(line) if number == 1 else None
            if header is not None:
                file_format, dimension, source = "word2vec-text", header[1], "its header says"
                continue
            dimension, source = line.count(b" "), f"line {number} has"
            if dimension == 0:
                raise DataError(f"{path}, line {number}: a word without a vector")
        width = line.count(b" ")
        if width != dimension:
            raise DataError(
                f"{path}, line {number}: {width} numbers where vectors have {dimension} "
                f"({source} {dimension})"
            )
        word_end = line.index(b" ")
        word = wanted_bytes.get(line[:word_end])
        if word is not None and word not in vectors:
            vectors[word] = _numbers(line[word_end + 1 :].split(b" "), path, f"line {number}")
    if dimension is None:
        raise DataError(f"{path}: holds no word vectors")
    return FoundVectors(file_format, dimension, vectors)


def _numbers(fields: list[bytes], path: Path, where: str) -> np.ndarray:
    try:
        vector = np.array(fields, dtype=np.float32)
    except ValueError:
        bad = next(field for field in fields if not _is_number(field))
        raise DataError(
            f"{path}, {where}: {bad.decode(errors='replace')!r} is not a number"
        ) from None
    if not np.isfinite(vector).all():
        raise DataError(f"{path}, {where}: holds a number that is not finite")
    return vector


def _is_number(field: bytes) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _read_binary(stream: BinaryIO, path: Path, wanted: Collection[str]) -> FoundVectors:
    """word2vec's binary format: ``COUNT DIMENSION`` line, then ``word`` + space + float32s."""
    first = stream.readline()
    header = _header(first)
    if header is None or header[1] == 0:
        raise DataError(
            f"{path}, line 1: a word2vec binary file starts with the line 'COUNT DIMENSION', "
            f"not {first[:60].decode(errors='replace').strip()!r}"
        )
    count, dimension = header
    record = 4 * dimension
    wanted_bytes = {word.encode("utf-8"): word for word in wanted}
    vectors: dict[str, np.ndarray] = {}
    buffer, position = b"", 0
    for entry in range(1, count + 1):
        space = buffer.find(b" ", position)
        while space == -1 or len(buffer) < space + 1 + record:
            more = stream.read(CHUNK_BYTES)
            if not more:
                if not buffer[position:].strip():
                    return FoundVectors("word2vec-binary", dimension, vectors)  # cut at an entry
                raise DataError(f"{path}: ends inside vector {entry} of the {count} it announces")
            buffer, position = buffer[position:] + more, 0
            space = buffer.find(b" ")
        word = wanted_bytes.get(buffer[position:space].strip())
        if word is not None and word not in vectors:
            vector = np.frombuffer(buffer, "<f4", dimension, space + 1).astype(np.float32)
            if not np.isfinite(vector).all():
                raise DataError(f"{path}: vector {entry} ({word!r}) holds a non-finite number")
            vectors[word] = vector
        position = space + 1 + record
    return FoundVectors("word2vec-binary", dimension, vectors)
