"""What every loaded data set goes through, whatever its source (a plugin's included): a
label that names no class, or texts and labels that do not pair up, stop loading with one
line, not a failure inside training."""

from __future__ import annotations

import numpy as np
import pytest

from harness.api import LabelledTexts, TextDataset
from harness.data.validation import check_usable
from harness.errors import DataError

TEXTS = ["one text", "another text", "a third", "and a fourth"]


def dataset(train_labels, test_labels=(0, 1, 0, 1), train_texts=TEXTS) -> TextDataset:
    return TextDataset(
        source="plugin:tiny",
        fingerprint="sha256:tiny",
        class_names=["a", "b"],
        train=LabelledTexts(list(train_texts), np.asarray(train_labels)),
        test=LabelledTexts(["five", "six", "seven", "eight"], np.asarray(test_labels)),
    )


def test_a_consistent_data_set_passes():
    check_usable(dataset([0, 1, 0, 1]))


@pytest.mark.parametrize(
    ("train", "test", "message"),
    [
        ([0, 1, 2, 1], [0, 1, 0, 1], r"plugin:tiny: train label 2 .*0\.\.1"),
        ([0, 1, 0, 1], [0, -1, 0, 1], r"plugin:tiny: test label -1 .*0\.\.1"),
        ([0.0, 1.0, 0.0, 1.0], [0, 1, 0, 1], r"plugin:tiny: train labels are float64"),
    ],
)
def test_a_label_outside_the_classes_is_one_line(train, test, message):
    with pytest.raises(DataError, match=message):
        check_usable(dataset(train, test))


def test_texts_and_labels_that_do_not_pair_up_are_one_line():
    with pytest.raises(DataError, match=r"plugin:tiny: train split has 3 texts and 4 labels"):
        check_usable(dataset([0, 1, 0, 1], train_texts=TEXTS[:3]))
