"""Result rows with test predictions, made from correctness matrices (no training)."""

from __future__ import annotations

import numpy as np

from harness.results.predictions import RowPredictions
from helpers.result_rows import result_row

LABELS = 4


def rows_with_predictions(
    architecture: str, padding: str, correct: np.ndarray, fingerprint: str = "sha256:rows", **extra
) -> list[dict]:
    """One ``done`` row per seed (a row of ``correct``): right where ``correct`` says."""
    rows = []
    labels = np.arange(correct.shape[1]) % LABELS
    for seed, right in enumerate(correct):
        predicted = np.where(right, labels, (labels + 1) % LABELS)
        result = result_row(architecture, padding, seed, float(right.mean()), **extra)
        result["measurements"]["test_predictions"] = RowPredictions(
            fingerprint, predicted, labels
        ).encode()
        result["data"]["rows"]["test"] = correct.shape[1]
        rows.append(result)
    return rows


def correctness(rng: np.random.Generator, accuracy: float, rows: int, seeds: int = 3):
    """Seeds x rows: right with probability ``accuracy`` on rows of varied difficulty."""
    difficulty = np.clip(np.linspace(accuracy - 0.3, accuracy + 0.3, rows), 0, 1)
    return rng.random((seeds, rows)) < difficulty
