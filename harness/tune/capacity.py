"""How many trainable parameters a trial's model has, counted without training it.

The parent builds the classifier once per architecture, hyperparameters and embedding
width, on the CPU (TensorFlow is already loaded: it vectorised the data), and counts its
trainable weights; ``--max-params`` refuses a sampled configuration over the limit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from harness.api import Architecture, VectorizedData
from harness.config import Params, TrainingConfig


@dataclass
class ParameterCounter:
    """Counts the trainable parameters of a cell's model on ``data``, remembering each count."""

    data: VectorizedData
    mask: bool = True
    _counts: dict[str, tuple[int, int]] = field(default_factory=dict)

    def count(
        self, architecture: Architecture, params: Params, training: TrainingConfig
    ) -> tuple[int, int]:
        """(all trainable parameters, those of the embedding)."""
        key = json.dumps([architecture.name, params, training.embedding_dim], sort_keys=True)
        if key not in self._counts:
            self._counts[key] = self._build_and_count(architecture, params, training)
        return self._counts[key]

    def _build_and_count(
        self, architecture: Architecture, params: Params, training: TrainingConfig
    ) -> tuple[int, int]:
        import numpy as np
        import tensorflow as tf

        from harness.model.classifier import ModelShape, build_classifier

        shape = ModelShape(
            len(self.data.vocabulary), len(self.data.class_names), training.embedding_dim,
            training.embedding_dropout, training.word_dropout,
        )  # fmt: skip
        with tf.device("/CPU:0"):
            model = build_classifier(architecture, params, shape, mask=self.mask)
        total = int(sum(np.prod(weight.shape) for weight in model.trainable_weights))
        return total, len(self.data.vocabulary) * training.embedding_dim
