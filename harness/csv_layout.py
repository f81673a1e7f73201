"""Reading a data set in the AG News CSV layout, refusing every malformed row.

A directory holds ``train.csv``, ``test.csv`` and ``classes.txt``. Each CSV row
is ``"class index","title","description"``: fields double-quoted, internal
quotes doubled, new lines escaped as a backslash followed by ``n``; class index
k (1..N) is named by line k of ``classes.txt``. DBpedia, Yahoo Answers and
other data sets share the layout with other class counts.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import numpy as np

from harness.errors import DataError
from harness.text import Fields

SPLIT_FILES = {"train": "train.csv", "test": "test.csv"}
CLASSES_FILE = "classes.txt"
MAX_REPORTED_ERRORS = 10


def read_class_names(directory: Path) -> list[str]:
    """Line k of ``classes.txt`` names class k; blank lines are refused."""
    path = directory / CLASSES_FILE
    lines = _decode(path).splitlines()
    if not lines:
        raise DataError(f"{path}: the file is empty; it must name one class per line")
    for number, name in enumerate(lines, start=1):
        if not name.strip():
            raise DataError(f"{path}, line {number}: empty class name")
    return [name.strip() for name in lines]


def read_split(path: Path, num_classes: int, fields: Fields) -> tuple[list[str], np.ndarray]:
    """The chosen text and the 0-based label of every row of one CSV file.

    Raises :class:`DataError` naming the file and line of each malformed row
    (up to :data:`MAX_REPORTED_ERRORS` of them); no row is ever skipped.
    """
    reader = csv.reader(io.StringIO(_decode(path), newline=""), strict=True)
    texts: list[str] = []
    labels: list[int] = []
    problems: list[str] = []
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(f"line {line}: cannot parse CSV ({error})")
            break
        try:
            label, text = _parse_row(row, num_classes, fields)
        except ValueError as problem:
            problems.append(f"line {line}: {problem}")
        else:
            labels.append(label)
            texts.append(text)
        line = reader.line_num + 1
        if len(problems) >= MAX_REPORTED_ERRORS:
            problems.append("(stopped after this many errors)")
            break
    if problems:
        raise DataError(f"{path}: malformed rows\n  " + "\n  ".join(problems))
    if not texts:
        raise DataError(f"{path}: the split is empty (no rows)")
    return texts, np.asarray(labels, dtype="int32")


def fingerprint(directory: Path) -> str:
    """A SHA-256 over the bytes of the three files: any change gives a new fingerprint."""
    digest = hashlib.sha256()
    for name in (CLASSES_FILE, *SPLIT_FILES.values()):
        digest.update(name.encode())
        digest.update(_read_bytes(directory / name))
    return digest.hexdigest()


def _parse_row(row: list[str], num_classes: int, fields: Fields) -> tuple[int, str]:
    if len(row) != 3:
        raise ValueError(f"expected 3 fields (class index, title, description), found {len(row)}")
    index_text, title, description = row
    try:
        index = int(index_text)
    except ValueError:
        raise ValueError(f"class index {index_text!r} is not an integer") from None
    if not 1 <= index <= num_classes:
        raise ValueError(f"class index {index} is outside 1..{num_classes} (see classes.txt)")
    text = fields.select(_unescape(title), _unescape(description))
    if not text.strip():
        raise ValueError(f"empty text in the chosen fields ({fields.value})")
    return index - 1, text


def _unescape(field: str) -> str:
    return field.replace("\\n", "\n")


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(
            f"{path}: file not found; a data directory holds "
            f"{', '.join(SPLIT_FILES.values())} and {CLASSES_FILE}"
        )
    return path.read_bytes()


def _decode(path: Path) -> str:
    data = _read_bytes(path)
    if not data.strip():
        raise DataError(f"{path}: the file is empty")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DataError(
            f"{path}, line {line}: bytes that are not UTF-8 ({data[error.start : error.end]!r})"
        ) from None
