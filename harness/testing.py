"""Contract checks that a plugin's own test suite can run, one per extension point.

Installed as a pytest plugin (entry point ``pytest11``), so after
``pip install rnn-harness`` a plugin's tests can write::

    def test_my_architecture(architecture_contract):
        architecture_contract(my_plugin.harness_architectures()[0])

or call :func:`check_architecture` directly; :func:`check_padding_strategy` checks a
padding strategy and :func:`check_data_source` a kind of data source the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from harness.api import (
    NAME_PATTERN,
    Architecture,
    DataSource,
    DataSourceKind,
    PaddingStrategy,
    SourceOptions,
    TextDataset,
    VectorizedSplit,
)
from harness.data.validation import check_usable
from harness.errors import DataError
from harness.model.classifier import ModelShape, build_classifier

TINY_SHAPE = ModelShape(vocabulary_size=40, num_classes=3, embedding_dim=8)
# Right-padded like every masked harness batch: two full rows, one with trailing pads.
TINY_BATCH = np.array([[5, 6, 7, 8], [9, 3, 0, 0], [2, 4, 11, 0]], dtype="int32")
TINY_LABELS = np.array([0, 1, 2], dtype="int32")
# Rows of different lengths for a padding strategy; each row's label is its index.
TINY_ROWS = ([5, 6, 7], [9], [2, 4, 11, 3], [8, 8], [3, 12, 2, 4, 5], [7])
# What --data says for the core's kinds, which a plugin's kind (asked first) must leave alone.
CORE_DATA_EXAMPLES = ("ag-news-sample", "tfds:ag_news_subset", "hf:fancyzhx/ag_news")


def check_architecture(
    architecture: Architecture, overrides: Mapping[str, Any] | None = None
) -> None:
    """Assert that ``architecture`` keeps the plugin contract; raise AssertionError if not.

    Checks the name and hyperparameters; then, with and without masking, that the
    model builds, maps a batch to one probability per class, trains one step to a
    finite loss, and (with masking) gives the same answer with or without pads, on
    whichever of Keras's backends the process runs.
    """
    assert NAME_PATTERN.match(architecture.name), f"bad name {architecture.name!r}"
    assert architecture.summary.strip(), "summary is empty"
    params = architecture.resolve(dict(overrides or {}))
    for name, value in params.items():
        assert isinstance(value, type(architecture.defaults()[name])), name
    for mask in (False, True):
        model = build_classifier(architecture, params, TINY_SHAPE, mask=mask)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
        probabilities = _numpy(model(TINY_BATCH))
        assert probabilities.shape == (len(TINY_BATCH), TINY_SHAPE.num_classes), (
            f"{architecture.name} (mask={mask}) gave output of shape {probabilities.shape}"
        )
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-4)
        loss = float(model.train_on_batch(TINY_BATCH, TINY_LABELS))
        assert np.isfinite(loss), f"{architecture.name} (mask={mask}) trained to loss {loss}"
        if mask:
            _assert_ignores_padding(model, architecture.name)


def _assert_ignores_padding(model: Any, name: str) -> None:
    row = TINY_BATCH[1:2, :2]
    padded = np.pad(row, ((0, 0), (0, 5)))
    np.testing.assert_allclose(
        _numpy(model(row)),
        _numpy(model(padded)),
        atol=1e-5,
        err_msg=f"{name} with masking answers differently once pads are appended",
    )


def _numpy(tensor: Any) -> np.ndarray:
    """A model's output as a NumPy array, on any of Keras's backends."""
    import keras

    return np.asarray(keras.ops.convert_to_numpy(tensor))


def check_padding_strategy(strategy: PaddingStrategy, batch_size: int = 2) -> None:
    """Assert that ``strategy`` keeps the padding-strategy contract; raise AssertionError if not.

    Checks the name, summary and ``masks``; then, in a fixed order and shuffled, that the
    batches hold every row exactly once with its own label, at most ``batch_size`` rows
    each, every row padded with token id 0 on one side (after the text when the strategy
    masks, as cuDNN requires; before or after it otherwise), and that a seed repeats its
    order.
    """
    assert NAME_PATTERN.match(strategy.name), f"bad name {strategy.name!r}"
    assert strategy.summary.strip() and "\n" not in strategy.summary.strip(), "bad summary"
    assert isinstance(strategy.masks, bool), "masks must be True or False"
    lengths = np.array([len(row) for row in TINY_ROWS], dtype="int32")
    split = VectorizedSplit(
        np.concatenate(TINY_ROWS).astype("int32"), lengths, np.arange(len(TINY_ROWS), dtype="int32")
    )
    for shuffle_seed in (None, 0):
        order = _rows_in_batches(strategy, split, batch_size, shuffle_seed)
        assert sorted(order) == list(range(len(TINY_ROWS))), (
            f"{strategy.name} (shuffle seed {shuffle_seed}) batched rows {order}, "
            f"not each of 0..{len(TINY_ROWS) - 1} once"
        )
    assert _rows_in_batches(strategy, split, batch_size, 0) == order, (
        f"{strategy.name}: the same shuffle seed gave another order"
    )


def _rows_in_batches(
    strategy: PaddingStrategy, split: VectorizedSplit, batch_size: int, shuffle_seed: int | None
) -> list[int]:
    batches = strategy.batches(
        split, batch_size, training_lengths=split.lengths, shuffle_seed=shuffle_seed
    )
    order: list[int] = []
    for token_ids, labels in batches.as_numpy_iterator():
        assert len(labels) <= batch_size, f"{strategy.name}: a batch of {len(labels)} rows"
        for padded, label in zip(token_ids, labels, strict=True):
            row = TINY_ROWS[int(label)]
            assert _padded_after(padded, row) or (
                not strategy.masks and _padded_after(padded[::-1], row[::-1])
            ), f"{strategy.name}: row {row} (label {label}) batched as {list(padded)}, " + (
                "not padded with 0 after the text (a masked batch must be)"
                if strategy.masks
                else "not padded with 0 on one side"
            )
            order.append(int(label))
    return order


def _padded_after(padded: np.ndarray, row: list[int]) -> bool:
    """Whether ``padded`` is ``row`` followed by nothing but pads (token id 0)."""
    return list(padded[: len(row)]) == list(row) and not padded[len(row) :].any()


def check_data_source(
    kind: DataSourceKind, data: str, options: SourceOptions | None = None
) -> TextDataset:
    """Assert that ``kind`` keeps the data-source contract on ``data``; return what it loaded.

    Checks the name, usage and summary; that ``kind`` claims ``data`` and none of the core's
    own strings (a plugin's kind is asked first); that the opened source has a stable
    fingerprint; and that it loads both splits, labelled 0..K-1, that pass the checks every
    source goes through. Reads ``data``; trains nothing.
    """
    assert NAME_PATTERN.match(kind.name), f"bad name {kind.name!r}"
    for text in (kind.usage, kind.summary):
        assert text.strip() and "\n" not in text.strip(), f"{kind.name}: bad line {text!r}"
    assert kind.claims(data), f"{kind.name} does not claim {data!r}"
    taken = [other for other in CORE_DATA_EXAMPLES if other != data and kind.claims(other)]
    assert not taken, f"{kind.name} claims {taken}, which the core's kinds take"
    source = kind.open(data, options or SourceOptions())
    assert isinstance(source, DataSource), f"{kind.name} opened {source!r}: not a DataSource"
    fingerprint = source.fingerprint()
    assert isinstance(fingerprint, str) and fingerprint, f"{kind.name}: empty fingerprint"
    assert source.fingerprint() == fingerprint, f"{kind.name}: the fingerprint changes"
    dataset = source.load()
    assert isinstance(dataset, TextDataset), f"{kind.name} loaded {type(dataset).__name__}"
    assert dataset.fingerprint == fingerprint, f"{kind.name}: load() gives another fingerprint"
    for name, split in (("train", dataset.train), ("test", dataset.test)):
        assert all(isinstance(text, str) for text in split.texts), f"{kind.name}: {name} texts"
    try:
        check_usable(dataset)
    except DataError as error:
        raise AssertionError(f"{kind.name} loaded an unusable data set: {error}") from None
    return dataset


@pytest.fixture
def architecture_contract() -> Callable[..., None]:
    """The :func:`check_architecture` function, as a fixture."""
    return check_architecture


@pytest.fixture
def padding_strategy_contract() -> Callable[..., None]:
    """The :func:`check_padding_strategy` function, as a fixture."""
    return check_padding_strategy


@pytest.fixture
def data_source_contract() -> Callable[..., TextDataset]:
    """The :func:`check_data_source` function, as a fixture."""
    return check_data_source
