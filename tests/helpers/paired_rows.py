"""Result rows with test predictions, made from correctness matrices (no training)."""

from __future__ import annotations

import numpy as np

from harness.results.predictions import RowPredictions, encode_confidence
from helpers.result_rows import result_row

LABELS = 4
CLASS_NAMES = ["World", "Sports", "Business", "Sci/Tech"]


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


def with_confidence(rows: list[dict], right: float, wrong: float) -> list[dict]:
    """``rows`` (of :func:`rows_with_predictions`) recording a confidence of ``right`` on the
    test rows each got right and ``wrong`` on the others."""
    for result in rows:
        predictions = RowPredictions.decode(result["measurements"]["test_predictions"])
        confidence = np.where(predictions.correct, right, wrong)
        result["measurements"]["test_confidence"] = encode_confidence(confidence)
    return rows


def right_on(rows: int, *correct_rows: range) -> np.ndarray:
    """Seeds x rows correctness: seed k is right on ``correct_rows[k]``."""
    matrix = np.zeros((len(correct_rows), rows), dtype=bool)
    for seed, which in enumerate(correct_rows):
        matrix[seed, list(which)] = True
    return matrix


def board_rows() -> list[dict]:
    """Three cells of two seeds on 100 test rows, each with three epochs of history (the
    second kept): ``a`` and ``b`` recorded their confidences, ``c``'s rows did not."""
    rows = with_confidence(
        rows_with_predictions("a", "mask", right_on(100, range(90), range(88))), 0.9, 0.6
    )
    rows += with_confidence(
        rows_with_predictions("b", "mask", right_on(100, range(70), range(72))), 0.99, 0.99
    )
    rows += rows_with_predictions("c", "bucket", right_on(100, range(50), range(52)))
    for row in rows:
        row["data"]["class_names"] = CLASS_NAMES
        row["measurements"]["best_epoch"] = 2
        row["measurements"]["history"] = [
            {"epoch": epoch, "loss": 1 / epoch, "accuracy": 0.5 + epoch / 10,
             "val_accuracy": 0.45 + epoch / 20}
            for epoch in (1, 2, 3)
        ]  # fmt: skip
    return rows
