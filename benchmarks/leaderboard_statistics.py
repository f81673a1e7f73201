"""How long the leaderboard's statistics take, and how often their intervals cover the truth.

    python benchmarks/leaderboard_statistics.py       # timing only, well under a minute
    python benchmarks/leaderboard_statistics.py --coverage-trials 2000   # a few minutes

1. Time: everything ``harness report`` computes from predictions (the hierarchical
   bootstrap, every cell's interval, the Holm-adjusted paired tests of all pairs,
   and the neighbours' P(A > B)) on synthetic predictions of 18 and 54 cells x 3 seeds
   x 7,600 test rows (AG News's test split), the median of ``--repeats`` runs.
2. Coverage: two cells whose true accuracies differ by 2 points, simulated on 400 test
   rows drawn from a population of rows, 3 seeds each; the share of trials whose 95 %
   interval holds the true difference (and the true accuracy of one cell), when the
   test rows' noise dominates and when the seeds' does.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import numpy as np

from harness.report.statistics import RESAMPLES, bootstrap, shared_ranks

TEST_ROWS = 7_600
SEEDS = 3


def synthetic_cells(cells: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Correctness matrices of cells between 80 % and 90 % on shared rows of varied difficulty."""
    difficulty = rng.beta(8, 1.5, TEST_ROWS)
    return [
        rng.random((SEEDS, TEST_ROWS))
        < np.clip(difficulty + rng.normal(shift, 0.005, (SEEDS, 1)), 0, 1)
        for shift in np.linspace(-0.05, 0.05, cells)
    ]


def leaderboard_statistics(correct: list[np.ndarray]) -> None:
    board = bootstrap(correct)
    order = list(np.argsort(-board.accuracy, kind="stable"))
    shared_ranks(board, order)
    for cell in order:
        board.cell_interval(cell)
    for upper, lower in itertools.pairwise(order):
        board.compare(upper, lower)


def time_statistics(cells: int, repeats: int) -> float:
    correct = synthetic_cells(cells, np.random.default_rng(0))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        leaderboard_statistics(correct)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def simulated_pair(rng: np.random.Generator, seed_sd: float, gap: float) -> list[np.ndarray]:
    difficulty = rng.uniform(0.45, 0.95, 400)
    return [
        rng.random((SEEDS, 400))
        < np.clip(difficulty + rng.normal(shift, seed_sd, (SEEDS, 1)), 0, 1)
        for shift in (gap / 2, -gap / 2)
    ]


def coverage(seed_sd: float, trials: int, gap: float = 0.02) -> tuple[float, float]:
    rng = np.random.default_rng(1)
    difference_covered = accuracy_covered = 0
    for trial in range(trials):
        board = bootstrap(simulated_pair(rng, seed_sd, gap), resamples=RESAMPLES, seed=trial)
        difference, _ = board.difference(0, 1)
        accuracy = board.cell_interval(0)
        difference_covered += difference.low <= gap <= difference.high
        accuracy_covered += accuracy.low <= 0.7 + gap / 2 <= accuracy.high
    return difference_covered / trials, accuracy_covered / trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--coverage-trials", type=int, default=0)
    args = parser.parse_args()
    for cells in (18, 54):
        seconds = time_statistics(cells, args.repeats)
        print(
            f"{cells} cells x {SEEDS} seeds x {TEST_ROWS:,} rows, {RESAMPLES:,} resamples: "
            f"{seconds:.2f} s (median of {args.repeats})"
        )
    for name, seed_sd in (("test rows dominate", 0.002), ("seeds dominate", 0.04)):
        if args.coverage_trials:
            difference, accuracy = coverage(seed_sd, args.coverage_trials)
            print(
                f"coverage, {name} (seed sd {seed_sd}), {args.coverage_trials} trials: "
                f"difference {difference:.1%}, accuracy {accuracy:.1%}"
            )


if __name__ == "__main__":
    main()
