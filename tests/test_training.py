"""The training frame around every plugin: word dropout, weight averaging, early stopping."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import harness.training.fit
from harness.api import OOV_TOKEN_ID, Architecture, VectorizedData
from harness.batching.padding import MASK
from harness.config import DataConfig, TrainingConfig
from harness.data.vectorize import prepare
from harness.model.word_dropout import WordDropout
from harness.plugin.manager import load_registry
from harness.training.callbacks import EarlyStoppingAboveChance, weight_averaging
from harness.training.fit import compiled_classifier
from harness.training.metrics import chance_accuracy


def test_word_dropout_replaces_words_only_in_training_and_never_padding():
    keras.utils.set_random_seed(0)
    token_ids = np.array([[5, 6, 7, 8] * 250 + [0] * 1000, [OOV_TOKEN_ID] * 2000], dtype="int32")
    layer = WordDropout(0.25)
    dropped = keras.ops.convert_to_numpy(layer(token_ids, training=True))
    words = token_ids > OOV_TOKEN_ID
    replaced = dropped != token_ids
    assert np.all(dropped[replaced] == OOV_TOKEN_ID)
    assert not np.any(replaced & ~words)  # padding and OOV tokens stay as they are
    assert replaced[words].mean() == pytest.approx(0.25, abs=0.04)
    assert np.array_equal(keras.ops.convert_to_numpy(layer(token_ids, training=False)), token_ids)


@pytest.mark.parametrize("rate", [-0.1, 1.0])
def test_word_dropout_rejects_a_rate_outside_0_1(rate):
    with pytest.raises(ValueError, match="word dropout rate"):
        WordDropout(rate)


def test_chance_accuracy_is_the_commonest_class_share_plus_two_standard_errors():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    assert chance_accuracy(labels) == pytest.approx(0.5 + 2 * np.sqrt(0.25 / 100))


def stopper_after(accuracies: list[float]) -> tuple[EarlyStoppingAboveChance, int]:
    """An early stopper (chance 0.3, patience 2) fed these validation accuracies until it
    stops; it and the number of epochs run."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.stop_training = False  # as fit() sets it
    stopper = EarlyStoppingAboveChance(chance=0.3, patience=2)
    stopper.set_model(model)
    stopper.on_train_begin()
    for epoch, accuracy in enumerate(accuracies):
        stopper.on_epoch_end(epoch, {"val_accuracy": accuracy})
        if model.stop_training:
            return stopper, epoch + 1
    return stopper, len(accuracies)


def test_patience_starts_once_validation_accuracy_beats_chance():
    stopper, epochs_run = stopper_after([0.25, 0.26, 0.25, 0.24, 0.25, 0.6, 0.7, 0.65, 0.69, 0.6])
    assert epochs_run == 9  # the five epochs at chance did not count against its patience
    assert stopper.kept_epoch(epochs_run) == 6


def test_a_model_that_never_beats_chance_keeps_its_last_weights():
    stopper, epochs_run = stopper_after([0.25, 0.29, 0.26, 0.3])
    assert epochs_run == 4
    assert stopper.kept_epoch(epochs_run) == 3


@pytest.fixture
def data(news_dir, tmp_path, registry) -> VectorizedData:
    return prepare(DataConfig(source=str(news_dir)), registry, tmp_path / "cache")


@pytest.fixture
def gru() -> Architecture:
    return load_registry().architecture("gru").item


def training_batches(data: VectorizedData):
    """The training split under ``mask`` in batches of 16, shuffled with seed 0."""
    return MASK.batches(data.train, 16, training_lengths=data.train.lengths, shuffle_seed=0)


def test_the_weights_scored_are_the_averaged_weights_that_were_validated(data, gru):
    """Early stopping must keep the weights that validation saw: the moving average."""
    training = TrainingConfig(batch_size=16, ema_momentum=0.9)
    keras.utils.set_random_seed(0)
    model = compiled_classifier(gru, gru.defaults(), data, training, mask=True)
    assert model.optimizer.use_ema
    train = training_batches(data)
    validation = MASK.batches(data.validation, 16, training_lengths=data.train.lengths)
    stopper = EarlyStoppingAboveChance(chance=0.0, patience=1)
    history = model.fit(
        train,
        validation_data=validation,
        epochs=4,
        shuffle=False,  # the pipeline shuffles
        callbacks=[*weight_averaging(training), stopper],
        verbose=0,
    ).history
    scored_loss, _ = model.evaluate(validation, verbose=0)
    assert scored_loss == pytest.approx(history["val_loss"][stopper.best_epoch], rel=1e-5)


def test_no_averaging_when_the_momentum_is_zero(data, gru):
    training = TrainingConfig(ema_momentum=0.0)
    model = compiled_classifier(gru, gru.defaults(), data, training, mask=True)
    assert not model.optimizer.use_ema
    assert weight_averaging(training) == []


def test_fit_traces_the_training_step_once(data, gru):
    """Variables created inside the first trace would make TensorFlow trace it again."""
    model = compiled_classifier(gru, gru.defaults(), data, TrainingConfig(), mask=True)
    assert int(model.optimizer.iterations) == 0
    traces = []
    traced_step = model.train_step

    def counting_step(batch):
        traces.append(batch)
        return traced_step(batch)

    model.train_step = counting_step
    train = training_batches(data)
    history = model.fit(train, epochs=2, shuffle=False, verbose=0).history
    assert len(traces) == 1
    assert len(history["loss"]) == 2


def test_building_the_training_state_first_leaves_training_as_it_was(data, gru, monkeypatch):
    training = TrainingConfig(batch_size=16)

    def first_epoch_losses() -> list[float]:
        keras.utils.set_random_seed(0)
        model = compiled_classifier(gru, gru.defaults(), data, training, True)
        train = training_batches(data)
        return model.fit(train, epochs=1, shuffle=False, verbose=0).history["loss"]

    built_first = first_epoch_losses()
    monkeypatch.setattr(harness.training.fit, "build_training_state", lambda model: None)
    assert first_epoch_losses() == built_first
