"""Where a cell's errors go: its confusion matrix and each class's precision, recall and F1.

A cell's matrix is the sum of its seeds' matrices (each from the test predictions its row
records), so the scores weigh every seed's test rows alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.results.predictions import stored_predictions


@dataclass(frozen=True)
class ClassScores:
    """A confusion matrix (true class x predicted class, in test rows) and what it gives.

    A score whose denominator is zero (a class never predicted, or without test rows) is 0.

    >>> scores = ClassScores(["a", "b"], np.array([[3, 1], [0, 4]]))
    >>> scores.precision, scores.recall, scores.f1.round(3)
    (array([1. , 0.8]), array([0.75, 1.  ]), array([0.857, 0.889]))
    """

    class_names: list[str]
    confusion: np.ndarray

    @property
    def support(self) -> np.ndarray:
        """Test rows of each true class."""
        return self.confusion.sum(axis=1)

    @property
    def precision(self) -> np.ndarray:
        return _share(np.diag(self.confusion), self.confusion.sum(axis=0))

    @property
    def recall(self) -> np.ndarray:
        return _share(np.diag(self.confusion), self.support)

    @property
    def f1(self) -> np.ndarray:
        predicted, actual = self.confusion.sum(axis=0), self.support
        return _share(2 * np.diag(self.confusion), predicted + actual)

    @property
    def row_shares(self) -> np.ndarray:
        """The matrix normalised by row: where each true class's rows went."""
        return _share(self.confusion, self.support[:, None])


def class_scores(
    measurements: Sequence[Mapping[str, Any] | None], class_names: Sequence[str]
) -> ClassScores | None:
    """The summed confusion matrix of one cell's seeds (their ``done`` measurements); None
    when a seed has no test predictions (rows before schema 2). Labels beyond
    ``class_names`` are named by their number."""
    decoded = [stored_predictions(m) for m in measurements]
    if not decoded or any(p is None for p in decoded):
        return None
    largest = max(int(max(p.labels.max(), p.predicted.max())) for p in decoded if p is not None)
    names = [*class_names, *(str(label) for label in range(len(class_names), largest + 1))]
    size = len(names)
    confusion = np.zeros((size, size), dtype="int64")
    for p in decoded:
        if p is not None:
            confusion += np.bincount(p.labels * size + p.predicted, minlength=size**2).reshape(
                size, size
            )
    return ClassScores(names, confusion)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """``part / whole``, 0 where ``whole`` is 0."""
    whole = np.broadcast_to(whole, part.shape)
    return np.divide(part, whole, out=np.zeros(part.shape), where=whole > 0)
