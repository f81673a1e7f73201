"""The CSV family of Zhang, Zhao & LeCun (2015): AG News, DBpedia, Yelp, Amazon, Yahoo Answers.

A directory holds ``train.csv``, ``test.csv`` and, optionally, ``classes.txt``.
Each CSV row is a class index followed by 1, 2 or 3 text fields: the layout is
the field count of the first row of ``train.csv``, and every row of both files
must have it. Fields are double-quoted, internal quotes doubled, new lines
escaped as a backslash followed by ``n``. Class index k (1..K) is named by line
k of ``classes.txt``; without that file the classes are named "1".."K", K the
largest index found. A UTF-8 byte order mark (spreadsheet tools write one) is
accepted at the start of any file; ``.csv.gz`` files are read the same way.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.api import LabelledTexts, SourceOptions, TextDataset
from harness.data.text import join_fields
from harness.errors import DataError

SPLITS = ("train", "test")
CLASSES_FILE = "classes.txt"
MAX_REPORTED_ERRORS = 10
LAYOUTS: dict[int, tuple[str, ...]] = {  # fields per row -> names of the text fields
    2: ("text",),
    3: ("title", "description"),
    4: ("question_title", "question_content", "answer"),
}
LAYOUT_DESCRIPTIONS = {
    2: "class index, text",
    3: "class index, title, description",
    4: "class index, question title, question content, answer",
}


@dataclass(frozen=True)
class ZhangCsvSource:
    """A directory (or the package's embedded sample) in the CSV family layout."""

    directory: Path
    options: SourceOptions
    suffix: str = ".csv"  # ".csv.gz" for compressed files
    name: str | None = None  # what --data said, when not the directory itself

    def split_path(self, split: str) -> Path:
        return self.directory / f"{split}{self.suffix}"

    def fingerprint(self) -> str:
        """A SHA-256 over the bytes of the files: any change gives a new fingerprint."""
        digest = hashlib.sha256()
        classes = self.directory / CLASSES_FILE
        named = [(CLASSES_FILE, classes)] if classes.is_file() else []
        for name, path in [*named, *((p.name, p) for p in map(self.split_path, SPLITS))]:
            digest.update(name.encode())
            digest.update(_read_bytes(path))
        return "sha256:" + digest.hexdigest()

    def load(self) -> TextDataset:
        if self.options.label_column is not None:
            raise DataError(
                f"{self.directory}: --label-column applies to tables and Hugging Face data "
                "sets; in the CSV family layout the class index is the first field"
            )
        train_text = _decode(self.split_path("train"))
        field_count = _layout_of(self.split_path("train"), train_text)
        names = LAYOUTS[field_count]
        chosen = _chosen_fields(self.split_path("train"), field_count, self.options.fields)
        class_names, notes = self.class_names()
        rows = {
            split: _read_split(
                self.split_path(split),
                train_text if split == "train" else _decode(self.split_path(split)),
                field_count,
                [names.index(name) for name in chosen],
                len(class_names) if class_names else None,
            )
            for split in SPLITS
        }
        if not class_names:
            largest = max(int(labels.max()) for _, labels in rows.values()) + 1
            class_names = [str(k) for k in range(1, largest + 1)]
        return TextDataset(
            source=self.name or str(self.directory),
            fingerprint=self.fingerprint(),
            class_names=class_names,
            train=LabelledTexts(*rows["train"]),
            test=LabelledTexts(*rows["test"]),
            fields=chosen,
            notes=notes,
        )

    def class_names(self) -> tuple[list[str], tuple[str, ...]]:
        """Line k of ``classes.txt`` names class k (blank lines refused); [] and a note without."""
        path = self.directory / CLASSES_FILE
        if not path.is_file():
            note = f'{path.parent}: no {CLASSES_FILE}, so the classes are named "1".."K"'
            return [], (note,)
        lines = _decode(path).splitlines()
        for number, name in enumerate(lines, start=1):
            if not name.strip():
                raise DataError(f"{path}, line {number}: empty class name")
        return [name.strip() for name in lines], ()


def looks_like_zhang_csv(directory: Path) -> bool:
    """A ``classes.txt``, or a ``train.csv`` whose first field is a whole number (no header)."""
    if (directory / CLASSES_FILE).is_file():
        return True
    path = directory / "train.csv"
    if not path.is_file():
        return False
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as file:
        first = next(csv.reader([file.readline()]), [""])
    return bool(first) and first[0].strip().isdigit()


def _layout_of(path: Path, text: str) -> int:
    _allow_fields_as_long_as(text)
    first_row = next(csv.reader(io.StringIO(text, newline="")), [])
    if len(first_row) not in LAYOUTS:
        layouts = "; ".join(f"{n} ({d})" for n, d in LAYOUT_DESCRIPTIONS.items())
        raise DataError(
            f"{path}, line 1: {len(first_row)} fields; the CSV family layout has {layouts}"
        )
    return len(first_row)


def _chosen_fields(path: Path, field_count: int, requested: tuple[str, ...]) -> tuple[str, ...]:
    names = LAYOUTS[field_count]
    for name in requested:
        if name not in names:
            raise DataError(
                f"--fields: {name!r} is not a text field of {path.parent} "
                f"({field_count} fields a row: {LAYOUT_DESCRIPTIONS[field_count]}); "
                f"its text fields are {'+'.join(names)}"
            )
    return requested or names


def _read_split(
    path: Path, text: str, field_count: int, chosen: list[int], num_classes: int | None
) -> tuple[list[str], np.ndarray]:
    """The chosen text and the 0-based label of every row of one CSV file.

    Raises :class:`DataError` naming the file and line of each malformed row
    (up to :data:`MAX_REPORTED_ERRORS` of them); no row is ever skipped.
    """
    _allow_fields_as_long_as(text)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
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
            label, row_text = _parse_row(row, field_count, chosen, num_classes)
        except ValueError as problem:
            problems.append(f"line {line}: {problem}")
        else:
            labels.append(label)
            texts.append(row_text)
        line = reader.line_num + 1
        if len(problems) >= MAX_REPORTED_ERRORS:
            problems.append("(stopped after this many errors)")
            break
    if problems:
        raise DataError(f"{path}: malformed rows\n  " + "\n  ".join(problems))
    if not texts:
        raise DataError(f"{path}: the split is empty (no rows)")
    return texts, np.asarray(labels, dtype="int32")


def _parse_row(
    row: list[str], field_count: int, chosen: list[int], num_classes: int | None
) -> tuple[int, str]:
    if len(row) != field_count:
        raise ValueError(
            f"expected {field_count} fields ({LAYOUT_DESCRIPTIONS[field_count]}), found {len(row)}"
        )
    index_text, *fields = row
    try:
        index = int(index_text)
    except ValueError:
        raise ValueError(f"class index {index_text!r} is not an integer") from None
    if num_classes is not None and not 1 <= index <= num_classes:
        raise ValueError(f"class index {index} is outside 1..{num_classes} (see classes.txt)")
    if index < 1:
        raise ValueError(f"class index {index} is below 1 (class indices start at 1)")
    text = join_fields([_unescape(fields[k]) for k in chosen])
    if not text.strip():
        names = LAYOUTS[field_count]
        raise ValueError(f"empty text in the chosen fields ({'+'.join(names[k] for k in chosen)})")
    return index - 1, text


def _allow_fields_as_long_as(text: str) -> None:
    """Python's csv refuses fields over 128 KiB by default; a field cannot outgrow its file."""
    if len(text) > csv.field_size_limit():
        csv.field_size_limit(len(text))


def _unescape(field: str) -> str:
    return field.replace("\\n", "\n")


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise DataError(
            f"{path}: file not found; a data directory in the CSV family layout holds "
            f"train.csv and test.csv (and optionally {CLASSES_FILE})"
        )
    return path.read_bytes()


def _decode(path: Path) -> str:
    data = _read_bytes(path)
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    if not data.strip():
        raise DataError(f"{path}: the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DataError(
            f"{path}, line {line}: bytes that are not UTF-8 ({data[error.start : error.end]!r})"
        ) from None
