"""``harness compare BASELINE CANDIDATE``: two sets of results, cell by cell, paired.

Each side is a results file, an ``--out`` directory holding one, or ``REV:PATH``, a
results file as git revision REV holds it (read with ``git show``). From each side
comes the board ``harness report`` would draw: the latest row of every cell of the
newest comparison. A cell (architecture x padding) of both sides is *paired* when
every seed of both recorded its test predictions on the same test rows, whatever
else differs; the settings that differ are listed above the table. Two sides of one
Keras backend each are compared cell by cell whatever their backends (one backend against
another); when a side holds several, a cell is also its backend.

For a paired cell the candidate's accuracy minus the baseline's comes with its 95 %
interval from the hierarchical bootstrap of :mod:`harness.report.statistics`. The verdict
(better / worse / within noise) is the paired test with its p-value adjusted with
Holm's method over the cells compared, so that a run of many unchanged cells does
not cry regression by chance. Cells that cannot be paired (rows without predictions,
or different test rows) fall back to Welch's t-test over the seeds' accuracies and
are marked unpaired; with fewer than 2 seeds a side they are listed, not judged.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from tabulate import tabulate

from harness.errors import HarnessError
from harness.report.leaderboard import backends, done_by_cell, reported_rows
from harness.report.markdown import escape
from harness.report.statistics import ALPHA, CONFIDENCE, bootstrap, holm
from harness.results.log import RESULTS_FILE, read_rows
from harness.results.predictions import CellCorrectness, cell_correctness
from harness.results.schema import ResultRow, measurements_of, test_accuracy_of

Cell = tuple[str, ...]  # (architecture, padding), and the backend when a side has several
BETTER, WORSE, WITHIN_NOISE = "better", "worse", "within noise"
SETTINGS = ("training", "embeddings", "data", "device", "versions", "git_commit", "host")
LEFT_OUT_OF_SETTINGS = {"data.rows_without_tokens", "host.hostname", "host.platform"}


@dataclass(frozen=True)
class Side:
    """One side of a comparison: where it came from and the rows of its board."""

    label: str
    rows: list[ResultRow]


@dataclass(frozen=True)
class CellComparison:
    cell: Cell
    seeds: tuple[int, int]
    accuracy: tuple[float, float]
    train_per_s: tuple[float, float]
    difference: tuple[float, float, float] | None  # estimate, low, high; None: not paired
    candidate_beats_baseline: float | None  # P(candidate > baseline) over seed pairs
    p_value: float | None  # Holm-adjusted over the cells compared
    how: str  # "paired", or why not (then compared over seeds only)
    verdict: str


@dataclass(frozen=True)
class Comparison:
    baseline: Side
    candidate: Side
    cells: list[CellComparison]
    only_in: tuple[list[Cell], list[Cell]]
    differing_settings: list[tuple[str, str, str]]

    @property
    def regressions(self) -> list[CellComparison]:
        return [cell for cell in self.cells if cell.verdict == WORSE]


def load_side(spec: str) -> Side:
    """The board of a results file, an ``--out`` directory, or ``REV:PATH`` in git."""
    path = Path(spec)
    if path.is_dir():
        path = path / RESULTS_FILE
    if path.is_file():
        rows = read_rows(path)
    elif ":" in spec:
        rows = _rows_at_revision(spec)
    else:
        raise HarnessError(
            f"{spec}: no such results file or directory, nor a git revision REV:PATH"
        )
    if not rows:
        raise HarnessError(f"{spec}: holds no result rows")
    return Side(spec, reported_rows(rows))


def _rows_at_revision(spec: str) -> list[ResultRow]:
    shown = subprocess.run(["git", "show", spec], capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        reason = (shown.stderr.strip().splitlines() or ["git show failed"])[0]
        raise HarnessError(f"{spec}: not a results file, directory or git REV:PATH ({reason})")
    with tempfile.TemporaryDirectory(prefix="rnn-harness-compare-") as scratch:
        path = Path(scratch, RESULTS_FILE)
        path.write_text(shown.stdout, encoding="utf-8")
        return read_rows(path)


def compare(baseline: Side, candidate: Side, seed: int = 0) -> Comparison:
    """Every cell of both boards, the candidate against the baseline."""
    by_backend = len(backends(baseline.rows)) > 1 or len(backends(candidate.rows)) > 1
    cells_a, cells_b = _cells(baseline.rows, by_backend), _cells(candidate.rows, by_backend)
    shared = [cell for cell in cells_a if cell in cells_b]
    correctness = {
        cell: (_correctness(cells_a[cell]), _correctness(cells_b[cell])) for cell in shared
    }
    paired: dict[Cell, tuple[CellCorrectness, CellCorrectness]] = {}
    for cell, (base, new) in correctness.items():
        if base and new and base.test_fingerprint == new.test_fingerprint:
            paired[cell] = (base, new)
    statistics = _paired_statistics(paired, seed)
    for cell in shared:
        if cell not in statistics:
            statistics[cell] = _unpaired_statistics(cells_a[cell], cells_b[cell])
    tested = [cell for cell in shared if statistics[cell]]
    adjusted = dict(
        zip(tested, holm(np.array([statistics[cell]["p"] for cell in tested])), strict=True)
    )
    results = []
    for cell in shared:
        a, b = cells_a[cell], cells_b[cell]
        accuracy = (_mean(a, "test_accuracy"), _mean(b, "test_accuracy"))
        speed = (_mean(a, "train_examples_per_second"), _mean(b, "train_examples_per_second"))
        found = statistics[cell]
        how = "paired" if cell in paired else _why_not_paired(*correctness[cell])
        if not found:
            results.append(
                CellComparison(cell, (len(a), len(b)), accuracy, speed, None, None, None, how, "-")
            )
            continue
        p = adjusted[cell]
        verdict = WITHIN_NOISE if p >= ALPHA else BETTER if found["estimate"] > 0 else WORSE
        estimate = (found["estimate"], found["low"], found["high"])
        results.append(
            CellComparison(
                cell, (len(a), len(b)), accuracy, speed, estimate, found.get("beats"), p, how,
                verdict,
            )
        )  # fmt: skip
    only = ([c for c in cells_a if c not in cells_b], [c for c in cells_b if c not in cells_a])
    return Comparison(baseline, candidate, results, only, differing_settings(baseline, candidate))


def _cells(rows: list[ResultRow], by_backend: bool) -> dict[Cell, list[ResultRow]]:
    """The done rows of each cell: (architecture, padding), with the backend if ``by_backend``."""
    return {key if by_backend else key[:2]: cell for key, cell in done_by_cell(rows).items()}


def _correctness(rows: list[ResultRow]) -> CellCorrectness | None:
    return cell_correctness([row["measurements"] for row in rows])


def _mean(rows: list[ResultRow], key: str) -> float:
    return float(np.mean([measurements_of(row)[key] for row in rows]))  # type: ignore[literal-required]


def _why_not_paired(a: CellCorrectness | None, b: CellCorrectness | None) -> str:
    if a is None or b is None:
        return "unpaired: no test predictions (rows before schema 2)"
    return "unpaired: scored on different test rows"


def _unpaired_statistics(a: list[ResultRow], b: list[ResultRow]) -> dict[str, float]:
    """The fallback for cells without shared predictions: Welch's t-test over the seeds'
    accuracies (test rows' noise left out); empty when a side has fewer than 2 seeds."""
    if len(a) < 2 or len(b) < 2:
        return {}
    accuracies_a = [test_accuracy_of(row) for row in a]
    accuracies_b = [test_accuracy_of(row) for row in b]
    test = stats.ttest_ind(accuracies_b, accuracies_a, equal_var=False)
    interval = test.confidence_interval(CONFIDENCE)
    estimate = float(np.mean(accuracies_b) - np.mean(accuracies_a))
    if not np.isfinite(test.pvalue):  # no spread on either side
        return {"estimate": estimate, "low": estimate, "high": estimate, "p": float(estimate == 0)}
    p_value = float(test.pvalue)
    return {"estimate": estimate, "low": interval.low, "high": interval.high, "p": p_value}


def _paired_statistics(
    paired: dict[Cell, tuple[CellCorrectness, CellCorrectness]], seed: int
) -> dict[Cell, dict[str, float]]:
    """Candidate minus baseline for each paired cell: one bootstrap per set of test rows."""
    by_rows: dict[str, list[Cell]] = {}
    for cell, (a, _) in paired.items():
        by_rows.setdefault(a.test_fingerprint, []).append(cell)
    found: dict[Cell, dict[str, float]] = {}
    for cells in by_rows.values():
        matrices = [m for cell in cells for m in (paired[cell][0].correct, paired[cell][1].correct)]
        board = bootstrap(matrices, seed=seed)
        for k, cell in enumerate(cells):
            comparison = board.compare(2 * k + 1, 2 * k)  # candidate, baseline
            interval = comparison.difference
            found[cell] = {
                "estimate": interval.estimate,
                "low": interval.low,
                "high": interval.high,
                "beats": comparison.a_beats_b,
                "p": comparison.p_value,
            }
    return {cell: found[cell] for cell in paired}


def differing_settings(baseline: Side, candidate: Side) -> list[tuple[str, str, str]]:
    """(setting, baseline's value, candidate's value) for each setting that differs."""
    both = {(row["architecture"], row["padding"]) for row in baseline.rows} & {
        (row["architecture"], row["padding"]) for row in candidate.rows
    }
    a, b = _settings(baseline.rows, both), _settings(candidate.rows, both)
    return [
        (key, a.get(key, "-"), b.get(key, "-"))
        for key in sorted(set(a) | set(b))
        if a.get(key) != b.get(key)
    ]


def _settings(rows: list[ResultRow], cells: set[tuple[str, str]]) -> dict[str, str]:
    """The newest row's settings, the backends of the rows, and the hyperparameters and
    plugins of ``cells`` (architecture, padding): the plugin of each architecture and of
    each padding strategy."""
    newest = rows[-1]
    settings = _flatten({key: newest.get(key) for key in SETTINGS})
    settings["command"] = newest["command"]
    settings["backend"] = ", ".join(backends(rows))
    for row in (row for row in rows if (row["architecture"], row["padding"]) in cells):
        settings |= _flatten({f"params[{row['architecture']}]": row["params"]})
        plugin, padding_plugin = row["plugin"], row["padding_plugin"]
        settings[f"plugin[{row['architecture']}]"] = f"{plugin['distribution']} {plugin['version']}"
        settings[f"padding plugin[{row['padding']}]"] = (
            f"{padding_plugin['distribution']} {padding_plugin['version']}"
        )
    return {k: v for k, v in settings.items() if k not in LEFT_OUT_OF_SETTINGS}


def _flatten(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, Mapping) and value:
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat |= _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return flat
    return {prefix: value if isinstance(value, str) else json.dumps(value, sort_keys=True)}


def render(comparison: Comparison) -> str:
    """The comparison as markdown: the differing settings, the table, what was left out."""
    a, b = comparison.baseline.label, comparison.candidate.label
    parts = [
        "# harness compare",
        "",
        f"- **Baseline (A):** {escape(a, code=True)}",
        f"- **Candidate (B):** {escape(b, code=True)}",
    ]
    parts += ["", "## Settings that differ", ""]
    if comparison.differing_settings:
        parts.append(
            tabulate(
                [[escape(v) for v in row] for row in comparison.differing_settings],
                ["setting", "A", "B"],
                tablefmt="github",
                disable_numparse=True,
            )
        )
    else:
        parts.append("None.")
    parts += ["", "## Cells", "", _cell_table(comparison.cells), ""]
    tested = sum(cell.p_value is not None for cell in comparison.cells)
    parts.append(
        "B - A: the candidate's mean test accuracy minus the baseline's, in points, with its "
        "95 % interval from a hierarchical bootstrap that draws the test rows (the same draw "
        "for both) and each side's seeds; P(B > A) is the chance that a run of B beats a run "
        "of A on these rows. The verdict comes from the paired test, its p-value adjusted with "
        f"Holm's method over the {tested} cells compared: a cell is better or worse only when "
        "the adjusted p-value is below 0.05 (so an interval that just misses 0 can still be "
        "within noise). Cells marked unpaired fall back to Welch's t-test over the seeds' "
        "accuracies, which leaves out the test rows' noise. See `harness/report/statistics.py`."
    )
    for side, cells in zip((a, b), comparison.only_in, strict=True):
        if cells:
            names = ", ".join(" / ".join(cell) for cell in cells)
            parts += ["", f"Only in {escape(side, code=True)}: {escape(names)}."]
    worse = comparison.regressions
    parts += [
        "",
        f"**{len(worse)} cell(s) worse beyond noise:** "
        + escape(", ".join(" / ".join(c.cell) for c in worse))
        if worse
        else "No cell is worse beyond noise.",
    ]
    return "\n".join(parts) + "\n"


def _cell_table(cells: list[CellComparison]) -> str:
    if not cells:
        return "No cell is in both."
    table = []
    for c in cells:
        difference = (
            "-"
            if c.difference is None
            else f"{100 * c.difference[0]:+.2f} [{100 * c.difference[1]:+.2f}, "
            f"{100 * c.difference[2]:+.2f}]"
        )
        table.append(
            [
                *(escape(part) for part in c.cell),
                f"{c.seeds[0]} / {c.seeds[1]}",
                f"{100 * c.accuracy[0]:.2f}",
                f"{100 * c.accuracy[1]:.2f}",
                f"{c.train_per_s[0]:,.0f}",
                f"{c.train_per_s[1]:,.0f}",
                difference,
                "-" if c.candidate_beats_baseline is None else f"{c.candidate_beats_baseline:.2f}",
                "-" if c.p_value is None else f"{c.p_value:.3g}",
                c.how,
                c.verdict,
            ]
        )
    headers = [
        *["architecture", "padding", "backend"][: len(cells[0].cell)],
        "seeds A / B",
        "acc. % A",
        "acc. % B",
        "train ex/s A",
        "train ex/s B",
        "B - A, points [95 % interval]",
        "P(B > A)",
        "Holm p",
        "how",
        "verdict",
    ]
    return tabulate(table, headers, tablefmt="github", disable_numparse=True)
