"""The tuned leaderboard: ``OUT/leaderboard.md`` and its plot, from the rows of a tune alone.

Each study's rows are those of its newest study id (``--force`` starts a new one). The
board states the budget and the space; ranks the re-runs of each study's best
configuration with the paired statistics of :mod:`harness.report.statistics`; gives each
best configuration and its parameter count; draws the expected best validation accuracy
against the number of trials and against training time (:mod:`harness.tune.curve`), with
the budgets where the curves cross; and says per architecture what tuning changed against
its untuned defaults, trained beside it on the same data, seeds and test rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

from harness.errors import HarnessError
from harness.execution.cost import duration
from harness.report.files import write_files
from harness.report.leaderboard import (
    Leaderboard,
    main_table,
    method_paragraph,
    run_wall_seconds,
)
from harness.report.markdown import escape
from harness.report.statistics import bootstrap
from harness.results.log import RESULTS_FILE, read_rows
from harness.results.predictions import cell_correctness
from harness.results.schema import ResultRow, Status
from harness.tune.curve import BudgetCurve, crossings
from harness.tune.tuner import RERUN, TRIAL, UNTUNED

DIVERGED_SCORE = 0.0  # what a diverged trial gave: nothing


@dataclass(frozen=True)
class StudyRows:
    """The rows of one study's newest id: its trials (by number), re-runs and untuned cells."""

    name: str
    trials: list[ResultRow]
    reruns: list[ResultRow]
    untuned: list[ResultRow]

    @property
    def tuning(self) -> dict[str, Any]:
        return self.trials[-1]["tuning"] or {}

    def scores(self) -> list[float]:
        return [_score(row) for row in self.trials]

    def best(self) -> ResultRow | None:
        done = [row for row in self.trials if row["status"] == Status.DONE]
        return max(done, key=lambda row: (_score(row), -_trial(row))) if done else None


def _trial(row: ResultRow) -> int:
    return int((row["tuning"] or {})["trial"])


def _score(row: ResultRow) -> float:
    value = (row["tuning"] or {}).get("value")
    return DIVERGED_SCORE if value is None else float(value)


def is_tune(rows: Sequence[ResultRow]) -> bool:
    """Whether ``rows`` hold a tune's rows (``harness report`` then writes this board)."""
    return any(row.get("tuning") for row in rows)


def study_rows(rows: Sequence[ResultRow]) -> list[StudyRows]:
    """Each study's rows of its newest id, in the order the studies first appear."""
    newest: dict[str, str] = {}
    for row in rows:
        tuning = row.get("tuning")
        if tuning:
            newest[tuning["study"]] = tuning["study_id"]
    studies = []
    for name, study_id in newest.items():
        mine = [r for r in rows if (r.get("tuning") or {}).get("study_id") == study_id]
        trials = _latest(mine, TRIAL, _trial)
        if not trials:
            continue
        study = StudyRows(
            name,
            sorted(trials, key=_trial),
            [r for r in _latest(mine, RERUN, _hash) if r["status"] == Status.DONE],
            [r for r in _latest(mine, UNTUNED, _hash) if r["status"] == Status.DONE],
        )
        best = study.best()  # a study given more trials may have re-run an earlier best
        reruns = [r for r in study.reruns if best is not None and _trial(r) == _trial(best)]
        studies.append(replace(study, reruns=reruns))
    return studies


def _hash(row: ResultRow) -> str:
    return row["config_hash"]


def _latest(rows: list[ResultRow], role: str, key: Any) -> list[ResultRow]:
    latest: dict[Any, ResultRow] = {}
    for row in rows:
        if (row["tuning"] or {}).get("role") == role:
            latest[key(row)] = row
    return list(latest.values())


def write_tuned_report(out_dir: Path) -> Path:
    """Write ``leaderboard.md`` with its plot and, once re-runs exist, ``leaderboard.html``
    (the page of the re-runs) from ``out_dir``'s tune; return the markdown's path."""
    rows = read_rows(out_dir / RESULTS_FILE)
    studies = study_rows(rows)
    if not studies:
        raise HarnessError(f"{out_dir / RESULTS_FILE}: no tuning trials to report")
    curves = [
        BudgetCurve.of(s.name, s.scores(), [r["cell_wall_seconds"] for r in s.trials])
        for s in studies
    ]
    reruns = [row for study in studies for row in study.reruns]

    def markdown(plot: Path) -> str:
        plot_curves(curves, plot)
        return render(studies, curves, plot.name)

    return write_files(out_dir, markdown, Leaderboard.ranking(reruns) if reruns else None)


def render(studies: list[StudyRows], curves: list[BudgetCurve], plot_name: str) -> str:
    reruns = [row for study in studies for row in study.reruns]
    parts = [
        "# rnn-harness tuned leaderboard",
        "",
        "Generated by `harness tune` from the results file; do not edit by hand.",
        "",
        *_header(studies),
        "",
        "## Search space",
        "",
        _space_table(studies),
        "",
        "## Ranking of the tuned architectures, by mean test accuracy",
        "",
    ]
    if reruns:
        board = Leaderboard.ranking(reruns)
        parts += [
            main_table(board),
            "",
            method_paragraph(board),
        ]
        parts += [
            "",
            "Each architecture's best trial (highest validation accuracy) trained again on "
            "seeds it was never tuned on and scored once on the test split; no trial ever "
            "read the test split.",
        ]
    else:
        parts.append("No re-run finished yet: run the same command again.")
    parts += ["", "## Best configurations", "", _best_table(studies)]
    parts += ["", "## What tuning changed", "", *_changes(studies)]
    parts += [
        "",
        "## Expected best validation accuracy against the budget",
        "",
        _curve_table(curves),
        "",
        *_curve_method(studies),
        "",
        f"![Expected best validation accuracy against trials and training time]({plot_name})",
        "",
        *_crossings(curves),
        "",
        "## Trials",
        "",
        _trials_table(studies),
    ]
    return "\n".join(parts) + "\n"


def _header(studies: list[StudyRows]) -> list[str]:
    every = [row for study in studies for row in (*study.trials, *study.reruns, *study.untuned)]
    newest = max(every, key=lambda row: row["finished_at"])
    tuning, data, host = studies[0].tuning, newest["data"], newest["host"]
    training = studies[0].trials[-1]["training"]
    rows = data.get("rows", {})
    seeds = sorted({row["seed"] for study in studies for row in study.reruns})
    versions = ", ".join(f"{k} {v}" for k, v in newest["versions"].items() if v)
    limit = tuning.get("max_params")
    cell_minutes = sum(row["cell_wall_seconds"] or 0 for row in every) / 60
    return [
        f"- **Command:** {escape(newest['command'], code=True)}",
        f"- **Data:** {escape(data.get('source', '?'), code=True)} "
        f"({escape(str(data.get('fingerprint', '?'))[:19])}…); rows: "
        f"{escape(rows.get('train', '?'))} train / {escape(rows.get('validation', '?'))} "
        f"validation / {escape(rows.get('test', '?'))} test",
        f"- **Budget:** {tuning.get('budget')} trials per architecture x padding strategy "
        f"({len(studies)} studies), {escape(tuning.get('sampler'))} sampler (seed "
        f"{escape(tuning.get('sampler_seed'))}), pruning: {escape(tuning.get('prune'))}"
        + (
            f", at most {limit:,} trainable parameters"
            + (" without the embedding" if tuning.get("exclude_embedding") else "")
            if limit
            else ""
        )
        + f"; every trial up to {escape(training.get('max_epochs'))} epochs, early stopping "
        f"on validation accuracy (patience {escape(training.get('patience'))}); re-runs on "
        f"seeds {seeds}",
        f"- **Machine:** {escape(host.get('cpu'))}, {escape(host.get('cores'))} cores; "
        f"{escape(newest['device'].get('parallel_cells', 1))} cells at a time; {versions}; "
        f"git {escape(newest['git_commit'] or 'unknown')}",
        f"- **Time:** {cell_minutes:.1f} minutes of cell time, "
        f"{run_wall_seconds(every) / 60:.1f} minutes from start to finish; last finished "
        f"{escape(newest['finished_at'])}",
    ]


def _space_table(studies: list[StudyRows]) -> str:
    names = list(dict.fromkeys(name for s in studies for name in s.tuning.get("space", {})))
    table = [
        [escape(s.name), *[escape(s.tuning.get("space", {}).get(n, "-")) for n in names]]
        for s in studies
    ]
    return (
        tabulate(
            table, ["study", *[escape(n) for n in names]], tablefmt="github", disable_numparse=True
        )
        + "\n\n`LOW..HIGH`: uniform, `:log` log-uniform (whole numbers for a whole-number "
        "setting); `A,B`: choices; `= V`: held at V. The shared training settings are the "
        "core's (docs/tuning.md), the others each architecture's plugin's."
    )


def _best_table(studies: list[StudyRows]) -> str:
    table = []
    for study in studies:
        best = study.best()
        if best is None:
            table.append([escape(study.name), "-", "-", "-", "no trial completed"])
            continue
        tuning: Mapping[str, Any] = best["tuning"] or {}
        measurements: Mapping[str, Any] = best["measurements"] or {}
        table.append(
            [
                escape(study.name),
                str(tuning.get("trial")),
                f"{100 * _score(best):.2f}",
                f"{measurements.get('trainable_parameters') or 0:,}",
                escape(_values(tuning.get("sampled", {}))),
            ]
        )
    headers = ["study", "best trial", "validation acc. %", "parameters", "sampled values"]
    return tabulate(table, headers, tablefmt="github", disable_numparse=True)


def _values(values: dict[str, Any]) -> str:
    return (
        ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())
        or "-"
    )


def _changes(studies: list[StudyRows]) -> list[str]:
    """A sentence per study: its re-runs against its untuned cells, paired on the test rows."""
    lines = []
    for study in studies:
        tuned, untuned = _accuracy(study.reruns), _accuracy(study.untuned)
        if tuned is None or untuned is None:
            lines.append(
                f"- **{escape(study.name)}**: "
                + ("no untuned cells to compare with." if tuned is not None else "not re-run yet.")
            )
            continue
        sentence = (
            f"- **{escape(study.name)}**: tuned {100 * tuned:.2f} % against {100 * untuned:.2f} % "
            f"with its defaults ({len(study.reruns)} and {len(study.untuned)} seeds)"
        )
        tuned_c = cell_correctness([row["measurements"] for row in study.reruns])
        untuned_c = cell_correctness([row["measurements"] for row in study.untuned])
        if (
            tuned_c is not None
            and untuned_c is not None
            and (tuned_c.test_fingerprint == untuned_c.test_fingerprint)
        ):
            comparison = bootstrap([tuned_c.correct, untuned_c.correct]).compare(0, 1)
            gap = comparison.difference
            verdict = "beyond noise" if gap.low > 0 or gap.high < 0 else "within noise"
            sentence += (
                f": {100 * gap.estimate:+.2f} points [{100 * gap.low:+.2f}, "
                f"{100 * gap.high:+.2f}], {verdict} (paired on the test rows, 95 % interval)"
            )
        lines.append(sentence + ".")
    return lines


def _accuracy(rows: list[ResultRow]) -> float | None:
    scores = [_measured(row, "test_accuracy") for row in rows]
    known = [score for score in scores if score is not None]
    return float(np.mean(known)) if known else None


def _measured(row: ResultRow, key: str) -> Any:
    measurements: Mapping[str, Any] = row["measurements"] or {}
    return measurements.get(key)


def _budgets(trials: int) -> list[int]:
    budgets = sorted({1, 2, 3, 5, trials} | {2**k for k in range(8) if 2**k <= trials})
    return [n for n in budgets if n <= trials]


def _curve_table(curves: list[BudgetCurve]) -> str:
    budgets = _budgets(max(len(curve.expected) for curve in curves))
    table = [
        [
            escape(curve.label),
            duration(curve.seconds_per_trial),
            *[
                f"{100 * curve.expected[n - 1]:.2f} ± {100 * curve.spread[n - 1]:.2f}"
                if n <= len(curve.expected)
                else "-"
                for n in budgets
            ],
        ]
        for curve in curves
    ]
    headers = ["study", "time a trial", *[f"{n} trial{'s' if n > 1 else ''}" for n in budgets]]
    return tabulate(table, headers, tablefmt="github", disable_numparse=True)


def _curve_method(studies: list[StudyRows]) -> list[str]:
    lines = [
        "Each entry: the expected best validation accuracy % of that many trials drawn from "
        "the space ± the spread of that best across tuning runs, estimated from the trials "
        "run with the unbiased estimator of Tang et al. (2020), the mean best over every "
        "subset of that size (correcting the with-replacement estimate of Dodge et al. 2019); "
        "a diverged trial counts as 0, a pruned one as its best epoch before it was stopped. "
        "Time a trial: mean wall time of a trial's cell."
    ]
    if any(study.tuning.get("sampler") == "tpe" for study in studies):
        lines += [
            "",
            "**The TPE sampler chose each trial from the ones before it, so the trials are "
            "not independent draws and these curves are not an unbiased estimate of what "
            "random search would give.**",
        ]
    return lines


def _crossings(curves: list[BudgetCurve]) -> list[str]:
    by_trials, by_time = crossings(curves), crossings(curves, by_time=True)
    if len(curves) < 2:
        return []
    if not by_trials and not by_time:
        return ["The curves do not cross: the order of the studies is the same at every budget."]
    lines = []
    if by_trials:
        lines.append(
            "By trials: "
            + "; ".join(
                f"{escape(c.leader)} overtakes {escape(c.other)} at {c.budget:.0f} trials"
                for c in by_trials
            )
            + "."
        )
    if by_time:
        lines.append(
            "By training time: "
            + "; ".join(
                f"{escape(c.leader)} overtakes {escape(c.other)} at {duration(c.budget)}"
                for c in by_time
            )
            + "."
        )
    return lines


def _trials_table(studies: list[StudyRows]) -> str:
    table = [
        [
            escape(study.name),
            str((row["tuning"] or {}).get("trial")),
            escape(row["status"]),
            "-" if (row["tuning"] or {}).get("value") is None else f"{100 * _score(row):.2f}",
            str(_measured(row, "epochs_run") or "-"),
            f"{row['cell_wall_seconds']:.0f}",
            escape(_values((row["tuning"] or {}).get("sampled", {}))),
        ]
        for study in studies
        for row in study.trials
    ]
    headers = [
        "study",
        "trial",
        "status",
        "validation acc. %",
        "epochs",
        "seconds",
        "sampled values",
    ]
    return tabulate(table, headers, tablefmt="github", disable_numparse=True)


def plot_curves(curves: list[BudgetCurve], path: Path) -> None:
    """Expected best validation accuracy against trials (left) and minutes (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (by_trials, by_time) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=110, sharey=True)
    for curve in curves:
        trials = np.arange(1, len(curve.expected) + 1)
        low, high = 100 * (curve.expected - curve.spread), 100 * (curve.expected + curve.spread)
        line = by_trials.plot(trials, 100 * curve.expected, marker="o", label=curve.label)[0]
        by_trials.fill_between(trials, low, high, color=line.get_color(), alpha=0.15)
        minutes = trials * curve.seconds_per_trial / 60
        by_time.plot(minutes, 100 * curve.expected, marker="o", color=line.get_color())
        by_time.fill_between(minutes, low, high, color=line.get_color(), alpha=0.15)
    by_trials.set_xlabel("trials")
    by_time.set_xlabel("training time, minutes of cell time")
    by_trials.set_ylabel("expected best validation accuracy % (± spread)")
    for axes in (by_trials, by_time):
        axes.grid(True, alpha=0.3)
    by_trials.legend(fontsize=8, loc="lower right")
    figure.suptitle("Expected best validation accuracy against the tuning budget")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
