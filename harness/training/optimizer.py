"""The optimiser of every cell: Keras's Adam, each variable updated in one fused pass, and the
moving average of the weights updated every few steps.

:class:`FusedAdam` computes what ``keras.optimizers.Adam`` computes. On the TensorFlow
backend each variable's update is one ``ResourceApplyAdam`` kernel, where Keras 3 runs a
dozen elementwise passes over the variable and its two moments. (On 2 CPU cores that
saves 7-15 % of the optimiser's time, not more: the embedding's sparse gradient, which
any update with Keras's arithmetic must spread onto its rows, costs as much as the
passes; see ``benchmarks/optimizer_step.py``.) The kernel's formula is Keras's, term by
term (``t`` counts steps from 1)::

    alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
    m += (g - m) * (1 - beta_1)
    v += (g**2 - v) * (1 - beta_2)
    var -= m * alpha / (sqrt(v) + epsilon)

with one difference in rounding: the kernel forms ``1 - beta`` in float32, Keras in
float64 before casting (a relative 1e-5 of ``1 - beta_2``). A sparse gradient (the
embedding's: one slice per token of the batch) is not made dense: its slices go into
``m`` and ``v`` on their rows first, and the kernel runs on a zero gradient (see
:func:`_sparse_gradient_into_moments`). Like Keras's, ``m`` then takes the sum of a row's
slices and ``v`` the sum of their squares (not the square of their sum, as a dense
gradient would give). With ``amsgrad``, or on another backend, the update is Keras's own.

With ``use_ema``, the moving average of the weights is updated every ``ema_every`` steps
with momentum ``ema_momentum ** steps``, ``steps`` being the steps since its last update,
so that it keeps the same horizon; :meth:`FusedAdam.catch_up_average` brings it up to the
current weights the same way (the harness calls it before each validation: see
:class:`harness.training.callbacks.AverageCaughtUp`). ``ema_every=1`` is Keras's average,
step for step. On TensorFlow the update of the average is a conditional whose branch
assigns it; on JAX and torch, whose conditionals cannot assign, the branch gives the
averaged values and they are assigned after it (the same arithmetic).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

FUSED, KERAS = "tensorflow-fused", "keras-ops"  # which update a row says ran


def update_that_runs(backend: str) -> str:
    """The update :class:`FusedAdam` runs on Keras's ``backend`` (without ``amsgrad``): the
    fused kernel on TensorFlow, Keras's Adam through its ops elsewhere."""
    return FUSED if backend == "tensorflow" else KERAS


class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` with one fused update per variable (TensorFlow backend) and
    the weight average updated every ``ema_every`` steps (see the module)."""

    def __init__(self, *args: Any, ema_every: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ema_every < 1:
            raise ValueError(f"ema_every must be at least 1, not {ema_every}")
        self.ema_every = ema_every

    def build(self, var_list: list[Any]) -> None:
        if self.built:
            return
        super().build(var_list)
        self._steps_since_average = self.add_variable(
            shape=(), initializer="zeros", dtype="int", name="steps_since_average"
        )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        if self.amsgrad or keras.backend.backend() != "tensorflow":
            super().update_step(gradient, variable, learning_rate)
            return
        import tensorflow as tf

        dtype = variable.dtype
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        local_step = ops.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
        gradient = ops.cast(gradient, dtype)
        if isinstance(gradient, tf.IndexedSlices):
            gradient = _sparse_gradient_into_moments(gradient, variable, m, v, beta_1, beta_2)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=m.handle,
            v=v.handle,
            beta1_power=ops.power(beta_1, local_step),
            beta2_power=ops.power(beta_2, local_step),
            lr=ops.cast(learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=ops.cast(self.epsilon, dtype),
            grad=gradient,
        )

    def _update_model_variables_moving_average(self, trainable_variables: list[Any]) -> None:
        """Called after every step's update (``self.iterations`` not yet counted up)."""
        if not self.use_ema or self.ema_every == 1:
            super()._update_model_variables_moving_average(trainable_variables)
            return
        steps = self._steps_since_average + 1
        first = ops.equal(self.iterations, 0)
        due = ops.logical_or(first, steps >= self.ema_every)
        if keras.backend.backend() != "tensorflow":
            pairs = self._averages(trainable_variables)
            averaged = ops.cond(
                due,
                lambda: [*self._averaged(pairs, steps, first), ops.zeros_like(steps)],
                lambda: [*(average.value for _, average in pairs), steps],
            )
            for (_, average), value in zip(pairs, averaged, strict=False):
                average.assign(value)
            self._steps_since_average.assign(averaged[-1])
            return

        def update() -> None:
            self._average(trainable_variables, steps, first)

        def wait() -> None:
            self._steps_since_average.assign(steps)

        ops.cond(due, update, wait)

    def catch_up_average(self) -> None:
        """Bring the moving average up to the current weights, as if this step were due."""
        steps = self._steps_since_average if self.built else None
        if self.use_ema and steps is not None and int(ops.convert_to_numpy(steps)) > 0:
            self._average(self._trainable_variables, steps.value, False)

    def _average(self, variables: list[Any], steps: Any, first: Any) -> None:
        """Keras's average update, with momentum ``ema_momentum ** steps`` (0 at the first
        step, where the average starts as the weights)."""
        pairs = self._averages(variables)
        for (_, average), value in zip(pairs, self._averaged(pairs, steps, first), strict=True):
            average.assign(value)
        self._steps_since_average.assign(0)

    def _averages(self, variables: list[Any]) -> list[tuple[Any, Any]]:
        """Each of ``variables`` that has an average, with its average."""
        pairs = zip(variables, self._model_variables_moving_average, strict=True)
        return [(variable, average) for variable, average in pairs if average is not None]

    def _averaged(self, pairs: list[tuple[Any, Any]], steps: Any, first: Any) -> list[Any]:
        """Each average of ``pairs`` updated, as :meth:`_average` assigns it."""
        updated = []
        for variable, average in pairs:
            momentum = ops.where(
                first,
                ops.zeros((), variable.dtype),
                ops.power(
                    ops.cast(self.ema_momentum, variable.dtype), ops.cast(steps, variable.dtype)
                ),
            )
            updated.append(
                ops.add(
                    ops.multiply(momentum, average),
                    ops.multiply(ops.subtract(1, momentum), variable),
                )
            )
        return updated

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "ema_every": self.ema_every}


def _sparse_gradient_into_moments(
    gradient: Any, variable: Any, m: Any, v: Any, beta_1: Any, beta_2: Any
) -> Any:
    """Add a sparse gradient's slices into ``m`` and their squares into ``v``, on their rows,
    so that the fused kernel given a zero gradient leaves ``var``, ``m`` and ``v`` as Keras's
    Adam does; return that zero gradient.

    With a zero gradient the kernel scales ``m`` by ``beta_1`` and ``v`` by ``beta_2``; Keras
    adds ``(G - m) * (1 - beta_1)`` to ``m`` and ``(S - v) * (1 - beta_2)`` to ``v``, where
    ``G`` sums a row's slices and ``S`` their squares. So each slice ``g`` adds
    ``g * (1 - beta_1) / beta_1`` to ``m`` and ``g**2 * (1 - beta_2) / beta_2`` to ``v`` first
    (a row that repeats adds each), and no dense gradient is formed.
    """
    import tensorflow as tf

    for moment, values, beta in (
        (m, gradient.values, beta_1),
        (v, tf.square(gradient.values), beta_2),
    ):
        tf.raw_ops.ResourceScatterAdd(
            resource=moment.handle, indices=gradient.indices, updates=values * ((1 - beta) / beta)
        )
    return tf.zeros(variable.shape, variable.dtype)
