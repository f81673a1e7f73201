"""A cell's test predictions, stored compactly in its result row, and what identifies the rows.

Each finished cell records the class it predicted for every test row, in the
test split's own row order, together with the true labels and a fingerprint of
the test rows. Two cells whose fingerprints match were scored on the same rows,
so their predictions can be compared row by row (see :mod:`harness.report.statistics`).
It also records how sure it was: the probability it gave the class it predicted
(its confidence), which calibration is measured from (:mod:`harness.report.calibration`).

Encoding: the classes as unsigned 8-bit integers (16-bit beyond 256 classes),
compressed with zlib and written as base64 text. For AG News's four classes
that is about 0.43 characters per test row for each array, 6.5 KB per result row
for AG News's 7,600 test rows (see ``docs/results.md``). The confidences are
rounded to steps of 1/255 and stored the same way as unsigned 8-bit integers.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np

ENCODING = "zlib+base64"
CONFIDENCE_STEPS = 255  # a stored confidence is a whole number of 1/255ths
DTYPES = ("uint8", "uint16")


class StoredPredictions(TypedDict):
    """The ``test_predictions`` measurement of a result row."""

    test_fingerprint: str
    rows: int
    dtype: str
    encoding: str
    predicted: str
    labels: str


@dataclass(frozen=True)
class RowPredictions:
    """One cell's predicted class and the true class of every test row, in row order."""

    test_fingerprint: str
    predicted: np.ndarray
    labels: np.ndarray

    @property
    def correct(self) -> np.ndarray:
        return self.predicted == self.labels

    def encode(self) -> StoredPredictions:
        dtype = "uint8" if max(self.predicted.max(), self.labels.max()) < 256 else "uint16"
        return {
            "test_fingerprint": self.test_fingerprint,
            "rows": len(self.labels),
            "dtype": dtype,
            "encoding": ENCODING,
            "predicted": _encode(self.predicted, dtype),
            "labels": _encode(self.labels, dtype),
        }

    @classmethod
    def decode(cls, stored: StoredPredictions) -> RowPredictions:
        """Raises ``ValueError`` (or ``zlib.error``) when the stored arrays do not decode to
        ``rows`` entries each; never decompresses more than that."""
        if stored["encoding"] != ENCODING:
            raise ValueError(f"unknown predictions encoding {stored['encoding']!r}")
        if stored["dtype"] not in DTYPES:
            raise ValueError(f"unknown predictions dtype {stored['dtype']!r}")
        predicted = _decode(stored["predicted"], stored["dtype"], stored["rows"])
        labels = _decode(stored["labels"], stored["dtype"], stored["rows"])
        if not len(predicted) == len(labels) == stored["rows"]:
            raise ValueError(
                f"predictions for {len(predicted)} rows and labels for {len(labels)} rows, "
                f"not {stored['rows']}"
            )
        return cls(stored["test_fingerprint"], predicted, labels)


def fingerprint_test_rows(
    source_fingerprint: str, source_rows: np.ndarray, labels: np.ndarray
) -> str:
    """Identifies the test rows: the source's content, which of its rows, and their labels.

    It leaves out how the rows were read (fields, normalisation, vocabulary, maximum
    length): cells that differ only in those were scored on the same rows.
    """
    digest = hashlib.sha256(source_fingerprint.encode())
    for array in (source_rows, labels):
        digest.update(np.ascontiguousarray(array, dtype="<i8").tobytes())
    return "sha256:" + digest.hexdigest()


def stored_predictions(measurements: Mapping[str, Any] | None) -> RowPredictions | None:
    """The decoded predictions of a row's measurements; None for a row without them (schema 1)."""
    stored = (measurements or {}).get("test_predictions")
    return RowPredictions.decode(stored) if stored else None


class StoredConfidence(TypedDict):
    """The ``test_confidence`` measurement of a result row."""

    rows: int
    dtype: str
    steps: int
    encoding: str
    confidence: str


def encode_confidence(confidence: np.ndarray) -> StoredConfidence:
    """Each test row's confidence (the predicted class's probability, in row order), rounded
    to a whole number of ``1 / CONFIDENCE_STEPS``.

    >>> decode_confidence(encode_confidence(np.array([0.25, 0.5, 0.999])))
    array([0.25098039, 0.50196078, 1.        ])
    """
    steps = np.rint(np.clip(confidence, 0.0, 1.0) * CONFIDENCE_STEPS)
    return {
        "rows": len(confidence),
        "dtype": "uint8",
        "steps": CONFIDENCE_STEPS,
        "encoding": ENCODING,
        "confidence": _encode(steps, "uint8"),
    }


def decode_confidence(stored: StoredConfidence) -> np.ndarray:
    """The confidences of :func:`encode_confidence`; raises ``ValueError`` when the stored
    array does not have ``rows`` entries or the encoding is unknown."""
    if stored["encoding"] != ENCODING:
        raise ValueError(f"unknown confidence encoding {stored['encoding']!r}")
    confidence = _decode(stored["confidence"], stored["dtype"], stored["rows"]) / stored["steps"]
    if len(confidence) != stored["rows"]:
        raise ValueError(f"confidence for {len(confidence)} rows, not {stored['rows']}")
    return confidence


def stored_confidence(measurements: Mapping[str, Any] | None) -> np.ndarray | None:
    """The decoded confidences of a row's measurements; None for a row without them (rows
    written before they were recorded)."""
    stored = (measurements or {}).get("test_confidence")
    return decode_confidence(stored) if stored else None


def _encode(values: np.ndarray, dtype: str) -> str:
    raw = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def _decode(text: str, dtype: str, rows: int) -> np.ndarray:
    """The array of ``rows`` entries ``text`` encodes; a longer one is cut one entry beyond,
    so that a damaged row cannot make it decompress without end."""
    size = np.dtype(dtype).itemsize
    raw = zlib.decompressobj().decompress(base64.b64decode(text, validate=True), (rows + 1) * size)
    if len(raw) % size:
        raise ValueError(f"{len(raw)} bytes are not whole {dtype} entries")
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype("int64")


@dataclass(frozen=True)
class CellCorrectness:
    """Which test rows each seed of one cell got right (seeds x rows), and which rows."""

    test_fingerprint: str
    correct: np.ndarray


def cell_correctness(measurements: Sequence[Mapping[str, Any] | None]) -> CellCorrectness | None:
    """The correctness of one cell's seeds (their ``done`` measurements, seed order); None
    when a seed has no predictions (schema 1) or the seeds were scored on different rows (or
    as many)."""
    decoded = [stored_predictions(m) for m in measurements]
    if not decoded or any(p is None for p in decoded):
        return None
    fingerprints = {p.test_fingerprint for p in decoded if p is not None}
    if len(fingerprints) != 1 or len({len(p.labels) for p in decoded if p is not None}) != 1:
        return None
    return CellCorrectness(
        fingerprints.pop(), np.stack([p.correct for p in decoded if p is not None])
    )
