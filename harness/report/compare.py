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

It fails closed: a cell whose seed the baseline has done and the candidate has not
(failed, timed out, crashed, diverged, or not run at all) is a regression like a worse
cell, named in its own table (``allow_missing`` lists cells not run without counting
them). A file may hold rows of several comparisons: each *data set* (the source's content
fingerprint, which decides the test rows) is compared on its own, its board being the
newest comparison on it; what a board leaves out is said.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats
from tabulate import tabulate

from harness.errors import HarnessError, shortened
from harness.report.leaderboard import backend_of, backends, done_by_cell
from harness.report.markdown import escape
from harness.report.statistics import ALPHA, CONFIDENCE, bootstrap, holm
from harness.results.log import RESULTS_FILE, latest_by_config, parse_rows, read_rows
from harness.results.predictions import CellCorrectness, cell_correctness
from harness.results.schema import ResultRow, Status, measurements_of, test_accuracy_of

Cell = tuple[str, ...]  # (architecture, padding), and the backend when a side has several
BETTER, WORSE, WITHIN_NOISE = "better", "worse", "within noise"
MISSING = "missing"
SETTINGS = ("training", "embeddings", "data", "device", "versions", "git_commit", "host")
LEFT_OUT_OF_SETTINGS = {"data.rows_without_tokens", "host.hostname", "host.platform"}


@dataclass(frozen=True)
class Side:
    """One side of a comparison: where it came from and the rows of its board (the latest row
    of each cell of one comparison), and how many rows of older comparisons on the same data
    set it leaves out."""

    label: str
    rows: list[ResultRow]
    left_out: int = 0
    left_out_comparisons: int = 0


@dataclass(frozen=True)
class FailedCell:
    """A cell the baseline has done and the candidate has not: for each such seed, the
    candidate's status (and why) or ``missing``."""

    cell: Cell
    seeds: dict[int, str]

    @property
    def only_missing(self) -> bool:
        return set(self.seeds.values()) == {MISSING}


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
    failed: list[FailedCell] = field(default_factory=list)
    allow_missing: bool = False

    @property
    def regressions(self) -> list[CellComparison]:
        return [cell for cell in self.cells if cell.verdict == WORSE]

    @property
    def failures(self) -> list[FailedCell]:
        """The failed cells that count: all, or with ``allow_missing`` those not only missing."""
        return [c for c in self.failed if not (self.allow_missing and c.only_missing)]

    @property
    def fails(self) -> bool:
        """Whether the candidate is worse: a cell worse beyond noise, or failed or missing."""
        return bool(self.regressions or self.failures)


def load_data_sets(spec: str) -> dict[str, Side]:
    """Each data set's board in the results that ``spec`` names (a results file, an --out
    directory, or ``REV:PATH`` in git), by the data set's content fingerprint."""
    by_data: dict[str, list[list[ResultRow]]] = {}  # comparisons on each data set, oldest first
    for board in _comparisons(_read_spec(spec)):
        by_data.setdefault(_data_set(board[-1]), []).append(board)
    return {
        data: Side(spec, boards[-1], sum(map(len, boards[:-1])), len(boards) - 1)
        for data, boards in by_data.items()
    }


def load_side(spec: str) -> Side:
    """The board ``harness report`` would draw from the results ``spec`` names: the newest
    comparison's."""
    *older, newest = _comparisons(_read_spec(spec))
    same_data = [board for board in older if _data_set(board[-1]) == _data_set(newest[-1])]
    return Side(spec, newest, sum(map(len, same_data)), len(same_data))


def compare_results(baseline: str, candidate: str, allow_missing: bool = False) -> list[Comparison]:
    """The candidate's results against the baseline's, one comparison per data set: both
    boards of each data set, or one board and an empty side where a file lacks it. When
    each file holds one data set, their boards are compared whatever the data."""
    sides_a, sides_b = load_data_sets(baseline), load_data_sets(candidate)
    if len(sides_a) == len(sides_b) == 1:
        pairs = [(next(iter(sides_a.values())), next(iter(sides_b.values())))]
    else:
        pairs = [
            (sides_a.get(data, Side(baseline, [])), sides_b.get(data, Side(candidate, [])))
            for data in [*sides_a, *(data for data in sides_b if data not in sides_a)]
        ]
    return [compare(a, b, allow_missing=allow_missing) for a, b in pairs]


def _read_spec(spec: str) -> list[ResultRow]:
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
    return rows


def _rows_at_revision(spec: str) -> list[ResultRow]:
    """The rows of ``REV:PATH``; a spec that git could take for an option is refused, and
    ``--end-of-options`` keeps git from reading one as such all the same."""
    if spec.startswith("-"):
        raise HarnessError(f"{spec}: not a results file, directory or git REV:PATH")
    shown = subprocess.run(
        ["git", "show", "--end-of-options", spec], capture_output=True, check=False
    )
    if shown.returncode != 0:
        reason = (shown.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[0]
        raise HarnessError(f"{spec}: not a results file, directory or git REV:PATH ({reason})")
    return parse_rows(shown.stdout, spec)


def _comparisons(rows: list[ResultRow]) -> list[list[ResultRow]]:
    """The latest row of each cell in ``rows``, by comparison; the comparisons in the order
    of their newest rows, so that the last is the one a board reports."""
    newest = {row["comparison"]: position for position, row in enumerate(rows)}
    groups: dict[str, list[ResultRow]] = {}
    for row in latest_by_config(rows).values():
        groups.setdefault(row["comparison"], []).append(row)
    return sorted(groups.values(), key=lambda group: newest[group[0]["comparison"]])


def _data_set(row: ResultRow) -> str:
    """What decides a row's test rows: its data source's content fingerprint."""
    return str(row["data"].get("fingerprint", "unknown"))


def compare(
    baseline: Side, candidate: Side, seed: int = 0, allow_missing: bool = False
) -> Comparison:
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
    return Comparison(
        baseline,
        candidate,
        results,
        only,
        differing_settings(baseline, candidate),
        failed_cells(cells_a, candidate.rows, by_backend),
        allow_missing,
    )


def failed_cells(
    done: dict[Cell, list[ResultRow]], candidate: list[ResultRow], by_backend: bool = False
) -> list[FailedCell]:
    """The cells of ``done`` (the baseline's done rows, by cell: with their backend when
    ``by_backend``) with a seed that the ``candidate``'s board does not have done."""
    status: dict[tuple[Any, ...], str] = {}
    for row in candidate:
        why = f" ({shortened(row['reason'], 80)})" if row["reason"] else ""
        cell = (row["architecture"], row["padding"], *([backend_of(row)] if by_backend else []))
        key = (*cell, row["seed"])
        status[key] = Status.DONE if row["status"] == Status.DONE else f"{row['status']}{why}"
    failed = []
    for cell, rows in done.items():
        seeds = {row["seed"]: status.get((*cell, row["seed"]), MISSING) for row in rows}
        seeds = {seed: what for seed, what in seeds.items() if what != Status.DONE}
        if seeds:
            failed.append(FailedCell(cell, seeds))
    return failed


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
    if not (baseline.rows and candidate.rows):
        return []
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


def render(comparisons: list[Comparison]) -> str:
    """The comparisons as markdown: for each data set the differing settings, the table,
    the failed cells, what was left out; then the verdict over all of them."""
    first = comparisons[0]
    a, b = first.baseline.label, first.candidate.label
    parts = [
        "# harness compare",
        "",
        f"- **Baseline (A):** {escape(a, code=True)}",
        f"- **Candidate (B):** {escape(b, code=True)}",
    ]
    several = len(comparisons) > 1
    for comparison in comparisons:
        if several:
            parts += ["", f"## Data set {_data_set_name(comparison)}"]
        parts += _render_one(comparison, "###" if several else "##")
    worse = [c.cell for comparison in comparisons for c in comparison.regressions]
    failed = [c.cell for comparison in comparisons for c in comparison.failures]
    parts.append("")
    if worse:
        parts.append(f"**{len(worse)} cell(s) worse beyond noise:** {_names(worse)}")
    if failed:
        parts.append(
            f"**{len(failed)} cell(s) failed or missing in B where A has them done:** "
            + _names(failed)
        )
    if not (worse or failed):
        parts.append("No cell is worse beyond noise. None failed or is missing in B.")
    return "\n".join(parts) + "\n"


def _render_one(comparison: Comparison, heading: str) -> list[str]:
    """One data set's part of :func:`render`, its sections at level ``heading``."""
    parts: list[str] = []
    for name, side in (("A", comparison.baseline), ("B", comparison.candidate)):
        if side.left_out:
            parts += [
                "",
                f"{name} leaves out {side.left_out} rows of {side.left_out_comparisons} older "
                f"comparison{'s' if side.left_out_comparisons > 1 else ''} on the same data "
                "set: a board holds the cells of its newest comparison.",
            ]
    if not comparison.candidate.rows:
        parts += ["", "Only in A: this data set."]
    elif not comparison.baseline.rows:
        names = ", ".join(" / ".join(cell) for cell in comparison.only_in[1])
        parts += ["", f"Only in B: this data set ({escape(names) or 'no cell done'})."]
    else:
        parts += _settings_and_cells(comparison, heading)
    if comparison.failed:
        parts += [
            "",
            f"{heading} Failed or missing in B",
            "",
            _failed_table(comparison.failed),
            "",
            "Each of these cells has the seeds listed done in A and not in B: failed (its "
            "status and reason) or missing (no row of it). Each counts as a regression"
            + (
                "; cells only missing are not counted (--allow-missing)."
                if comparison.allow_missing
                else "."
            ),
        ]
    only_b = comparison.only_in[1]
    if only_b and comparison.baseline.rows:
        names = ", ".join(" / ".join(cell) for cell in only_b)
        parts += ["", f"Only in {escape(comparison.candidate.label, code=True)}: {escape(names)}."]
    return parts


def _settings_and_cells(comparison: Comparison, heading: str) -> list[str]:
    """The settings that differ and the table of the cells of both boards."""
    parts = ["", f"{heading} Settings that differ", ""]
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
    parts += ["", f"{heading} Cells", "", _cell_table(comparison.cells), ""]
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
    return parts


def _data_set_name(comparison: Comparison) -> str:
    row = (comparison.baseline.rows or comparison.candidate.rows)[-1]
    fingerprint = escape(_data_set(row)[:19])
    return f"{escape(row['data'].get('source', '?'), code=True)} ({fingerprint}…)"


def _names(cells: list[Cell]) -> str:
    return escape(", ".join(" / ".join(cell) for cell in cells))


def _failed_table(failed: list[FailedCell]) -> str:
    table = []
    for cell in failed:
        by_what: dict[str, list[int]] = {}
        for seed, what in sorted(cell.seeds.items()):
            by_what.setdefault(what, []).append(seed)
        for what, seeds in by_what.items():
            table.append([*map(escape, cell.cell), ", ".join(map(str, seeds)), escape(what)])
    cell_headers = ["architecture", "padding", "backend"][: len(failed[0].cell)]
    return tabulate(
        table, [*cell_headers, "seeds", "in B"], tablefmt="github", disable_numparse=True
    )


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
