"""Labelled texts from the columns of a table: shared by file tables and Hugging Face data sets.

``--text-column NAME`` (repeatable; joined in order) names the text, default the
column ``text``; ``--label-column NAME`` the label, default ``label``. Labels are
names or integers; unless the source names its classes, the class list is the
sorted set of the training labels (numeric order for integers). Every row is
checked: an empty text, a missing label or a test label unknown to training is
refused with its row number (rows count from 1, after any header).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from harness.api import LabelledTexts, SourceOptions
from harness.data.text import join_fields
from harness.errors import DataError

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


def class_list(labels: Sequence[Any]) -> list[Any]:
    """The sorted set of ``labels``: numeric order when all are integers, else as text."""
    values = set(labels)
    if all(isinstance(v, numbers.Integral) for v in values):
        return sorted(values, key=int)
    return sorted(values, key=str)


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
        problem = None
        if (
            any(_missing(value) for value in fields)
            or not join_fields([str(v) for v in fields]).strip()
        ):
            problem = f"empty text in the chosen columns ({'+'.join(text_columns)})"
        elif _missing(label):
            problem = f"no label in column {label_column!r}"
        elif _key(label) not in index_of:
            problem = (
                f"label {label!r} does not occur in the training split "
                f"(classes: {', '.join(map(str, classes))})"
            )
        if problem:
            problems.append(f"row {number}: {problem}")
            if len(problems) >= MAX_REPORTED_ERRORS:
                problems.append("(stopped after this many errors)")
                break
            continue
        texts.append(join_fields([str(v) for v in fields]))
        labels.append(index_of[_key(label)])
    if problems:
        raise DataError(f"{where}: malformed rows\n  " + "\n  ".join(problems))
    if not texts:
        raise DataError(f"{where}: the split is empty (no rows)")
    return LabelledTexts(texts, np.asarray(labels, dtype="int32"))


def training_labels(where: str, frame: pd.DataFrame, label_column: str) -> list[Any]:
    """The training split's labels, refusing a missing one (with its row) before they are sorted."""
    values = frame[label_column].tolist()
    for number, value in enumerate(values, start=1):
        if _missing(value):
            raise DataError(
                f"{where}: malformed rows\n  row {number}: no label in {label_column!r}"
            )
    return [_plain(value) for value in values]


def _plain(value: Any) -> Any:
    """NumPy scalars as Python values, so that 3 and np.int64(3) are one class."""
    return value.item() if isinstance(value, np.generic) else value


def _key(value: Any) -> Any:
    value = _plain(value)
    return (int(value),) if isinstance(value, numbers.Integral) else (str(value),)


def _missing(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))
