"""The checks every source goes through, so that bad data stops before any training.

A source reports what it alone can locate (a malformed row: file and line, or
row number); these checks cover what makes a data set unusable whatever its
source: fewer than two classes, duplicate class names, labels that name no class or
do not pair up with the texts, a class with no training
rows (a test class the model never saw), a test split that is the training
split, and, once the validation split is carved out (and ``--max-train`` drew its subset),
a training split without rows of every class.
"""

from __future__ import annotations

import numpy as np

from harness.api import LabelledTexts, TextDataset
from harness.errors import DataError


def _check_labels(where: str, split: str, rows: LabelledTexts, classes: int) -> None:
    """Each text has one label, an integer that names a class (``0..classes-1``)."""
    labels = np.asarray(rows.labels)
    if len(rows.texts) != len(labels):
        raise DataError(
            f"{where}: {split} split has {len(rows.texts)} texts and {len(labels)} labels"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{where}: {split} labels are {labels.dtype}, not integers")
    outside = labels[(labels < 0) | (labels >= classes)]
    if len(outside):
        raise DataError(
            f"{where}: {split} label {outside[0]} names no class; labels are 0..{classes - 1}"
        )


def check_usable(dataset: TextDataset) -> None:
    """Raise :class:`DataError` with one clear message when ``dataset`` cannot be trained on."""
    where = dataset.source
    names = dataset.class_names
    if len(names) < 2:
        raise DataError(
            f"{where}: {len(names)} class ({', '.join(map(repr, names)) or 'none'}); a "
            "classifier needs at least two"
        )
    first_index: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first_index:
            raise DataError(
                f"{where}: duplicate class name {name!r} (classes {first_index[name] + 1} and "
                f"{index + 1}); each class needs its own name"
            )
        first_index[name] = index
    for split in ("train", "test"):
        if not len(getattr(dataset, split)):
            raise DataError(f"{where}: the {split} split is empty (no rows)")
        _check_labels(where, split, getattr(dataset, split), len(names))
    train_counts = np.bincount(dataset.train.labels, minlength=len(names))
    test_counts = np.bincount(dataset.test.labels, minlength=len(names))
    for index, name in enumerate(names):
        if train_counts[index] == 0:
            in_test = f"{test_counts[index]} test rows" if test_counts[index] else "no test rows"
            raise DataError(
                f"{where}: class {name!r} has no training rows ({in_test}); every class must "
                "occur in the training split"
            )
    if _test_is_within_train(dataset):
        raise DataError(
            f"{where}: every one of the {len(dataset.test)} test rows also occurs in the "
            "training split (same text and label): the test split would measure memory, not "
            "generalisation; use a held-out test split"
        )


def check_training_split(
    where: str, class_names: list[str], train_labels: np.ndarray, held_out: int
) -> None:
    """After ``held_out`` rows went to validation: rows of every class must remain to train on."""
    if len(train_labels) == 0:
        raise DataError(
            f"{where}: no training rows are left after the validation split took {held_out}: "
            "copies of a text stay on one side of that split, so a training split of one "
            "repeated text cannot be split; it needs distinct texts"
        )
    counts = np.bincount(train_labels, minlength=len(class_names))
    for index, name in enumerate(class_names):
        if counts[index] == 0:
            raise DataError(
                f"{where}: class {name!r} has no training rows left after the validation "
                "split took its rows; give it more distinct rows or lower --validation-size"
            )


def check_subset(
    where: str, class_names: list[str], train_labels: np.ndarray, max_train: int
) -> None:
    """After ``--max-train`` drew its subset: rows of every class must remain to train on."""
    counts = np.bincount(train_labels, minlength=len(class_names))
    missing = [name for name, count in zip(class_names, counts, strict=True) if count == 0]
    if missing:
        listed = ", ".join(map(repr, missing[:3])) + (" and more" if len(missing) > 3 else "")
        raise DataError(
            f"{where}: --max-train {max_train} leaves class{'es' if len(missing) > 1 else ''} "
            f"{listed} without training rows; every class needs at least one (raise "
            f"--max-train to at least {len(class_names)}, more where classes are uneven)"
        )


def _test_is_within_train(dataset: TextDataset) -> bool:
    training = set(zip(dataset.train.texts, dataset.train.labels.tolist(), strict=True))
    return all(
        row in training
        for row in zip(dataset.test.texts, dataset.test.labels.tolist(), strict=True)
    )
