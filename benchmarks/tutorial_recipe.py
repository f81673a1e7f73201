"""The tutorial's way of training, written once as the reference the harness is measured against.

Raw strings go through a ``TextVectorization`` layer inside the model; the data
set is mapped example by example (title and description joined), batched at the
tutorial's batch size, and not prefetched.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from harness.api import Architecture
from harness.config import Params
from harness.data.vectorize import fit_vectorizer

TUTORIAL_BATCH_SIZE = 16
TUTORIAL_EMBEDDING_DIM = 64


def tutorial_dataset(
    titles: list[str], descriptions: list[str], labels: np.ndarray
) -> tf.data.Dataset:
    """Per-example map and plain batching, as the tutorial does it."""
    examples = tf.data.Dataset.from_tensor_slices(
        {"title": titles, "description": descriptions, "label": labels}
    )
    joined = examples.map(lambda x: (x["title"] + " " + x["description"], x["label"]))
    return joined.batch(TUTORIAL_BATCH_SIZE)


def tutorial_model(
    architecture: Architecture,
    params: Params,
    training_texts: list[str],
    vocabulary_size: int,
    num_classes: int,
    mask: bool,
) -> keras.Model:
    """TextVectorization -> Embedding -> the architecture's encoder -> Dense(softmax)."""
    vectorizer = fit_vectorizer(training_texts, vocabulary_size, ragged=False)
    text = keras.Input(shape=(), dtype="string")
    token_ids = vectorizer(text)
    embedded = keras.layers.Embedding(vocabulary_size, TUTORIAL_EMBEDDING_DIM, mask_zero=mask)(
        token_ids
    )
    probabilities = keras.layers.Dense(num_classes, activation="softmax")(
        architecture.build_encoder(embedded, params)
    )
    model = keras.Model(text, probabilities)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
