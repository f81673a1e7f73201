"""Known answers for the paired statistics (synthetic correctness matrices, no training)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.report.statistics import (
    Interval,
    PairedComparison,
    bootstrap,
    holm,
    seeds_to_separate,
    shared_ranks,
)


def right_on(rows: int, *correct_rows: range | list[int]) -> np.ndarray:
    """A seeds x rows correctness matrix: seed k is right on ``correct_rows[k]``."""
    matrix = np.zeros((len(correct_rows), rows), dtype=bool)
    for seed, which in enumerate(correct_rows):
        matrix[seed, list(which)] = True
    return matrix


def test_identical_predictions_differ_by_nothing_and_win_half_the_time():
    rng = np.random.default_rng(0)
    same = rng.random((3, 1_000)) < 0.85
    comparison = bootstrap([same, same.copy()]).compare(0, 1)
    assert comparison.difference.estimate == 0
    # paired row by row, the same predictions leave no noise in the difference
    assert comparison.difference.low == 0 == comparison.difference.high
    assert comparison.a_beats_b == 0.5
    assert comparison.a_beats_b_low < 0.5 < comparison.a_beats_b_high
    assert comparison.p_value == 1.0


def test_two_runs_of_the_same_model_are_within_noise_of_each_other():
    rng = np.random.default_rng(0)
    difficulty = rng.uniform(0.6, 1.0, 1_000)
    a, b = (rng.random((3, 1_000)) < difficulty for _ in range(2))
    comparison = bootstrap([a, b]).compare(0, 1)
    assert comparison.difference.low < 0 < comparison.difference.high
    assert comparison.difference.high - comparison.difference.low > 0.01
    assert comparison.p_value > 0.05
    assert comparison.a_beats_b_low < 0.5 < comparison.a_beats_b_high


def test_right_wherever_the_other_is_plus_30_rows_is_separated():
    # 850 vs 880 of 1,000 rows: unpaired, 2 * sqrt(.85 * .15 / 1000 + .88 * .12 / 1000) =
    # 0.0305 > 0.03 hides the gap; paired, only the 30 rows differ.
    lower = right_on(1_000, range(850), range(850), range(850))
    higher = right_on(1_000, range(880), range(880), range(880))
    board = bootstrap([higher, lower])
    comparison = board.compare(0, 1)
    assert comparison.difference.estimate == pytest.approx(0.03)
    assert comparison.difference.low > 0.015
    assert comparison.p_value < 1e-6
    assert comparison.a_beats_b == 1.0 == comparison.a_beats_b_low
    assert shared_ranks(board, [0, 1]).ranks == [1, 2]


def test_rows_are_drawn_once_per_resample_for_every_cell():
    # one seed each, the same matrix: any difference would come from drawing rows per cell
    cell = right_on(4, [0])
    board = bootstrap([cell, cell], resamples=4_000)
    assert np.array_equal(board.resampled(0), board.resampled(1))
    # rows with replacement: right on 1 of 4 rows -> Binomial(4, 1/4) / 4
    values = np.unique(board.resampled(0))
    assert set(values) <= {0, 0.25, 0.5, 0.75, 1}
    assert board.resampled(0).mean() == pytest.approx(0.25, abs=0.01)
    assert board.resampled(0).var() == pytest.approx(0.25 * 0.75 / 4, rel=0.1)


def test_seeds_are_drawn_per_cell_with_replacement_and_their_spread_unbiased():
    # seed 0 right on every row, seed 1 on none: rows do not matter, seeds do
    cell = right_on(4, range(4), [])
    board = bootstrap([cell, cell], resamples=4_000)
    assert np.array_equal(board.resampled_seed_accuracies[0][0], np.ones(4_000))
    assert np.array_equal(board.resampled_seed_accuracies[0][1], np.zeros(4_000))
    draws = board.seed_draws[0]
    assert np.all(draws.sum(axis=1) == 2)
    # two seeds drawn with replacement: both seed 0, one each, both seed 1 = 1/4, 1/2, 1/4
    shares = np.bincount(draws[:, 0], minlength=3) / 4_000
    assert shares == pytest.approx([0.25, 0.5, 0.25], abs=0.03)
    # a seed's deviation is scaled by sqrt(2 / 1) (no seed x row interaction here), so the
    # resampled means are 0.5 and 0.5 +- 0.707, and their variance is s**2 / S
    assert set(np.round(board.resampled(0), 3)) == {-0.207, 0.5, 1.207}
    assert board.resampled(0).var() == pytest.approx(cell.mean(axis=1).var(ddof=1) / 2, rel=0.1)
    assert not np.array_equal(board.seed_draws[0], board.seed_draws[1])  # each cell its own


def simulated_cells(rng, rows: int, seeds: int, gap: float, seed_sd: float):
    """Two cells on ``rows`` rows drawn from a population of row difficulties; A's true
    accuracy is 0.7 + gap / 2, B's 0.7 - gap / 2 (difficulty uniform on [0.45, 0.95])."""
    difficulty = rng.uniform(0.45, 0.95, rows)
    cells = []
    for shift in (gap / 2, -gap / 2):
        offsets = rng.normal(shift, seed_sd, (seeds, 1))
        cells.append(rng.random((seeds, rows)) < np.clip(difficulty + offsets, 0, 1))
    return cells


@pytest.mark.parametrize(
    ("seed_sd", "low", "high"),
    [(0.002, 0.92, 1.0), (0.04, 0.9, 0.99)],
    ids=["rows-dominate", "seeds-dominate"],
)
def test_intervals_cover_a_known_difference_at_about_the_nominal_rate(seed_sd, low, high):
    # benchmarks/leaderboard_statistics.py, 2,000 trials: rows dominate 98.6 % (difference),
    # 97.5 % (accuracy); seeds dominate 96.2 %, 94.1 %; 200 trials leave +-1.5 points of chance
    rng = np.random.default_rng(1)
    trials, gap = 200, 0.02
    covered_difference = covered_accuracy = 0
    for trial in range(trials):
        board = bootstrap(simulated_cells(rng, 400, 3, gap, seed_sd), resamples=300, seed=trial)
        difference, _ = board.difference(0, 1)
        covered_difference += difference.low <= gap <= difference.high
        accuracy = board.cell_interval(0)
        covered_accuracy += accuracy.low <= 0.7 + gap / 2 <= accuracy.high
    assert low <= covered_difference / trials <= high
    assert low <= covered_accuracy / trials <= high


def test_holm_steps_down():
    adjusted = holm(np.array([0.01, 0.04, 0.03, 0.005]))
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm(np.array([0.5, 0.9])) == pytest.approx([1.0, 1.0])


def comparison(gap: float, seed_variances: tuple[float, float], row_variance: float):
    difference = Interval(gap, 0.0, np.inf, gap, gap)
    return PairedComparison(
        difference, 0.5, 0.5, 0.0, 1.0, seed_variances, (3, 3), row_variance, 0.0
    )


def test_seeds_that_would_separate_two_cells():
    # the rows alone hide a gap of 1 point at a row standard error of 0.6 points
    assert seeds_to_separate(comparison(0.01, (1e-4, 1e-4), 0.006**2), 1) is None
    # seeds dominate: 1 point apart, seed sd 2 points each, rows 0.2 points
    seeds = seeds_to_separate(comparison(0.01, (4e-4, 4e-4), 0.002**2), 1)
    assert seeds is not None
    # at n seeds the standard error is sqrt(8e-4 / n + 4e-6); 1.96 of it must fit in 1 point
    assert 8e-4 / seeds + 4e-6 < (0.01 / 1.96) ** 2 < 8e-4 / (seeds - 1) + 4e-6 + 1e-5
    more = seeds_to_separate(comparison(0.01, (4e-4, 4e-4), 0.002**2), 17)
    assert more is not None and more > seeds  # a stricter level wants more seeds
