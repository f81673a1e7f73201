"""Labelled texts from the columns of a table: shared by file tables and Hugging Face data sets.

``--text-column NAME`` (repeatable; joined in order) names the text, default the
column ``text``; ``--label-column NAME`` the label, default ``label``. A data set's labels
are all names (text, read as written: ``001`` is not ``1``), all whole numbers (``1.0`` is
1) or all booleans, never a mix, so that no two labels merge into one class (``true`` is
not 1). Unless the source names its classes, the class list is the sorted set of the
training labels (numeric order for numbers, and for names that are numerals). Every row is
checked: an empty text, text that is not text, a missing label, a label that is none of
those kinds or a test label unknown to training is refused with its row number (rows
count from 1, after any header).

>>> [label_of(value) for value in ("001", 1.0, True, b"neg")]
['001', 1, True, 'neg']
>>> class_names(class_list(["10", "9", "b"]))
['9', '10', 'b']
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from typing import Any, Union

import numpy as np
import pandas as pd

from harness.api import LabelledTexts, SourceOptions
from harness.data.text import join_fields
from harness.errors import DataError, shortened

DEFAULT_TEXT_COLUMN = "text"
DEFAULT_LABEL_COLUMN = "label"
MAX_REPORTED_ERRORS = 10


def chosen_columns(
    where: str, columns: Sequence[str], options: SourceOptions
) -> tuple[tuple[str, ...], str]:
    """(text columns, label column) from the options, each checked against ``columns``."""
    listed = ", ".join(map(str, columns))
    text_columns = options.fields or (DEFAULT_TEXT_COLUMN,)
    for name in text_columns:
        if name not in columns:
            default = "" if options.fields else " (the default; name yours with --text-column)"
            raise DataError(f"{where}: no text column {name!r}{default}; columns: {listed}")
    label_column = options.label_column or DEFAULT_LABEL_COLUMN
    if label_column not in columns:
        default = "" if options.label_column else " (the default; name yours with --label-column)"
        raise DataError(f"{where}: no label column {label_column!r}{default}; columns: {listed}")
    if label_column in text_columns:
        raise DataError(f"{where}: column {label_column!r} cannot be both text and label")
    return text_columns, label_column


Label = Union[bool, int, str]  # noqa: UP007 (a runtime alias under Python 3.10)
_NUMERAL = re.compile(r"-?[0-9]+")
_KINDS = {bool: "a boolean", int: "a whole number", str: "a name"}


def label_of(value: Any) -> Label:
    """A cell as a label: a name (text; bytes as UTF-8), a whole number (a number with
    nothing after its point is that number) or a boolean; raises ``ValueError`` saying why
    it is none of these."""
    value = _plain(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(
                f"label {shortened(repr(value))} is bytes that are not UTF-8"
            ) from None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(float(value))
    kind = "not a whole number" if isinstance(value, numbers.Real) else _kind(value)
    raise ValueError(
        f"label {shortened(_quoted(value))} is {kind}; a label is a name or a whole number"
    )


def class_list(labels: Sequence[Label]) -> list[Label]:
    """The sorted set of ``labels`` (of one kind): numbers, and names that are numerals, in
    numeric order; other names after them, as text."""

    def order(label: Label) -> tuple[int, int, str]:
        if isinstance(label, str) and not _NUMERAL.fullmatch(label):
            return (1, 0, label)
        return (0, int(label), str(label))

    return sorted(set(labels), key=order)


def class_names(classes: Sequence[Label]) -> list[str]:
    """How each class is named: as written, a boolean as JSON writes it."""
    return [_shown(label) for label in classes]


def labelled_texts(
    where: str,
    frame: pd.DataFrame,
    text_columns: tuple[str, ...],
    label_column: str,
    classes: list[Any],
) -> LabelledTexts:
    """Every row's joined text and the index of its label in ``classes``; refuses bad rows."""
    index_of = {_key(label): k for k, label in enumerate(classes)}
    texts: list[str] = []
    labels: list[int] = []
    problems: list[str] = []
    text_values = [frame[name].tolist() for name in text_columns]
    for number, (label, *fields) in enumerate(
        zip(frame[label_column].tolist(), *text_values, strict=True), start=1
    ):
        try:
            text = join_fields([_text_of(v, c) for v, c in zip(fields, text_columns, strict=True)])
            if any(_missing(_plain(value)) for value in fields) or not text.strip():
                raise ValueError(f"empty text in the chosen columns ({'+'.join(text_columns)})")
            if _missing(label):
                raise ValueError(f"no label in column {label_column!r}")
            key = _key(label_of(label))
            if key not in index_of:
                raise ValueError(
                    f"label {shortened(_quoted(label_of(label)))} does not occur in the training "
                    f"split (classes: {', '.join(class_names(classes))})"
                )
        except ValueError as problem:
            problems.append(f"row {number}: {problem}")
            if len(problems) >= MAX_REPORTED_ERRORS:
                problems.append("(stopped after this many errors)")
                break
            continue
        texts.append(text)
        labels.append(index_of[key])
    if problems:
        raise DataError(f"{where}: malformed rows\n  " + "\n  ".join(problems))
    if not texts:
        raise DataError(f"{where}: the split is empty (no rows)")
    return LabelledTexts(texts, np.asarray(labels, dtype="int32"))


def training_labels(where: str, frame: pd.DataFrame, label_column: str) -> list[Label]:
    """The training split's labels, each of one kind; a missing one, one of no kind or one
    of another kind than the first is refused with its row, before they are sorted."""
    labels: list[Label] = []
    problems: list[str] = []
    for number, value in enumerate(frame[label_column].tolist(), start=1):
        try:
            if _missing(value):
                raise ValueError(f"no label in {label_column!r}")
            label = label_of(value)
            if labels and type(label) is not type(labels[0]):
                raise ValueError(
                    f"label {shortened(_quoted(label))} is {_KINDS[type(label)]}, and row 1's "
                    f"is {_KINDS[type(labels[0])]}; a data set's labels are all names, all "
                    "whole numbers or all booleans"
                )
            labels.append(label)
        except ValueError as problem:
            problems.append(f"row {number}: {problem}")
            if len(problems) >= MAX_REPORTED_ERRORS:
                break
    if problems:
        raise DataError(f"{where}: malformed rows\n  " + "\n  ".join(problems))
    return labels


def _text_of(value: Any, column: str) -> str:
    """A text cell as text: bytes as UTF-8, a number as written, a missing cell empty;
    raises ``ValueError`` for one that holds no text."""
    value = _plain(value)
    if isinstance(value, str) or _missing(value):
        return value if isinstance(value, str) else ""
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"text in column {column!r} is bytes that are not UTF-8") from None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"text in column {column!r} is {_kind(value)}, not text")


def _plain(value: Any) -> Any:
    """NumPy scalars as Python values, so that 3 and np.int64(3) are one class."""
    return value.item() if isinstance(value, np.generic) else value


def _key(label: Label) -> tuple[str, Label]:
    """What tells labels apart: their kind and value, so that True is not 1."""
    return (type(label).__name__, label)


def _kind(value: Any) -> str:
    return {list: "a list", dict: "an object", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _shown(value: Any) -> str:
    """A value as a message or a class name shows it: a boolean as JSON writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else repr(value)


def _quoted(value: Any) -> str:
    """A value as a message quotes it: a name in quotes, a boolean as JSON writes it."""
    return repr(value) if isinstance(value, str) else _shown(value)


def _missing(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))
