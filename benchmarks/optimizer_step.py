"""Milliseconds per training step: Keras's Adam and a weight average every step, against the
harness's fused Adam and an average every few steps, side by side in one process.

    python benchmarks/optimizer_step.py                     # lstm and gru, ag-news-sample
    python benchmarks/optimizer_step.py --every 2 8 16      # more schedules of the average
    python benchmarks/optimizer_step.py --threads 1         # as a cell of --jobs 2 on 2 cores

For each architecture under ``bucket``, with the harness's defaults otherwise:

1. whole training steps: one model per variant trained on the same batches; after one
   epoch of warm-up (graph tracing), the variants' epochs are timed in turn, ``repeats``
   times, and each variant's fastest epoch counts (noise on a shared machine only ever
   adds time). Variants: ``stock`` (``keras.optimizers.Adam``, the average updated every
   step: rnn-harness 0.1.0); ``fused`` (:class:`harness.training.optimizer.FusedAdam`,
   the average every ``training.ema_every`` steps: the harness's default); ``fused,
   average every k`` (every step, and each ``k`` of ``every``); ``fused, no average``.
2. the optimiser alone, on the gradients of a few real batches, each applied in a traced
   function: Keras's Adam and the fused one, without and with the average (Keras's every
   step; the harness's every ``training.ema_every`` steps). A whole step varies by more
   than the optimiser's share on a shared 2-core machine; the optimiser alone does not.

:func:`optimizer_costs` is the measurement, for ``benchmarks/performance.py`` to call.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import keras

from harness.api import VectorizedData
from harness.config import DataConfig, TrainingConfig
from harness.data.vectorize import prepare
from harness.plugin.manager import Registry, load_registry
from harness.training.callbacks import weight_averaging
from harness.training.fit import build_training_state, compiled_classifier
from harness.training.optimizer import FusedAdam

PADDING = "bucket"
ARCHITECTURES = ("lstm", "gru")
GRADIENT_BATCHES = 8  # the optimiser alone: the gradients of this many batches,
UPDATE_PASSES = 6  # applied in turn this many times per timing


class EpochClock(keras.callbacks.Callback):
    """Each epoch's seconds, from its start to its end (no validation here)."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._started)


def variants(training: TrainingConfig, every: Iterable[int]) -> dict[str, Callable[[], Any]]:
    """Name -> a fresh optimiser of that variant."""
    lr, momentum = training.learning_rate, training.ema_momentum
    made: dict[str, Callable[[], Any]] = {
        "stock": lambda: keras.optimizers.Adam(lr, use_ema=True, ema_momentum=momentum),
        "fused": lambda: FusedAdam(
            lr, use_ema=True, ema_momentum=momentum, ema_every=training.ema_every
        ),
        "fused, no average": lambda: FusedAdam(lr),
    }
    for k in sorted({1, *every} - {training.ema_every}):
        made[f"fused, average every {k}"] = partial(
            FusedAdam, lr, use_ema=True, ema_momentum=momentum, ema_every=k
        )
    return made


def optimizer_costs(
    data: VectorizedData,
    registry: Registry,
    training: TrainingConfig,
    *,
    architectures: Iterable[str] = ARCHITECTURES,
    repeats: int = 7,
    every: Iterable[int] = (),
) -> dict[str, Any]:
    """Steady-state ms per training step of each variant (see the module), per architecture.

    Returns ``{"padding", "steps_per_epoch", "repeats", "ema_every", "architectures": {name:
    {"ms_per_step": {variant: ms}, "speedup": stock / fused, "average_ms_per_step":
    {variant: ms over "fused, no average"}, "update_ms": {"keras adam", "fused adam",
    "keras adam, average every step", "fused adam, average every K steps"}, "update_speedup":
    the last two's ratio}}}``: whole steps (1. of the module), then the optimiser alone (2.).
    """
    import tensorflow as tf

    strategy = registry.padding_strategy(PADDING).item
    batches = strategy.batches(
        data.train, training.batch_size, training_lengths=data.train.lengths, shuffle_seed=0
    )
    steps = sum(1 for _ in batches)
    factories = variants(training, every)
    results: dict[str, Any] = {
        "padding": PADDING,
        "steps_per_epoch": steps,
        "repeats": repeats,
        "ema_every": training.ema_every,
        "threads": tf.config.threading.get_intra_op_parallelism_threads() or "TensorFlow's",
        "architectures": {},
    }
    for name in architectures:
        architecture = registry.architecture(name).item
        keras.utils.set_random_seed(0)
        update_ms = _update_costs(
            compiled_classifier(
                architecture, architecture.defaults(), data, training, strategy.masks
            ),
            batches,
            training,
            repeats,
        )
        models, clocks = {}, {}
        for variant, make in factories.items():
            keras.utils.set_random_seed(0)
            model = compiled_classifier(
                architecture, architecture.defaults(), data, training, strategy.masks
            )
            model.compile(make(), "sparse_categorical_crossentropy", metrics=["accuracy"])
            build_training_state(model)
            models[variant], clocks[variant] = model, EpochClock()
            _epoch(model, batches, clocks[variant], training)  # warm-up: traced here
            clocks[variant].seconds.clear()
        for _ in range(repeats):  # interleaved, so that a slow spell hits every variant
            for variant, model in models.items():
                _epoch(model, batches, clocks[variant], training)
        ms = {variant: 1000 * min(clock.seconds) / steps for variant, clock in clocks.items()}
        bare = ms["fused, no average"]
        results["architectures"][name] = {
            "ms_per_step": ms,
            "speedup": ms["stock"] / ms["fused"],
            "average_ms_per_step": {
                variant: value - bare for variant, value in ms.items() if variant != "stock"
            },
            "update_ms": update_ms,
            "update_speedup": update_ms["keras adam, average every step"]
            / update_ms[f"fused adam, average every {training.ema_every} steps"],
        }
        print(json.dumps({name: results["architectures"][name]}), flush=True)
    return results


def _update_costs(
    model: keras.Model, batches: Any, training: TrainingConfig, repeats: int
) -> dict[str, float]:
    """Milliseconds per step of the optimiser alone on the gradients of the first
    :data:`GRADIENT_BATCHES` of ``batches``: Keras's Adam and the fused one, each without and
    with the average (Keras's every step, the harness's every ``training.ema_every``)."""
    import tensorflow as tf

    weights = model.trainable_variables
    gradients = []
    for token_ids, labels in batches.take(GRADIENT_BATCHES):
        with tf.GradientTape() as tape:
            loss = model.compute_loss(token_ids, labels, model(token_ids, training=True))
        gradients.append(tape.gradient(loss, weights))
    lr, momentum, every = training.learning_rate, training.ema_momentum, training.ema_every
    optimizers = {
        "keras adam": keras.optimizers.Adam(lr),
        "fused adam": FusedAdam(lr),
        "keras adam, average every step": keras.optimizers.Adam(
            lr, use_ema=True, ema_momentum=momentum
        ),
        f"fused adam, average every {every} steps": FusedAdam(
            lr, use_ema=True, ema_momentum=momentum, ema_every=every
        ),
    }
    steps = {}
    for name, optimizer in optimizers.items():
        optimizer.build(weights)
        steps[name] = [
            tf.function(lambda grads=grads, optimizer=optimizer: optimizer.apply(grads, weights))
            for grads in gradients
        ]
        for step in steps[name]:
            step()  # traced here
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(repeats):  # interleaved
        for name, calls in steps.items():
            started = time.perf_counter()
            for _ in range(UPDATE_PASSES):
                for step in calls:
                    step()
            elapsed = time.perf_counter() - started
            best[name] = min(best[name], 1000 * elapsed / (UPDATE_PASSES * len(calls)))
    return best


def _epoch(model: keras.Model, batches: Any, clock: EpochClock, training: TrainingConfig) -> None:
    callbacks = [*weight_averaging(training), clock] if model.optimizer.use_ema else [clock]
    model.fit(batches, epochs=1, verbose=0, shuffle=False, callbacks=callbacks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=DataConfig.source)
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="per op (default: TF's)")
    parser.add_argument("--every", type=int, nargs="*", default=[])
    parser.add_argument("--arch", nargs="*", default=list(ARCHITECTURES))
    arguments = parser.parse_args()
    if arguments.threads:  # as a cell of --jobs 2 on 2 cores: one thread
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(arguments.threads)
        tf.config.threading.set_inter_op_parallelism_threads(arguments.threads)
    cache_dir = arguments.cache_dir and Path(arguments.cache_dir)
    registry = load_registry()
    data = prepare(DataConfig(source=arguments.data), registry, cache_dir)
    results = optimizer_costs(
        data,
        registry,
        TrainingConfig(),
        architectures=arguments.arch,
        repeats=arguments.repeats,
        every=arguments.every,
    )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
