"""Keras callbacks of a cell's fit: early stopping above chance, weight averaging, epoch timing.

Epoch times are the training part of each epoch (from its start to the start of
validation); :class:`EpochTimer` reports each epoch's numbers as one line.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import keras

from harness.config import TrainingConfig
from harness.training.optimizer import FusedAdam

EpochReporter = Callable[[str], None]
# An epoch's line as EpochTimer reports it; what a parent reads from a worker's progress.
EPOCH_LINE = re.compile(r"^epoch (\d+)/\d+: .*\bval_accuracy (\S+) ")


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
    """Times the training part of each epoch and reports each epoch's numbers."""

    def __init__(self, max_epochs: int, report: EpochReporter | None = None) -> None:
        super().__init__()
        self.max_epochs = max_epochs
        self.report = report
        self.train_seconds: list[float] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_test_begin(self, logs: dict | None = None) -> None:
        self.train_seconds.append(time.perf_counter() - self._started)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.report is None:
            return
        self.report(
            f"epoch {epoch + 1}/{self.max_epochs}: loss {logs.get('loss', float('nan')):.4f} "
            f"accuracy {logs.get('accuracy', float('nan')):.4f} "
            f"val_accuracy {logs.get('val_accuracy', float('nan')):.4f} "
            f"({self.train_seconds[-1]:.1f}s)"
        )


def epoch_validation_accuracy(line: str) -> tuple[int, float] | None:
    """(epoch, validation accuracy) of an :class:`EpochTimer` line; None for another line.

    >>> epoch_validation_accuracy("epoch 2/30: loss 0.9 accuracy 0.6 val_accuracy 0.7125 (1.2s)")
    (2, 0.7125)
    """
    match = EPOCH_LINE.match(line)
    if match is None:
        return None
    try:
        return int(match.group(1)), float(match.group(2))
    except ValueError:
        return None
