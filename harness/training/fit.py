"""Training and scoring one cell in the current process.

Keras ``fit`` with early stopping on the validation split (best weights restored); the
validation split after each epoch and the test split once, at the end, are scored by one
inference function (:mod:`harness.training.scoring`). A tuning trial (``score_test``
False) never reads the test split. Epoch times are the training
part of each epoch (from its start to the start of validation), with tf.data autotuning off
(see :mod:`harness.batching.padding`). Steady-state throughput leaves out the first epoch,
whose graph tracing (or, on JAX, compilation) is reported as warm-up. On another Keras
backend than TensorFlow the batches come from the cell's batch plans
(:mod:`harness.training.feed`): the same rows, in the same order.
"""

from __future__ import annotations

from typing import Any, cast

import keras
import numpy as np

from harness.api import Architecture, PaddingStrategy, VectorizedData
from harness.config import DEFAULT_BACKEND, CellSpec, Params, TrainingConfig
from harness.model.classifier import ModelShape, build_classifier
from harness.plugin.manager import Registry
from harness.results.predictions import (
    RowPredictions,
    encode_confidence,
    fingerprint_test_rows,
)
from harness.results.schema import Measurements
from harness.training.callbacks import (
    EarlyStoppingAboveChance,
    EpochReport,
    EpochReporter,
    EpochTimer,
    ValidationScore,
    weight_averaging,
)
from harness.training.feed import (
    PIPELINE,
    PLANS,
    CellPlans,
    batch_shapes,
    load_cell_plans,
    pipeline_feed,
    planned_feed,
)
from harness.training.metrics import (
    chance_accuracy,
    cross_entropy,
    macro_f1,
    peak_gpu_memory_mb,
    peak_host_memory_mb,
)
from harness.training.optimizer import FusedAdam, update_that_runs
from harness.training.scoring import Scorer


class Diverged(Exception):
    """The training loss became NaN or infinite."""


def backend_facts(backend: str) -> dict[str, str]:
    """What a row records of how a cell of Keras's ``backend`` trains: the backend, where its
    batches come from, and which optimiser update runs."""
    return {
        "backend": backend,
        "batches": PIPELINE if backend == DEFAULT_BACKEND else PLANS,
        "optimizer_update": update_that_runs(backend),
    }


def train_and_score(
    spec: CellSpec,
    data: VectorizedData,
    registry: Registry,
    report: EpochReporter = print,
    plans: CellPlans | None = None,
) -> Measurements:
    """Train ``spec``'s model on ``data`` and measure it; raises :class:`Diverged` on NaN loss.

    The batches come from ``plans`` when given; else, on TensorFlow, from the padding
    strategy's pipeline and, on another backend, from the cell's plans in the data cache.
    """
    keras.utils.set_random_seed(spec.seed)
    if keras.backend.backend() != spec.backend:
        raise RuntimeError(f"a {spec.backend} cell in a process of {keras.backend.backend()}")
    architecture = registry.architecture(spec.architecture).item
    strategy: PaddingStrategy = registry.padding_strategy(spec.padding).item
    lengths = data.train.lengths
    batch_size = spec.training.batch_size
    if plans is None and spec.backend != DEFAULT_BACKEND:
        plans = load_cell_plans(spec, data.cache_path)
    if plans is None:  # made before the model: the cell draws its numbers as it always has
        train_batches = strategy.batches(
            data.train, batch_size, training_lengths=lengths, shuffle_seed=spec.seed
        )
    pretrained = data.embeddings.description["fingerprint"] if data.embeddings else None
    if spec.embeddings.get("fingerprint") != pretrained:
        raise RuntimeError("the cell's pretrained vectors are not those its data carries")
    model = compiled_classifier(
        architecture, spec.params, data, spec.training, strategy.masks,
        embeddings_trainable=bool(spec.embeddings.get("trainable")), weighted=plans is not None,
    )  # fmt: skip
    if plans is None:
        feed = pipeline_feed(train_batches, model, strategy, data, batch_size)
    else:
        shapes = batch_shapes(spec.backend, strategy, lengths, batch_size)
        feed = planned_feed(model, data, plans, shapes)
    scorer = feed.scorer
    timer = EpochTimer()
    validation = ValidationScore(scorer)
    stopper = EarlyStoppingAboveChance(
        chance_accuracy(data.validation.labels), patience=spec.training.patience
    )
    history = model.fit(
        feed.train,
        epochs=spec.training.max_epochs,
        steps_per_epoch=feed.steps_per_epoch,
        callbacks=[
            timer,
            *weight_averaging(spec.training),  # the averaged weights are validated and kept
            validation,
            stopper,
            keras.callbacks.TerminateOnNaN(),
            EpochReport(spec.training.max_epochs, timer, report),
        ],
        shuffle=False,  # the pipeline shuffles, seeded
        verbose=0,
    ).history
    if not np.all(np.isfinite(history["loss"])):
        raise Diverged(
            f"training loss became {history['loss'][-1]} in epoch {len(history['loss'])}"
        )

    kept_epoch = stopper.kept_epoch(epochs_run=len(history["loss"]))
    steady = timer.train_seconds[1:] or timer.train_seconds
    seconds_per_epoch = float(np.mean(steady))
    measured: dict[str, Any] = {
        **(test_scores(scorer) if spec.score_test else NOT_SCORED),
        "best_val_accuracy": float(history["val_accuracy"][kept_epoch]),
        "best_epoch": kept_epoch + 1,
        "epochs_run": len(history["loss"]),
        "seconds_per_epoch": seconds_per_epoch,
        "warmup_seconds": (
            float(timer.train_seconds[0] - seconds_per_epoch)
            if len(timer.train_seconds) > 1
            else None
        ),
        "train_examples_per_second": len(data.train) / seconds_per_epoch,
        "trainable_parameters": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "padded_share": feed.padded_share(),
        "peak_host_memory_mb": peak_host_memory_mb(),
        "peak_gpu_memory_mb": peak_gpu_memory_mb(spec.backend),
        "history": [
            {
                "epoch": k + 1,
                "train_seconds": timer.train_seconds[k],
                "validation_seconds": validation.seconds[k],
                **{name: float(values[k]) for name, values in history.items()},
            }
            for k in range(len(history["loss"]))
        ],
    }
    return cast("Measurements", measured)


# What a cell that does not score the test split (a tuning trial) measures of it: nothing.
NOT_SCORED: dict[str, Any] = dict.fromkeys(
    ("test_accuracy", "test_macro_f1", "test_loss", "inference_examples_per_second",
     "test_predictions", "test_confidence"),
)  # fmt: skip


def test_scores(scorer: Scorer) -> dict[str, Any]:
    """The trained model scored once on the test split: accuracy, macro-F1, loss, each row's
    prediction and its probability, and inference speed (the pass's, its function traced by
    the validation)."""
    data = scorer.data
    test = scorer.score("test")
    test_labels = data.test.labels
    predictions = test.probabilities.argmax(axis=1)
    return {
        "test_accuracy": float(np.mean(predictions == test_labels)),
        "test_macro_f1": macro_f1(test_labels, predictions, len(data.class_names)),
        "test_loss": cross_entropy(test_labels, test.probabilities),
        "inference_examples_per_second": len(test_labels) / test.seconds,
        "test_predictions": RowPredictions(
            fingerprint_test_rows(data.fingerprint, data.source_rows["test"], test_labels),
            predictions,
            test_labels,
        ).encode(),
        "test_confidence": encode_confidence(test.probabilities.max(axis=1)),
    }


def compiled_classifier(
    architecture: Architecture,
    params: Params,
    data: VectorizedData,
    training: TrainingConfig,
    mask: bool,
    *,
    embeddings_trainable: bool = False,
    weighted: bool = False,
) -> keras.Model:
    """The cell's classifier for ``data``, compiled with Adam (:class:`FusedAdam`, Keras's
    arithmetic in one pass per variable) and sparse cross-entropy, its training state built
    (see :func:`build_training_state`). Its embedding starts from ``data.embeddings`` when
    the data carries pretrained vectors, frozen unless ``embeddings_trainable``. With
    ``weighted``, batches come with a weight per row, and the loss and the accuracy are
    their means over the rows of weight 1 (a row of weight 0 fills a batch up).

    With ``training.ema_momentum`` the optimiser keeps an exponential moving average of
    the weights, updated every ``training.ema_every`` steps; fit it with the callbacks of
    :func:`weight_averaging`.
    """
    pretrained = data.embeddings
    shape = ModelShape(
        len(data.vocabulary), len(data.class_names), training.embedding_dim,
        training.embedding_dropout, training.word_dropout,
        embedding_weights=None if pretrained is None else pretrained.matrix,
        embedding_trainable=pretrained is None or embeddings_trainable,
    )  # fmt: skip
    model = build_classifier(architecture, params, shape, mask=mask)
    averaging: dict[str, Any] = {
        "use_ema": True,
        "ema_momentum": training.ema_momentum,
        "ema_every": training.ema_every,
    }
    optimizer = FusedAdam(training.learning_rate, **(averaging if training.ema_momentum else {}))
    if weighted:
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight"),
            weighted_metrics=["accuracy"],
        )
    else:
        model.compile(
            optimizer=optimizer,
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    build_training_state(model)
    return model


def build_training_state(model: keras.Model) -> None:
    """Create the compiled ``model``'s loss, metric and optimiser variables now, on one
    token, rather than inside ``fit``'s first graph trace.

    On the TensorFlow backend, Keras otherwise creates them while tracing the training
    step, and a ``tf.function`` that creates variables is traced a second time: that
    second trace is 1-5 s of every cell's first epoch. The pass is an inference pass,
    so it draws no random numbers and leaves the weights as they were.
    """
    token_ids, labels = np.ones((1, 1), dtype="int32"), np.zeros((1,), dtype="int32")
    predicted = model(token_ids, training=False)
    model.compute_loss(token_ids, labels, predicted)
    model.compute_metrics(token_ids, labels, predicted, sample_weight=None)
    model.reset_metrics()
    model.optimizer.build(model.trainable_variables)
