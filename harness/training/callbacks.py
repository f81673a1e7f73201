"""Keras callbacks of a cell's fit: validation, early stopping above chance, weight averaging,
epoch timing.

A cell's fit runs them in this order at each epoch's end: :class:`EpochTimer` (the training
part of the epoch ends), :func:`weight_averaging` (the averaged weights into the model),
:class:`ValidationScore` (their validation accuracy and loss into the epoch's logs),
:class:`EarlyStoppingAboveChance` (which keeps the best weights), then
:class:`EpochReport` (one line of the epoch's numbers).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import numpy as np

from harness.config import TrainingConfig
from harness.training.metrics import cross_entropy
from harness.training.optimizer import FusedAdam
from harness.training.progress import epoch_line
from harness.training.scoring import Scorer

EpochReporter = Callable[[str], None]


# An epoch's line as EpochTimer reports it; what a parent reads from a worker's progress.
class EarlyStoppingAboveChance(keras.callbacks.EarlyStopping):
    """Early stopping on validation accuracy, best weights restored, whose patience starts
    once the validation accuracy beats ``chance``: a model that is still at chance level
    (an RNN that must first learn to carry its state across padding) has not started."""

    def __init__(self, chance: float, patience: int) -> None:
        super().__init__(
            monitor="val_accuracy", mode="max", patience=patience, restore_best_weights=True
        )
        self.chance = chance

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if (logs or {}).get("val_accuracy", 1.0) <= self.chance:
            return
        super().on_epoch_end(epoch, logs)

    def kept_epoch(self, epochs_run: int) -> int:
        """The (0-based) epoch whose weights the model ends with: the best above chance, or
        the last when the model never beat chance."""
        return self.best_epoch if self.best_weights is not None else epochs_run - 1


def weight_averaging(training: TrainingConfig) -> list[keras.callbacks.Callback]:
    """Callbacks that put the averaged weights in the model for validation and at each
    epoch's end (so that early stopping keeps and restores them), the average first brought
    up to the last step; none without averaging."""
    if not training.ema_momentum:
        return []
    return [AverageCaughtUp(), keras.callbacks.SwapEMAWeights(swap_on_epoch=True)]


class AverageCaughtUp(keras.callbacks.Callback):
    """Brings a :class:`FusedAdam`'s weight average, updated every few steps, up to the last
    step before each validation and at each epoch's end: before ``SwapEMAWeights`` (next in
    the callback list) swaps it into the model, and while the model holds the trained weights."""

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._catch_up()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._catch_up()

    def _catch_up(self) -> None:
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        if isinstance(optimizer, FusedAdam):
            optimizer.catch_up_average()


class EpochTimer(keras.callbacks.Callback):
    """Times the training part of each epoch: from its start to the start of its validation,
    which is Keras's own (``validation_data``) or, first in a cell's callbacks, the epoch's
    end."""

    def __init__(self) -> None:
        super().__init__()
        self.train_seconds: list[float] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._stop()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._started:
            self.train_seconds.append(time.perf_counter() - self._started)
            self._started = 0.0


class ValidationScore(keras.callbacks.Callback):
    """Puts the validation split's accuracy and loss in the epoch's logs (``val_accuracy``,
    ``val_loss``), scored with the weights the model holds at the epoch's end, and times
    the pass."""

    def __init__(self, scorer: Scorer) -> None:
        super().__init__()
        self.scorer = scorer
        self.labels = scorer.data.validation.labels
        self.seconds: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        scored = self.scorer.score("validation")
        self.seconds.append(scored.seconds)
        if logs is not None:
            predicted = scored.probabilities.argmax(axis=1)
            logs["val_accuracy"] = float(np.mean(predicted == self.labels))
            logs["val_loss"] = cross_entropy(self.labels, scored.probabilities)


class EpochReport(keras.callbacks.Callback):
    """Reports each epoch's numbers as one line, once its logs are complete."""

    def __init__(
        self, max_epochs: int, timer: EpochTimer, report: EpochReporter | None = None
    ) -> None:
        super().__init__()
        self.max_epochs = max_epochs
        self.timer = timer
        self.report = report

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.report is None:
            return
        self.report(epoch_line(epoch + 1, self.max_epochs, logs, self.timer.train_seconds[-1]))
