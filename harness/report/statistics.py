"""How sure a leaderboard can be: intervals, paired tests and shared ranks from test predictions.

Two sources of noise move a cell's test accuracy: the seed (initialisation, order
of the training rows, dropout) and the test rows (another sample of the same size
would score differently). Every cell is scored on the same test rows, so two cells
are compared *paired*, row by row, which removes the rows' shared difficulty.

The method, in the order the code applies it:

1. **Hierarchical bootstrap** (:func:`bootstrap`). A cell's accuracy varies with the
   test rows (row effects: a row's share of seeds right), with the seeds (seed effects:
   a seed's accuracy on all rows) and with their interaction. Each resample draws the
   test rows with replacement, the same draw for every cell (this pairs the cells), and
   each cell's seeds with replacement, a draw of its own. A resampled accuracy is the
   accuracy plus the mean row effect of the drawn rows plus the mean seed effect of
   the drawn seeds. Drawing seeds and rows of a crossed design at once counts the
   seed x row interaction more than once (Owen 2007), so each part carries only its
   own share: the row draws carry the rows and the interaction, and the seed effects
   are rescaled (as Carpenter, Goldstein and Rasbash 2003 rescale a level's residuals)
   to the variance the seeds alone cause, s**2 less the interaction mean square over
   the rows, with the S / (S - 1) that makes s**2 unbiased with few seeds.
2. **Intervals and tests** (:meth:`Bootstrap.cell_interval`, :meth:`Bootstrap.difference`).
   The standard error is the bootstrap's standard deviation. With few seeds, the
   seed part of it is itself uncertain, so estimates are referred to a Student t
   distribution whose degrees of freedom come from the Welch-Satterthwaite formula:
   each cell's seed part rests on the variance of its S seeds' accuracies, with S - 1
   degrees of freedom, the rest on many. With 3 seeds and seed noise dominating that
   is about 4 degrees of freedom and a 95 % multiplier near 2.8; with the test rows
   dominating it tends to 1.96. In simulations with a known difference
   (``benchmarks/leaderboard_statistics.py``, 2,000 trials, 3 seeds, 400 rows) the
   95 % intervals cover it 96.2 % of the time (accuracy: 94.1 %) when the seeds
   dominate, and 98.6 % (97.5 %) when the test rows do: on the safe side, since the
   seed part keeps its own noise even when it is small.
3. **P(A > B)** (Bouthillier et al., MLSys 2021): the probability that a run (seed)
   of A scores higher than a run of B on the test rows, over all seed pairs (ties
   count one half); its interval is the 2.5 and 97.5 percentiles over resamples, each
   taking its drawn seeds' accuracies on its drawn rows.
4. **Shared ranks** (:func:`shared_ranks`): every pair of cells is tested, and the
   p-values are adjusted with Holm's step-down method, which keeps the chance of any
   false "A beats B" in the table under 5 % (as Bonferroni does) but is never less
   powerful than Bonferroni. Walking down the cells by mean accuracy, a cell shares
   the rank of the group's leader unless it differs from the leader beyond noise.

SciPy gives the t distribution. ``scipy.stats.bootstrap`` resamples one level of
independent observations; it cannot draw rows shared across cells crossed with
seeds drawn per cell, so the resampling here is written with NumPy, vectorised:
the row draws are weights, and all cells' resampled row effects (and each seed's
accuracy on the drawn rows) are one matrix product with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

RESAMPLES = 2_000
CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
ROW_DRAWS_PER_CHUNK = 250  # resamples whose row draws are held in memory at once
MAX_SEEDS_SUGGESTED = 1_000


@dataclass(frozen=True)
class Interval:
    """An estimate with its standard error, degrees of freedom and ``CONFIDENCE`` interval."""

    estimate: float
    standard_error: float
    degrees_of_freedom: float
    low: float
    high: float


@dataclass(frozen=True)
class PairedComparison:
    """Cell A minus cell B on the same test rows."""

    difference: Interval
    p_value: float  # two-sided, not adjusted for other comparisons
    a_beats_b: float  # P(A > B) over seed pairs
    a_beats_b_low: float
    a_beats_b_high: float
    seed_variances: tuple[float, float]  # what the seed causes in one seed's accuracy: A, B
    seeds: tuple[int, int]
    row_variance: float  # the test rows' part of the difference's variance, at any seeds
    interaction_variance: float  # the seed x row part, for one seed per cell


@dataclass(frozen=True)
class Bootstrap:
    """Bootstrap resamples of several cells scored on one set of test rows.

    Per cell c: ``seed_accuracies[c]`` (its accuracy per seed on all rows),
    ``row_effects[c]`` (each row's share of seeds right, minus the cell's accuracy) and
    ``interaction[c]`` (the seed x row interaction mean square, 0 with one seed). Per
    resample: ``row_part[c]`` (the mean row effect over the drawn rows), ``seed_part[c]``
    (the drawn seeds' mean deviation, scaled), ``seed_draws[c]`` (times each seed was
    drawn, resamples x seeds) and ``resampled_seed_accuracies[c]`` (each seed's accuracy
    on the drawn rows, seeds x resamples).
    """

    seed_accuracies: list[np.ndarray]
    row_effects: np.ndarray
    interaction: np.ndarray
    row_part: np.ndarray
    seed_part: np.ndarray
    seed_draws: list[np.ndarray]
    resampled_seed_accuracies: list[np.ndarray]

    accuracy: np.ndarray  # cells: the mean accuracy over seeds and rows

    @property
    def rows(self) -> int:
        return self.row_effects.shape[1]

    def seeds(self, cell: int) -> int:
        return len(self.seed_accuracies[cell])

    def seed_variance(self, cell: int) -> float:
        """The variance of one seed's accuracy in ``cell`` that the seed itself causes: the
        variance over seeds less the seed x row interaction's share (0 with one seed)."""
        accuracies = self.seed_accuracies[cell]
        if len(accuracies) < 2:
            return 0.0
        return max(float(accuracies.var(ddof=1)) - self.interaction[cell] / self.rows, 0.0)

    def _seed_mean_square(self, cell: int) -> float:
        """The variance of the seeds' accuracies (0 with one seed): the estimate, with S - 1
        degrees of freedom, that the seed part of a standard error rests on."""
        accuracies = self.seed_accuracies[cell]
        return float(accuracies.var(ddof=1)) if len(accuracies) > 1 else 0.0

    def resampled(self, cell: int) -> np.ndarray:
        """The cell's resampled mean accuracies."""
        return self.accuracy[cell] + self.row_part[cell] + self.seed_part[cell]

    def resampled_difference(self, a: int, b: int) -> np.ndarray:
        """Cell ``a``'s resampled accuracy minus cell ``b``'s, on the same drawn rows."""
        return self.resampled(a) - self.resampled(b)

    def cell_interval(self, cell: int) -> Interval:
        """The cell's mean test accuracy with its interval over seeds and test rows."""
        seeds = self.seeds(cell)
        se = float(self.resampled(cell).std(ddof=1))
        df = _satterthwaite(se**2, [(self._seed_mean_square(cell) / seeds, seeds)])
        return _interval(float(self.accuracy[cell]), se, df)

    def difference(self, a: int, b: int) -> tuple[Interval, float]:
        """Cell ``a`` minus cell ``b``: the interval and the two-sided p-value."""
        se, df = (float(value[0]) for value in self._paired_se_and_df([(a, b)]))
        estimate = float(self.accuracy[a] - self.accuracy[b])
        return _interval(estimate, se, df), _p_value(estimate, se, df)

    def pairwise_p_values(self, pairs: list[tuple[int, int]]) -> np.ndarray:
        """The two-sided p-values of :meth:`difference` for many pairs at once."""
        if not pairs:
            return np.empty(0)
        se, df = self._paired_se_and_df(pairs)
        first, second = (np.array(side) for side in zip(*pairs, strict=True))
        return _p_values(self.accuracy[first] - self.accuracy[second], se, df)

    def _paired_se_and_df(self, pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Standard errors of the paired differences (the bootstrap's standard deviation) and
        their Welch-Satterthwaite degrees of freedom (see :func:`_satterthwaite`)."""
        first, second = (np.array(side) for side in zip(*pairs, strict=True))
        covariance = np.atleast_2d(np.cov(self.accuracy[:, None] + self.row_part + self.seed_part))
        variance = (
            covariance[first, first] + covariance[second, second] - 2 * covariance[first, second]
        )
        seeds = np.array([len(accuracies) for accuracies in self.seed_accuracies])
        parts = np.array([self._seed_mean_square(c) for c in range(len(seeds))]) / seeds
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.where(seeds > 1, parts**2 / np.maximum(seeds - 1, 1), 0.0)
            df = variance**2 / (spread[first] + spread[second])
        fewest = np.minimum(
            np.where(parts[first] > 0, seeds[first] - 1, np.inf),
            np.where(parts[second] > 0, seeds[second] - 1, np.inf),
        )
        df = np.where(np.isfinite(df) & (variance > 0), np.maximum(df, fewest), np.inf)
        return np.sqrt(np.maximum(variance, 0.0)), df

    def compare(self, a: int, b: int) -> PairedComparison:
        """Cell ``a`` against cell ``b``, paired on the test rows."""
        interval, p_value = self.difference(a, b)
        beats, beats_resampled = self._a_beats_b(a, b)
        low, high = np.percentile(beats_resampled, [100 * ALPHA / 2, 100 * (1 - ALPHA / 2)])
        per_row = self.row_effects[a] - self.row_effects[b]
        noise = self.interaction[a] / self.seeds(a) + self.interaction[b] / self.seeds(b)
        row_variance = max(float(per_row.var(ddof=1)) - noise, 0.0) / self.rows
        interaction = (self.interaction[a] + self.interaction[b]) / self.rows
        return PairedComparison(
            difference=interval,
            p_value=p_value,
            a_beats_b=beats,
            a_beats_b_low=float(low),
            a_beats_b_high=float(high),
            seed_variances=(self.seed_variance(a), self.seed_variance(b)),
            seeds=(self.seeds(a), self.seeds(b)),
            row_variance=row_variance,
            interaction_variance=interaction,
        )

    def _a_beats_b(self, a: int, b: int) -> tuple[float, np.ndarray]:
        observed = _share_above(self.seed_accuracies[a][:, None], self.seed_accuracies[b][None, :])
        wins = _share_above(
            self.resampled_seed_accuracies[a][:, None, :],
            self.resampled_seed_accuracies[b][None, :, :],
        )  # seeds of a x seeds of b x resamples
        weights_a, weights_b = self.seed_draws[a], self.seed_draws[b]
        resampled = np.einsum("rs,str,rt->r", weights_a, wins, weights_b)
        return float(observed.mean()), resampled / (weights_a.shape[1] * weights_b.shape[1])


def bootstrap(correct: list[np.ndarray], resamples: int = RESAMPLES, seed: int = 0) -> Bootstrap:
    """Resample seeds and test rows of cells scored on the same rows (see the module's text).

    ``correct[c]`` is cell c's correctness matrix, seeds x test rows (True where the
    seed's model got the row right); every cell has the same rows in the same order.
    """
    if not correct:
        raise ValueError("no cells to resample")
    rows = correct[0].shape[1]
    if any(matrix.ndim != 2 or matrix.shape[1] != rows for matrix in correct):
        raise ValueError("every cell must be scored on the same test rows")
    rng = np.random.default_rng(seed)
    matrices = [np.asarray(matrix, dtype=np.float64) for matrix in correct]
    seed_accuracies = [matrix.mean(axis=1) for matrix in matrices]
    row_effects = np.stack([matrix.mean(axis=0) - matrix.mean() for matrix in matrices])
    interaction = np.array([_interaction_mean_square(matrix) for matrix in matrices])

    # one draw of rows per resample, shared by every cell: weights times a matrix product
    stacked = np.concatenate([row_effects, *matrices]).astype(np.float32)
    per_resample = np.empty((len(stacked), resamples), dtype=np.float64)
    for start in range(0, resamples, ROW_DRAWS_PER_CHUNK):
        count = min(ROW_DRAWS_PER_CHUNK, resamples - start)
        draws = _row_draws(rng, count, rows)  # resamples x rows: times each row is drawn
        per_resample[:, start : start + count] = stacked @ draws.T / rows
    row_part = per_resample[: len(matrices)]
    resampled_seeds = np.split(
        per_resample[len(matrices) :], np.cumsum([len(m) for m in matrices])[:-1]
    )

    # each cell's own draw of seeds
    seed_draws = [
        rng.multinomial(len(matrix), np.full(len(matrix), 1 / len(matrix)), size=resamples)
        for matrix in matrices
    ]
    seed_part = np.stack(
        [
            _seed_deviation(accuracies, draws, noise / rows)
            for accuracies, draws, noise in zip(
                seed_accuracies, seed_draws, interaction, strict=True
            )
        ]
    )
    return Bootstrap(
        seed_accuracies,
        row_effects,
        interaction,
        row_part,
        seed_part,
        seed_draws,
        resampled_seeds,
        np.array([accuracies.mean() for accuracies in seed_accuracies]),
    )


def _interaction_mean_square(matrix: np.ndarray) -> float:
    """The seed x row interaction mean square of a seeds x rows matrix (two-way ANOVA
    residual): the part of a row's variance over seeds that is neither row nor seed."""
    seeds, rows = matrix.shape
    if seeds < 2 or rows < 2:
        return 0.0
    residual = (
        matrix - matrix.mean(axis=1, keepdims=True) - matrix.mean(axis=0, keepdims=True)
    ) + matrix.mean()
    return float((residual**2).sum() / ((seeds - 1) * (rows - 1)))


def _row_draws(rng: np.random.Generator, resamples: int, rows: int) -> np.ndarray:
    """How often each of ``resamples`` draws of ``rows`` rows with replacement takes each row."""
    picks = rng.integers(0, rows, size=(resamples, rows))
    picks += np.arange(resamples)[:, None] * rows
    counts = np.bincount(picks.ravel(), minlength=resamples * rows)
    return counts.reshape(resamples, rows).astype(np.float32)


def _seed_deviation(
    seed_accuracies: np.ndarray, seed_draws: np.ndarray, interaction: float
) -> np.ndarray:
    """The drawn seeds' mean accuracy minus all seeds' mean, rescaled so that its variance
    is what the seeds alone cause, s**2 / S less the interaction's share ``interaction /
    S`` (which the row draws already carry); as Carpenter, Goldstein and Rasbash (2003)
    rescale a level's residuals. Zero with one seed: its spread is unknown."""
    seeds = len(seed_accuracies)
    spread = float(seed_accuracies.var(ddof=1)) if seeds > 1 else 0.0
    if spread <= interaction:
        return np.zeros(len(seed_draws))
    drawn = seed_draws @ seed_accuracies / seeds
    scale = math.sqrt(seeds / (seeds - 1) * (spread - interaction) / spread)
    return scale * (drawn - seed_accuracies.mean())


def _share_above(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a > b) + 0.5 * (a == b)


def _satterthwaite(variance: float, seed_parts: list[tuple[float, int]]) -> float:
    """Welch-Satterthwaite degrees of freedom of ``variance``, whose seed parts (variance,
    seeds) have seeds - 1 degrees of freedom each and whose rest (the rows) has many."""
    denominator = sum(part**2 / (seeds - 1) for part, seeds in seed_parts if seeds > 1)
    if denominator == 0 or variance == 0:
        return math.inf
    fewest = min((seeds - 1 for part, seeds in seed_parts if seeds > 1 and part > 0), default=1)
    return max(variance**2 / denominator, fewest)


def _critical(df: float, alpha: float = ALPHA) -> float:
    return (
        float(stats.t.ppf(1 - alpha / 2, df))
        if math.isfinite(df)
        else stats.norm.ppf(1 - alpha / 2)
    )


def _interval(estimate: float, se: float, df: float) -> Interval:
    half = _critical(df) * se
    return Interval(estimate, se, df, estimate - half, estimate + half)


def _p_value(difference: float, se: float, df: float) -> float:
    return float(_p_values(np.array([difference]), np.array([se]), np.array([df]))[0])


def _p_values(difference: np.ndarray, se: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-values of t = difference / se (normal where df is infinite); with no
    spread at all, 1 for no difference and 0 for any."""
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.abs(difference) / se
    finite = np.isfinite(df)
    tail = np.where(
        finite, stats.t.sf(statistic, np.where(finite, df, 1.0)), stats.norm.sf(statistic)
    )
    return np.where(se > 0, np.minimum(1.0, 2 * tail), np.where(difference == 0, 1.0, 0.0))


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment: reject where the adjusted p-value is below alpha."""
    p_values = np.asarray(p_values, dtype=np.float64)
    count = len(p_values)
    order = np.argsort(p_values, kind="stable")
    stepped = np.maximum.accumulate((count - np.arange(count)) * p_values[order])
    adjusted = np.empty(count)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


@dataclass(frozen=True)
class Ranking:
    """Ranks of cells sorted by mean accuracy (best first), from Holm-adjusted paired tests."""

    ranks: list[int]
    shared: list[bool]
    comparisons: int  # the number of pairs tested, the family that Holm corrects for
    adjusted_p: dict[tuple[int, int], float]


def shared_ranks(board: Bootstrap, order: list[int]) -> Ranking:
    """Rank the cells ``order`` lists (best mean first): a cell shares its group leader's rank
    unless the Holm-adjusted paired test over all pairs separates them."""
    pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
    raw = board.pairwise_p_values(pairs)
    adjusted = dict(zip(pairs, holm(raw), strict=True)) if pairs else {}
    ranks: list[int] = []
    shared = [False] * len(order)
    leader = 0
    for position in range(len(order)):
        if position > leader and adjusted[(order[leader], order[position])] >= ALPHA:
            ranks.append(ranks[leader])
            shared[leader] = shared[position] = True
        else:
            leader = position
            ranks.append(position + 1)
    return Ranking(ranks, shared, len(pairs), adjusted)


def seeds_to_separate(comparison: PairedComparison, comparisons: int) -> int | None:
    """Seeds per cell that would separate two cells at today's gap and spread, at the
    Bonferroni level ``ALPHA / comparisons`` (Holm's strictest step); None when the test
    rows' noise alone already hides the gap, so that no number of seeds would do.

    With n seeds per cell, the seed and the seed x row parts of today's variance shrink
    as 1 / n; the rows' part does not (every seed is scored on the same test rows).
    """
    gap = abs(comparison.difference.estimate)
    alpha = ALPHA / max(comparisons, 1)
    rows = comparison.row_variance
    if gap == 0 or gap <= _critical(math.inf, alpha) * math.sqrt(rows):
        return None
    for seeds in range(2, MAX_SEEDS_SUGGESTED + 1):
        parts = [(variance / seeds, seeds) for variance in comparison.seed_variances]
        variance = rows + comparison.interaction_variance / seeds + sum(p for p, _ in parts)
        if gap > _critical(_satterthwaite(variance, parts), alpha) * math.sqrt(variance):
            return seeds
    return MAX_SEEDS_SUGGESTED + 1
