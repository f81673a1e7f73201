"""The scores of a cell, checked by hand."""

import subprocess
import sys

import numpy as np
import pytest

from harness.training.metrics import cross_entropy, macro_f1


def test_macro_f1_and_cross_entropy_by_hand():
    labels = np.array([0, 0, 1, 2])
    predictions = np.array([0, 1, 1, 1])
    # class 0: tp 1, predicted 1, actual 2 -> 2/3; class 1: tp 1, 3, 1 -> 1/2; class 2: 0
    assert macro_f1(labels, predictions, 3) == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)
    probabilities = np.array([[0.5, 0.5, 0.0], [0.25, 0.75, 0.0]])
    assert cross_entropy(np.array([0, 1]), probabilities) == pytest.approx(
        -(np.log(0.5) + np.log(0.75)) / 2
    )


def test_a_workers_peak_memory_is_its_own_not_its_parents():
    """A worker is started by a parent that holds TensorFlow and the data; its peak must not
    include what the parent held when it started the worker (Linux's ``ru_maxrss`` does)."""
    parent_holds = np.ones(512 * 2**20, dtype=np.uint8)  # 512 MiB, every page touched
    child = subprocess.run(
        [sys.executable, "-c",
         "from harness.training.metrics import peak_host_memory_mb; print(peak_host_memory_mb())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert parent_holds.sum() == parent_holds.size
    assert float(child.stdout) < 256
