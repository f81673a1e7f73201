"""The expected best score against the budget: the unbiased estimator of Tang et al. (2020)
against a brute-force enumeration of every subset of trials."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from harness.tune.curve import BudgetCurve, crossings, expected_maximum, maximum_spread


def brute_force(scores: list[float]) -> tuple[list[float], list[float]]:
    """Mean and standard deviation of the best of every subset of each size."""
    means, spreads = [], []
    for size in range(1, len(scores) + 1):
        best = [max(subset) for subset in itertools.combinations(scores, size)]
        means.append(float(np.mean(best)))
        spreads.append(float(np.std(best)))
    return means, spreads


@pytest.mark.parametrize("seed", range(6))
def test_the_estimator_is_the_mean_best_over_every_subset(seed):
    rng = np.random.default_rng(seed)
    scores = rng.choice(np.linspace(0.2, 0.9, 8), size=int(rng.integers(1, 10))).tolist()  # ties
    means, spreads = brute_force(scores)
    np.testing.assert_allclose(expected_maximum(scores), means, atol=1e-12)
    np.testing.assert_allclose(maximum_spread(scores), spreads, atol=1e-9)


def test_the_best_of_all_trials_is_the_best_trial_and_one_trial_is_the_mean():
    scores = [0.61, 0.83, 0.4, 0.77]
    curve = expected_maximum(scores)
    assert curve[0] == pytest.approx(np.mean(scores))
    assert curve[-1] == max(scores)
    assert np.all(np.diff(curve) >= 0)


def test_it_differs_from_the_biased_with_replacement_estimate():
    scores = [0.1, 0.5, 0.9]
    with_replacement = sum(  # Dodge et al. 2019: the best of 2 draws with replacement
        v * ((i / 3) ** 2 - ((i - 1) / 3) ** 2) for i, v in enumerate(sorted(scores), start=1)
    )
    assert expected_maximum(scores)[1] == pytest.approx((0.5 + 0.9 + 0.9) / 3)
    assert expected_maximum(scores)[1] != pytest.approx(with_replacement)


def test_crossings_by_trials_and_by_time():
    steady = BudgetCurve.of("steady", [0.8, 0.8, 0.8, 0.8], [10] * 4)  # good at once
    wide = BudgetCurve.of("wide", [0.5, 0.95, 0.6, 0.9], [10] * 4)  # better with a budget
    (crossing,) = crossings([steady, wide])
    assert (crossing.leader, crossing.other, crossing.budget) == ("wide", "steady", 2)
    slow = BudgetCurve.of("wide", [0.5, 0.95, 0.6, 0.9], [40] * 4)  # a trial takes 4x as long
    assert crossings([steady, slow], by_time=True) == []  # steady has the lead while both run


def test_curves_of_nearly_equal_trial_times_cross_by_time_only_where_their_lines_do():
    """Between its trials' ends a curve's value is read off the line the plot draws: two
    curves whose trials take 26 and 27 s do not swap the lead at every trial's end."""
    early = BudgetCurve.of("early", [0.80, 0.84, 0.86, 0.87, 0.875], [26] * 5)
    higher = BudgetCurve.of("higher", [0.81, 0.845, 0.862, 0.871, 0.877], [27] * 5)

    assert all(higher.expected > early.expected)  # higher at every budget of trials
    assert crossings([early, higher], by_time=True) == []
