"""Whether a cell's confidence can be trusted: its expected calibration error and the bins
of its reliability diagram.

A test row's confidence is the probability the model gave the class it predicted (each
row records it, ``measurements.test_confidence``). The rows are put into :data:`BINS`
equal-width bins of confidence, (0, 0.1], (0.1, 0.2], ... (0.9, 1]; the expected calibration
error (ECE) is the mean over bins of |accuracy - mean confidence|, weighted by the bins'
rows (Guo et al., 2017). A cell's ECE is the mean of its seeds' (each seed is one model);
its reliability diagram pools the test rows of all its seeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.results.predictions import stored_confidence, stored_predictions

BINS = 10


@dataclass(frozen=True)
class ReliabilityBin:
    """The test rows whose confidence lies in (low, high]: how many, how sure, how right."""

    low: float
    high: float
    rows: int
    confidence: float
    accuracy: float


@dataclass(frozen=True)
class Calibration:
    expected_error: float  # the mean of the seeds' ECE
    bins: list[ReliabilityBin]  # the bins that hold test rows, of all the seeds together


def reliability_bins(confidence: np.ndarray, correct: np.ndarray) -> list[ReliabilityBin]:
    """The non-empty bins of ``confidence`` (one per test row) with the rows' accuracy."""
    edges = np.linspace(0.0, 1.0, BINS + 1)
    which = np.digitize(confidence, edges[1:-1], right=True)  # (low, high]; 0 in the first
    return [
        ReliabilityBin(
            float(edges[k]),
            float(edges[k + 1]),
            int(np.sum(which == k)),
            float(np.mean(confidence[which == k])),
            float(np.mean(correct[which == k])),
        )
        for k in range(BINS)
        if np.any(which == k)
    ]


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray) -> float:
    """ECE of one model's test rows.

    >>> right = np.array([True, True, True, False])
    >>> round(expected_calibration_error(np.array([0.95, 0.95, 0.55, 0.55]), right), 3)
    0.05
    """
    bins = reliability_bins(confidence, correct)
    return sum(b.rows * abs(b.accuracy - b.confidence) for b in bins) / len(confidence)


def cell_calibration(measurements: Sequence[Mapping[str, Any] | None]) -> Calibration | None:
    """The calibration of one cell's seeds (their ``done`` measurements); None when a seed
    recorded no confidences (rows written before they were) or no predictions."""
    seeds = [(stored_confidence(m), stored_predictions(m)) for m in measurements]
    pairs = [(c, p.correct) for c, p in seeds if c is not None and p is not None]
    if not pairs or len(pairs) < len(seeds):
        return None
    errors = [expected_calibration_error(confidence, correct) for confidence, correct in pairs]
    pooled = [np.concatenate(arrays) for arrays in zip(*pairs, strict=True)]
    return Calibration(float(np.mean(errors)), reliability_bins(*pooled))
