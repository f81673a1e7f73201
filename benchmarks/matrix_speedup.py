"""The whole matrix before and after: accuracy within noise, time saved, and the schedule.

    python benchmarks/matrix_speedup.py BASELINE NEW                   # prints the section
    python benchmarks/performance.py --matrix BASELINE NEW             # puts it in the report

BASELINE and NEW are results files (or ``--out`` folders) of ``harness run --all`` on the
same data and seeds, the code before and after a change. From each, the board
``harness report`` would draw (the latest row of each cell of the newest comparison):

1. per cell (architecture x padding): mean test accuracy both ways and the difference, judged
   by ``harness compare`` (:mod:`harness.report.compare`: a hierarchical bootstrap paired on
   the test rows, seeds resampled, Holm-adjusted over the cells compared); mean epochs and
   the cell's time (its seeds' ``cell_wall_seconds`` added up) both ways;
2. totals: the cells' time added up, and the wall time of each run (from its
   ``run_started_at`` to its last ``finished_at``; a file resumed by several runs adds up
   each run's), and their ratios;
3. the cells a change is meant to move (``--meant-to-change ARCH/PADDING``, with the reason
   in ``--why``) apart, out of the "within noise" count;
4. the schedule, simulated from NEW's measured cell times: the makespan on NEW's number of
   slots (``--jobs``; 2 when it ran one cell at a time) in the matrix's order (architecture,
   padding, seed: the queue before issue 17), in NEW's own order (longest first by the
   estimate its rows record, see :mod:`harness.execution.cost`) and longest first by the
   measured times (the best a cost model could do); and how close NEW's up-front estimate
   came, for the run and cell by cell.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np

from harness.execution.cost import makespan
from harness.report.compare import WITHIN_NOISE, compare, load_side
from harness.report.leaderboard import backend_of
from harness.results.schema import ResultRow, measurements_of

DEFAULT_SLOTS = 2  # simulated when NEW ran one cell at a time, or its rows do not agree
CLOSE_FACTOR = 1.5  # a cell's estimate is close when its time is within this factor of it


def compare_runs(
    baseline: str,
    new: str,
    meant_to_change: Iterable[tuple[str, str]] = (),
    why: str = "",
) -> dict[str, Any]:
    """Everything the section shows, as JSON-ready data; ``meant_to_change`` names the cells
    (architecture, padding) the change is meant to move, for the reason ``why``."""
    lever_cells = set(meant_to_change)
    before, after = load_side(baseline), load_side(new)
    comparison = compare(before, after)
    cells = []
    for cell in comparison.cells:
        rows = [_done_rows(side.rows, cell.cell) for side in (before, after)]
        cells.append(
            {
                "architecture": cell.cell[0],
                "padding": cell.cell[1],
                "seeds": list(cell.seeds),
                "accuracy": list(cell.accuracy),
                "difference": list(cell.difference) if cell.difference else None,
                "p_value": cell.p_value,
                "how": cell.how,
                "verdict": cell.verdict,
                "epochs": [_mean(side, "epochs_run") for side in rows],
                "cell_seconds": [sum(row["cell_wall_seconds"] for row in side) for side in rows],
                "lever": cell.cell in lever_cells,
            }
        )
    slots = _slots(after.rows)
    in_matrix_order = sorted(
        after.rows, key=lambda row: (row["architecture"], row["padding"], row["seed"])
    )
    durations = [row["cell_wall_seconds"] for row in in_matrix_order]
    estimated = with_estimates(in_matrix_order)
    in_run_order = sorted(estimated, key=lambda pair: -pair[1]["cell_seconds"])
    return {
        "baseline": _describe(baseline, before.rows),
        "new": _describe(new, after.rows),
        "cells": cells,
        "why_meant_to_change": why,
        "only_in": [[list(cell) for cell in side] for side in comparison.only_in],
        "schedule": {
            "slots": slots,
            "cells": len(durations),
            "matrix_order_seconds": makespan(durations, slots),
            "run_order_seconds": (
                makespan([row["cell_wall_seconds"] for row, _ in in_run_order], slots)
                if len(in_run_order) == len(durations)
                else None
            ),
            "longest_first_seconds": makespan(sorted(durations, reverse=True), slots),
            "one_slot_seconds": sum(durations),
        },
        "estimate": estimate_accuracy(estimated),
    }


def _describe(spec: str, rows: list[ResultRow]) -> dict[str, Any]:
    return {
        "results": spec,
        "rows": len(rows),
        "commands": sorted({row["command"] for row in rows}),
        "git_commits": sorted({str(row["git_commit"]) for row in rows}),
        "jobs": sorted({str(row["device"].get("parallel_cells")) for row in rows}),
        "machines": sorted({f"{row['host']['cpu']}, {row['host']['cores']} cores" for row in rows}),
        "cell_seconds": sum(row["cell_wall_seconds"] for row in rows),
        "wall_seconds": wall_seconds(rows),
        "runs": len({row["run_started_at"] for row in rows}),
    }


def wall_seconds(rows: Iterable[ResultRow]) -> float:
    """From each run's start (``run_started_at``) to its last row's ``finished_at``, added up
    over the runs that wrote ``rows``."""
    last: dict[str, datetime] = {}
    for row in rows:
        finished = datetime.fromisoformat(row["finished_at"])
        started = row["run_started_at"]
        last[started] = max(last.get(started, finished), finished)
    return sum(
        (finished - datetime.fromisoformat(started)).total_seconds()
        for started, finished in last.items()
    )


def with_estimates(rows: Iterable[ResultRow]) -> list[tuple[ResultRow, dict[str, float]]]:
    """Each row that holds the estimate its run made before it started, with that estimate."""
    return [(row, estimate) for row in rows if (estimate := row.get("estimate"))]


def estimate_accuracy(
    estimated: list[tuple[ResultRow, dict[str, float]]],
) -> dict[str, Any] | None:
    """How the estimates made before a run (its wall time, each cell's time) compare with
    what was measured; None without any."""
    if not estimated:
        return None
    rows = [row for row, _ in estimated]
    runs = {row["run_started_at"]: estimate["run_seconds"] for row, estimate in estimated}
    ratios = [row["cell_wall_seconds"] / estimate["cell_seconds"] for row, estimate in estimated]
    return {
        "run_seconds": sum(runs.values()),
        "wall_seconds": wall_seconds(rows),
        "cells": len(rows),
        "cell_seconds_estimated": sum(estimate["cell_seconds"] for _, estimate in estimated),
        "cell_seconds_measured": sum(row["cell_wall_seconds"] for row in rows),
        "median_measured_over_estimated": statistics.median(ratios),
        "cells_within_factor": sum(1 / CLOSE_FACTOR <= ratio <= CLOSE_FACTOR for ratio in ratios),
        "factor": CLOSE_FACTOR,
    }


def _done_rows(rows: list[ResultRow], cell: tuple[str, ...]) -> list[ResultRow]:
    """The done rows of ``cell``: (architecture, padding), with the backend when compared by it."""
    return [
        row
        for row in rows
        if (row["architecture"], row["padding"], backend_of(row))[: len(cell)] == cell
        and row["status"] == "done"
    ]


def _mean(rows: list[ResultRow], key: str) -> float:
    return float(np.mean([measurements_of(row)[key] for row in rows]))  # type: ignore[literal-required]


def _slots(rows: list[ResultRow]) -> int:
    """How many cells the run had at a time, when all its rows say the same and it is more
    than one (one slot is the cells' time added up); else :data:`DEFAULT_SLOTS`."""
    jobs = {row["device"].get("parallel_cells") for row in rows}
    return max(int(jobs.pop() or 1), DEFAULT_SLOTS) if len(jobs) == 1 else DEFAULT_SLOTS


# --- the report's section -----------------------------------------------------------------


def render_section(matrix: dict[str, Any]) -> list[str]:
    """The markdown section of reports/performance.md."""
    before, after = matrix["baseline"], matrix["new"]
    cells = sorted(matrix["cells"], key=lambda cell: (cell["architecture"], cell["padding"]))
    levers = any(cell["lever"] for cell in cells)
    lines = [
        "",
        "## The whole matrix, before and after",
        "",
        f"- **Baseline:** `{before['results']}`: {_run(before)}",
        f"- **New:** `{after['results']}`: {_run(after)}",
        *(
            []
            if before.get("machines") == after.get("machines")
            else [
                "",
                "The two runs ran on different machines: their times compare the machines as "
                "well as the code.",
            ]
        ),
        "",
        "| | baseline | new | baseline / new |",
        "|---|---|---|---|",
        f"| cells | {before['rows']} | {after['rows']} | |",
        _ratio_row("cells' time added up, min", before["cell_seconds"], after["cell_seconds"]),
        _ratio_row("wall time, min", before["wall_seconds"], after["wall_seconds"]),
        "",
        "Per cell: mean test accuracy over the seeds; new minus baseline in points with its "
        "95 % interval and verdict from `harness compare` (a hierarchical bootstrap paired on "
        "the test rows, each side's seeds resampled; a cell is better or worse only when its "
        "p-value, Holm-adjusted over all the cells compared, is below 0.05); mean epochs run; "
        "the cell's time (its seeds' worker wall times added up)."
        + (
            " Cells marked † are meant to change (below) and are left out of the count under "
            "the table."
            if levers
            else ""
        ),
        "",
        "| architecture | padding | acc. % baseline | acc. % new | new - baseline, points "
        "[95 % interval] | Holm p | verdict | epochs baseline | epochs new | cell s baseline "
        "| cell s new | speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cell in cells:
        lines.append(_cell_row(cell))
    judged = [cell for cell in cells if not cell["lever"] and cell["p_value"] is not None]
    within = [cell for cell in judged if cell["verdict"] == WITHIN_NOISE]
    beyond = [cell for cell in judged if cell["verdict"] != WITHIN_NOISE]
    lines += [
        "",
        f"**{len(within)} of {len(judged)} cells within noise**"
        + (" (the † cells left out)" if levers else "")
        + (
            "; beyond noise: "
            + ", ".join(f"{c['architecture']} / {c['padding']} ({c['verdict']})" for c in beyond)
            if beyond
            else ""
        )
        + ".",
    ]
    for side, names in zip(("baseline", "new"), matrix["only_in"], strict=True):
        if names:
            lines.append(f"Only in the {side}: " + ", ".join(" / ".join(n) for n in names) + ".")
    lines += _render_lever(cells, matrix.get("why_meant_to_change", ""))
    lines += _render_schedule(matrix)
    return lines


def _run(side: dict[str, Any]) -> str:
    runs = f", {side['runs']} runs added up" if side["runs"] > 1 else ""
    return (
        f"{'; '.join(f'`{command}`' for command in side['commands'])} at "
        f"{', '.join(commit[:12] for commit in side['git_commits'])}, "
        f"--jobs {', '.join(side['jobs'])}{runs}"
        + (f", on {'; '.join(side['machines'])}" if side.get("machines") else "")
    )


def _ratio_row(label: str, before: float, after: float) -> str:
    return f"| {label} | {before / 60:.1f} | {after / 60:.1f} | {before / after:.2f}x |"


def _cell_row(cell: dict[str, Any]) -> str:
    difference = cell["difference"]
    shown = (
        "-"
        if difference is None
        else f"{100 * difference[0]:+.2f} [{100 * difference[1]:+.2f}, {100 * difference[2]:+.2f}]"
    )
    seconds = cell["cell_seconds"]
    return (
        f"| {cell['architecture']} | {cell['padding']}{' †' if cell['lever'] else ''} | "
        f"{100 * cell['accuracy'][0]:.2f} | {100 * cell['accuracy'][1]:.2f} | {shown} | "
        + ("-" if cell["p_value"] is None else f"{cell['p_value']:.3g}")
        + f" | {cell['verdict']} | {cell['epochs'][0]:.1f} | {cell['epochs'][1]:.1f} | "
        f"{seconds[0]:.0f} | {seconds[1]:.0f} | {seconds[0] / seconds[1]:.2f}x |"
    )


def _render_lever(cells: list[dict[str, Any]], why: str) -> list[str]:
    moved = [cell for cell in cells if cell["lever"]]
    if not moved:
        return []
    lines = [
        "",
        f"**† Meant to change**: {why or 'named by --meant-to-change'}. Same seeds and test "
        "rows both ways:",
        "",
        "| architecture | acc. % baseline | acc. % new | new - baseline, points [95 % interval] "
        "| Holm p | verdict | epochs baseline | epochs new |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cell in moved:
        difference = cell["difference"]
        shown = (
            "-"
            if difference is None
            else f"{100 * difference[0]:+.2f} "
            + (f"[{100 * difference[1]:+.2f}, {100 * difference[2]:+.2f}]")
        )
        lines.append(
            f"| {cell['architecture']} | {100 * cell['accuracy'][0]:.2f} | "
            f"{100 * cell['accuracy'][1]:.2f} | {shown} | "
            + ("-" if cell["p_value"] is None else f"{cell['p_value']:.3g}")
            + f" | {cell['verdict']} | {cell['epochs'][0]:.1f} | {cell['epochs'][1]:.1f} |"
        )
    return lines


def _render_schedule(matrix: dict[str, Any]) -> list[str]:
    schedule, wall = matrix["schedule"], matrix["new"]["wall_seconds"]
    slots = schedule["slots"]
    lines = [
        "",
        f"**Schedule, simulated from the new run's measured cell times** ({schedule['cells']} "
        f"cells, each started on the first free of {slots} slots in the order given; "
        "data preparation and anything between cells left out):",
        "",
        "| order | simulated makespan, min |",
        "|---|---|",
        f"| one slot (the cells' time added up) | {schedule['one_slot_seconds'] / 60:.1f} |",
        f"| {slots} slots, the matrix's order (architecture, padding, seed) | "
        f"{schedule['matrix_order_seconds'] / 60:.1f} |",
    ]
    if schedule["run_order_seconds"] is not None:
        lines.append(
            f"| {slots} slots, the new run's order (longest first by its estimates) | "
            f"{schedule['run_order_seconds'] / 60:.1f} |"
        )
    lines += [
        f"| {slots} slots, longest first by measured time (the best order) | "
        f"{schedule['longest_first_seconds'] / 60:.1f} |",
        f"| the new run's measured wall time | {wall / 60:.1f} |",
    ]
    estimate = matrix["estimate"]
    if estimate is not None:
        lines += [
            "",
            f"**The new run's up-front estimate** (recorded in its rows before the first cell "
            f"started): {estimate['run_seconds'] / 60:.1f} min for a run that took "
            f"{estimate['wall_seconds'] / 60:.1f} min "
            f"({estimate['run_seconds'] / estimate['wall_seconds']:.2f} of it). Cell by cell: "
            f"{estimate['cell_seconds_estimated'] / 60:.1f} min estimated against "
            f"{estimate['cell_seconds_measured'] / 60:.1f} min measured, a cell's measured time "
            f"{estimate['median_measured_over_estimated']:.2f} of its estimate (median), "
            f"{estimate['cells_within_factor']} of {estimate['cells']} cells within a factor "
            f"{estimate['factor']:g} of theirs.",
        ]
    return lines


def cell_name(text: str) -> tuple[str, str]:
    """``ARCH/PADDING`` as (architecture, padding)."""
    architecture, slash, padding = text.partition("/")
    if not (architecture and slash and padding):
        raise argparse.ArgumentTypeError(f"{text!r} is not ARCH/PADDING, e.g. lstm/none")
    return architecture, padding


def add_meant_to_change_arguments(parser: argparse.ArgumentParser) -> None:
    """``--meant-to-change`` and ``--why``, the cells a change is meant to move."""
    parser.add_argument(
        "--meant-to-change",
        type=cell_name,
        action="append",
        default=[],
        metavar="ARCH/PADDING",
        help="a cell the change is meant to move: shown apart, out of the within-noise count",
    )
    parser.add_argument("--why", default="", help="why those cells are meant to move")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("baseline", help="results file or --out folder of the baseline run")
    parser.add_argument("new", help="results file or --out folder of the new run")
    add_meant_to_change_arguments(parser)
    arguments = parser.parse_args()
    matrix = compare_runs(
        arguments.baseline, arguments.new, arguments.meant_to_change, arguments.why
    )
    print(f"<!-- {shlex.join(['python', *sys.argv])} -->")
    print("\n".join(render_section(matrix)))


if __name__ == "__main__":
    main()
