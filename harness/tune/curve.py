"""The expected best validation score against the tuning budget (Dodge et al. 2019).

Given the scores of ``N`` trials drawn independently from one search space, how good
is the best of ``n`` such trials, on average? Dodge et al. (2019, "Show Your Work")
answered with the maximum of ``n`` draws *with* replacement from the ``N`` scores;
Tang et al. (2020, "Showing Your Work Doesn't Always Work") showed that this is biased
and gave the unbiased estimator, the mean of the maximum over every subset of ``n`` of the
``N`` trials (a U-statistic): with the scores sorted, ``v_1 <= ... <= v_N``,

    E[max of n] = sum_{i=n..N} v_i * C(i-1, n-1) / C(N, n)

since ``v_i`` is the maximum of exactly ``C(i-1, n-1)`` of the ``C(N, n)`` subsets. The
same weights on ``(v_i - E[max of n]) ** 2`` give the spread of the maximum (its standard
deviation across tuning runs of ``n`` trials).

>>> expected_maximum([0.5, 0.7, 0.6]).round(3).tolist()
[0.6, 0.667, 0.7]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln


def subset_maximum_weights(trials: int) -> np.ndarray:
    """``W[n - 1, i - 1]``: the share of the ``n``-subsets of ``trials`` sorted scores whose
    maximum is the ``i``-th smallest, ``C(i-1, n-1) / C(trials, n)`` (0 where ``i < n``)."""
    n = np.arange(1, trials + 1)[:, None]
    i = np.arange(1, trials + 1)[None, :]
    valid = i >= n
    safe_i, safe_n = np.where(valid, i, n), n + 0 * i
    log_weight = _log_choose(safe_i - 1, safe_n - 1) - _log_choose(
        np.full_like(safe_n, trials), safe_n
    )
    return np.where(valid, np.exp(log_weight), 0.0)


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def expected_maximum(scores: Sequence[float]) -> np.ndarray:
    """The unbiased estimate of the expected best score of ``n`` trials, ``n = 1..N``."""
    weights = subset_maximum_weights(len(scores))
    return weights @ np.sort(np.asarray(scores, dtype=float))


def maximum_spread(scores: Sequence[float]) -> np.ndarray:
    """The standard deviation of the best score of ``n`` trials, ``n = 1..N`` (0 at ``N``)."""
    ordered = np.sort(np.asarray(scores, dtype=float))
    weights = subset_maximum_weights(len(ordered))
    mean = weights @ ordered
    variance = (weights * (ordered[None, :] - mean[:, None]) ** 2).sum(axis=1)
    return np.sqrt(variance)


@dataclass(frozen=True)
class BudgetCurve:
    """One architecture's expected best score at each budget of trials (1..N), its spread,
    and the mean training time of a trial, which turns a budget of trials into one of time."""

    label: str
    expected: np.ndarray
    spread: np.ndarray
    seconds_per_trial: float

    @classmethod
    def of(cls, label: str, scores: Sequence[float], seconds: Sequence[float]) -> BudgetCurve:
        return cls(label, expected_maximum(scores), maximum_spread(scores), float(np.mean(seconds)))

    def at_seconds(self, seconds: np.ndarray) -> np.ndarray:
        """The expected best score after ``seconds`` of trials, on the line through each
        budget's point (``n`` trials at ``n`` times a trial's time) that the plot draws; NaN
        before the first trial ends, the last budget's score after the last."""
        ends = np.arange(1, len(self.expected) + 1) * self.seconds_per_trial
        values = np.interp(seconds, ends, self.expected)
        return np.where(seconds >= ends[0] - 1e-9, values, np.nan)


@dataclass(frozen=True)
class Crossing:
    """Where ``leader`` overtakes ``other``: at ``budget`` trials (or seconds)."""

    leader: str
    other: str
    budget: float


def crossings(curves: Sequence[BudgetCurve], by_time: bool = False) -> list[Crossing]:
    """Each budget at which one curve passes another, over the budgets both reach: in
    trials, or with ``by_time`` in seconds (on a grid of 200 steps)."""
    found: list[Crossing] = []
    for a_index, a in enumerate(curves):
        for b in curves[a_index + 1 :]:
            if by_time:
                end = min(
                    len(a.expected) * a.seconds_per_trial, len(b.expected) * b.seconds_per_trial
                )
                budgets = np.linspace(end / 200, end, 200)
                values_a, values_b = a.at_seconds(budgets), b.at_seconds(budgets)
            else:
                budgets = np.arange(1, min(len(a.expected), len(b.expected)) + 1, dtype=float)
                values_a, values_b = a.expected[: len(budgets)], b.expected[: len(budgets)]
            sign = np.sign(values_a - values_b)
            known = ~np.isnan(sign) & (sign != 0)
            budgets, sign = budgets[known], sign[known]
            for k in np.flatnonzero(sign[1:] != sign[:-1]) + 1:
                leader, other = (a, b) if sign[k] > 0 else (b, a)
                found.append(Crossing(leader.label, other.label, float(budgets[k])))
    return sorted(found, key=lambda crossing: crossing.budget)
