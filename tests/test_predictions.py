"""Test predictions recorded with every cell: the encoding, the fingerprint, and a real cell."""

from __future__ import annotations

import numpy as np
import pytest

from harness.batching.padding import BUCKET
from harness.config import CellSpec, DataConfig, DeviceConfig, TrainingConfig
from harness.data.vectorize import prepare
from harness.plugin.manager import load_registry
from harness.results.predictions import (
    RowPredictions,
    decode_confidence,
    encode_confidence,
    fingerprint_test_rows,
    stored_confidence,
    stored_predictions,
)
from harness.training.fit import train_and_score
from harness.training.scoring import indexed_batches


@pytest.mark.parametrize("classes", [4, 300])
def test_predictions_survive_encoding(classes):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, classes, 7_600)
    predicted = np.where(rng.random(7_600) < 0.87, labels, rng.integers(0, classes, 7_600))
    stored = RowPredictions("sha256:x", predicted, labels).encode()
    assert stored["dtype"] == ("uint8" if classes <= 256 else "uint16")
    decoded = RowPredictions.decode(stored)
    assert np.array_equal(decoded.predicted, predicted)
    assert np.array_equal(decoded.labels, labels)
    assert decoded.correct.mean() == pytest.approx(np.mean(predicted == labels))


def test_a_damaged_record_is_refused():
    stored = RowPredictions("sha256:x", np.arange(4), np.arange(4)).encode()
    with pytest.raises(ValueError, match="not 5"):
        RowPredictions.decode({**stored, "rows": 5})


def test_rows_without_predictions_decode_to_none():
    assert stored_predictions({"test_accuracy": 0.9}) is None
    assert stored_predictions(None) is None


def test_confidences_survive_encoding_within_half_a_step():
    confidence = np.random.default_rng(0).uniform(0.25, 1.0, 2_516)
    stored = encode_confidence(confidence)
    assert np.max(np.abs(decode_confidence(stored) - confidence)) <= 0.5 / 255 + 1e-12
    assert len(stored["confidence"]) < 1.4 * 2_516  # a byte a row at most, in base64
    with pytest.raises(ValueError, match="not 2517"):
        decode_confidence({**stored, "rows": 2_517})
    assert stored_confidence({"test_accuracy": 0.9}) is None  # rows written before it


def test_the_fingerprint_names_source_rows_and_labels():
    rows, labels = np.arange(5), np.array([0, 1, 2, 3, 0])
    same = fingerprint_test_rows("sha256:a", rows, labels)
    assert same == fingerprint_test_rows("sha256:a", rows.astype("int32"), labels)
    assert same != fingerprint_test_rows("sha256:b", rows, labels)
    assert same != fingerprint_test_rows("sha256:a", rows[::-1], labels)
    assert same != fingerprint_test_rows("sha256:a", rows, labels[::-1])


@pytest.mark.filterwarnings("ignore:Your input ran out of data")  # as the worker ignores it
def test_a_trained_cell_records_its_predictions_in_test_row_order(news_dir, tmp_path, registry):
    data = prepare(DataConfig(source=str(news_dir)), registry, tmp_path / "cache")
    spec = CellSpec(
        "bag-of-embeddings", {}, "bucket", 0, TrainingConfig(max_epochs=2, batch_size=16),
        DeviceConfig(), data.describe(), str(data.cache_path),
    )  # fmt: skip
    batches = indexed_batches(BUCKET, data, "test", batch_size=16)
    order = np.concatenate([index for _, index in batches.as_numpy_iterator()])
    assert not np.array_equal(order, np.arange(len(data.test)))  # bucketing reorders the rows
    measurements = train_and_score(spec, data, load_registry(), report=lambda _: None)
    predictions = stored_predictions(measurements)
    assert predictions is not None
    assert len(predictions.predicted) == len(data.test) == 40
    assert np.array_equal(predictions.labels, data.test.labels)  # row order, not batch order
    assert predictions.correct.mean() == pytest.approx(measurements["test_accuracy"])
    confidence = stored_confidence(measurements)
    assert confidence is not None and len(confidence) == 40
    assert np.all(confidence >= 1 / len(data.class_names) - 0.5 / 255)  # the largest of 4
    assert predictions.test_fingerprint == fingerprint_test_rows(
        data.fingerprint, data.source_rows["test"], data.test.labels
    )
    other_vocabulary = prepare(
        DataConfig(source=str(news_dir), vocabulary_size=50, max_train=100),
        registry,
        tmp_path / "cache",
    )
    assert predictions.test_fingerprint == fingerprint_test_rows(
        other_vocabulary.fingerprint,
        other_vocabulary.source_rows["test"],
        other_vocabulary.test.labels,
    )  # the same test rows, read differently, pair
