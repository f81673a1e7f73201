"""A contract check that any architecture plugin's own test suite can run.

Installed as a pytest plugin (entry point ``pytest11``), so after
``pip install rnn-harness`` a plugin's tests can write::

    def test_my_architecture(architecture_contract):
        architecture_contract(my_plugin.harness_architectures()[0])

or call :func:`check_architecture` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from harness.model.architecture import NAME_PATTERN, Architecture
from harness.model.classifier import ModelShape, build_classifier

TINY_SHAPE = ModelShape(vocabulary_size=40, num_classes=3, embedding_dim=8)
# Right-padded like every harness batch: two full rows, one with trailing pads.
TINY_BATCH = np.array([[5, 6, 7, 8], [9, 3, 0, 0], [2, 4, 11, 0]], dtype="int32")
TINY_LABELS = np.array([0, 1, 2], dtype="int32")


def check_architecture(
    architecture: Architecture, overrides: Mapping[str, Any] | None = None
) -> None:
    """Assert that ``architecture`` keeps the plugin contract; raise AssertionError if not.

    Checks the name and hyperparameters; then, with and without masking, that the
    model builds, maps a batch to one probability per class, trains one step to a
    finite loss, and (with masking) gives the same answer with or without pads.
    """
    assert NAME_PATTERN.match(architecture.name), f"bad name {architecture.name!r}"
    assert architecture.summary.strip(), "summary is empty"
    params = architecture.resolve(dict(overrides or {}))
    for name, value in params.items():
        assert isinstance(value, type(architecture.defaults()[name])), name
    for mask in (False, True):
        model = build_classifier(architecture, params, TINY_SHAPE, mask=mask)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
        probabilities = np.asarray(model(TINY_BATCH))
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
        np.asarray(model(row)),
        np.asarray(model(padded)),
        atol=1e-5,
        err_msg=f"{name} with masking answers differently once pads are appended",
    )


@pytest.fixture
def architecture_contract() -> Callable[..., None]:
    """The :func:`check_architecture` function, as a fixture."""
    return check_architecture
