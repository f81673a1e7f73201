"""FusedAdam computes Keras's Adam, and an average every few steps stays the average."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from harness.training.callbacks import AverageCaughtUp
from harness.training.optimizer import FusedAdam

ROWS, WIDTH = 7, 3
STEPS = 6


def gradients(seed: int = 0) -> list[list]:
    """Per step: a dense gradient, and an embedding's sparse one whose rows repeat."""
    rng = np.random.default_rng(seed)
    steps = []
    for _ in range(STEPS):
        rows = tf.constant(rng.integers(0, ROWS, size=9), dtype="int32")  # repeats: 9 of 7
        values = tf.constant(rng.normal(size=(9, WIDTH)).astype("float32"))
        dense = tf.constant(rng.normal(size=(4, WIDTH)).astype("float32"))
        steps.append([dense, tf.IndexedSlices(values, rows, tf.constant([ROWS, WIDTH]))])
    return steps


def applied(optimizer: keras.optimizers.Optimizer, steps: list[list]) -> dict[str, np.ndarray]:
    """The weights, moments and averages after ``steps``, applied in a traced step as in fit."""
    rng = np.random.default_rng(1)
    weights = [
        keras.Variable(rng.normal(size=(4, WIDTH)).astype("float32")),
        keras.Variable(rng.normal(size=(ROWS, WIDTH)).astype("float32")),
    ]
    optimizer.build(weights)
    step = tf.function(lambda grads: optimizer.apply(grads, weights))
    for grads in steps:
        step(grads)
    if isinstance(optimizer, FusedAdam):
        optimizer.catch_up_average()
    found = {f"weight {k}": w.numpy() for k, w in enumerate(weights)}
    for k in range(len(weights)):
        found[f"m {k}"] = optimizer._momentums[k].numpy()
        found[f"v {k}"] = optimizer._velocities[k].numpy()
        if optimizer.use_ema:
            found[f"average {k}"] = optimizer._model_variables_moving_average[k].numpy()
    return found


@pytest.mark.parametrize("averaged", [False, True])
def test_fused_adam_computes_keras_adam(averaged):
    """Same gradients, dense and sparse with repeated rows: the same weights, moments and
    average, up to float32 rounding."""
    average = {"use_ema": True, "ema_momentum": 0.9} if averaged else {}
    keras_adam = applied(keras.optimizers.Adam(0.01, **average), gradients())
    fused = applied(FusedAdam(0.01, ema_every=1, **average), gradients())
    assert keras_adam.keys() == fused.keys()
    for name, expected in keras_adam.items():
        np.testing.assert_allclose(fused[name], expected, rtol=2e-5, atol=1e-7, err_msg=name)


def test_the_sparse_second_moment_is_keras_not_the_square_of_the_summed_gradient():
    """Keras's v sums a repeated row's squared slices; the plain square of their sum differs,
    so matching it is not an accident of these numbers."""
    steps = gradients()
    summed = [[dense, tf.convert_to_tensor(sparse)] for dense, sparse in steps]
    keras_adam = applied(keras.optimizers.Adam(0.01), steps)
    of_summed = applied(keras.optimizers.Adam(0.01), summed)
    assert not np.allclose(keras_adam["v 1"], of_summed["v 1"], rtol=1e-3)
    np.testing.assert_allclose(applied(FusedAdam(0.01), steps)["v 1"], keras_adam["v 1"], 2e-5)


def averaged_weights(ema_every: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A tiny classifier's first and (averaged) last weights after 15 epochs of 8 steps,
    averaged with the harness's momentum every ``ema_every`` steps, caught up at each
    epoch's end as in a cell's fit; Keras's fit ends by putting the average in the model."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(2)]
    )
    first = [w.numpy() for w in model.weights]
    optimizer = FusedAdam(0.01, use_ema=True, ema_momentum=0.98, ema_every=ema_every)
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    caught_up = [AverageCaughtUp()]
    model.fit(x, y, batch_size=8, epochs=15, shuffle=False, verbose=0, callbacks=caught_up)
    return first, [w.numpy() for w in model.weights]


def test_an_average_every_few_steps_is_close_to_the_average_of_every_step():
    """Every 4 steps with momentum 0.98**4: the same horizon of about 50 steps."""
    first, every_step = averaged_weights(1)
    _, every_4 = averaged_weights(4)
    for start, expected, found in zip(first, every_step, every_4, strict=True):
        moved = np.abs(expected - start).max()
        assert np.abs(found - expected).max() < 0.05 * moved


def test_the_average_catches_up_with_the_steps_since_its_last_update():
    """Never due after the first step: caught up after n steps, the average is
    momentum**(n-1) * (the first step's weights) + (1 - momentum**(n-1)) * (the last)."""
    optimizer = FusedAdam(0.01, use_ema=True, ema_momentum=0.8, ema_every=1000)
    weight = keras.Variable(np.zeros((2, 2), "float32"))
    optimizer.build([weight])
    step = tf.function(lambda grad: optimizer.apply([grad], [weight]))
    step(tf.ones((2, 2)))
    first = weight.numpy()
    np.testing.assert_array_equal(optimizer._model_variables_moving_average[0].numpy(), first)
    for _ in range(4):
        step(tf.ones((2, 2)))
    np.testing.assert_array_equal(optimizer._model_variables_moving_average[0].numpy(), first)
    optimizer.catch_up_average()
    expected = 0.8**4 * first + (1 - 0.8**4) * weight.numpy()
    np.testing.assert_allclose(optimizer._model_variables_moving_average[0].numpy(), expected, 1e-6)
    assert int(optimizer._steps_since_average.numpy()) == 0


def test_ema_every_must_be_a_positive_count():
    with pytest.raises(ValueError, match="at least 1"):
        FusedAdam(0.01, use_ema=True, ema_every=0)
