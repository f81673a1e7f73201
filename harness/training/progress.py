"""A cell's progress line of each epoch, as a worker reports it and a tuner reads it back.

>>> line = epoch_line(2, 30, {"loss": 0.9, "accuracy": 0.6, "val_accuracy": 0.7125}, 1.2)
>>> line
'epoch 2/30: loss 0.9000 accuracy 0.6000 val_accuracy 0.7125 (1.2s)'
>>> epoch_validation_accuracy(line)
(2, 0.7125)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

EPOCH_LINE = re.compile(r"^epoch (\d+)/\d+: .*\bval_accuracy (\S+) ")


def epoch_line(epoch: int, max_epochs: int, logs: Mapping[str, float], seconds: float) -> str:
    """The line of 1-based ``epoch`` of ``max_epochs``: its numbers, and its training
    ``seconds``."""
    nan = float("nan")
    return (
        f"epoch {epoch}/{max_epochs}: loss {logs.get('loss', nan):.4f} "
        f"accuracy {logs.get('accuracy', nan):.4f} "
        f"val_accuracy {logs.get('val_accuracy', nan):.4f} ({seconds:.1f}s)"
    )


def epoch_validation_accuracy(line: str) -> tuple[int, float] | None:
    """(epoch, validation accuracy) of an :func:`epoch_line`; None for another line."""
    match = EPOCH_LINE.match(line)
    if match is None:
        return None
    try:
        return int(match.group(1)), float(match.group(2))
    except ValueError:
        return None
