"""``harness report``: turn the results file into ``leaderboard.md``, ``leaderboard.png`` and
``leaderboard.html`` (:mod:`harness.report.html`).

The leaderboard covers one *comparison* (same data, training settings and
device), by default the one of the newest row. Cells are ranked by mean test
accuracy over seeds. When every run recorded its test predictions on the same
test rows (schema 2), intervals and shared ranks come from paired tests over
seeds and test rows (:mod:`harness.report.statistics`). Otherwise the board falls back
to the unpaired rule of schema 1, and says so: two cells are within noise when
their means differ by no more than twice the standard error of the difference,
``2 * sqrt(se_a**2 + se_b**2)``, where a cell's standard error is its seeds'
standard deviation over sqrt(seeds) (with one seed, the test split's sampling
error ``sqrt(p * (1 - p) / test_rows)``). Either way, a cell within noise of the
leader of a rank group shares that rank, marked ``=``.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pandas as pd
from tabulate import tabulate

from harness.config import DEFAULT_BACKEND
from harness.errors import HarnessError
from harness.report.calibration import Calibration, cell_calibration
from harness.report.markdown import escape
from harness.report.per_class import ClassScores, class_scores
from harness.report.statistics import (
    MAX_SEEDS_SUGGESTED,
    RESAMPLES,
    Bootstrap,
    PairedComparison,
    Ranking,
    bootstrap,
    seeds_to_separate,
    shared_ranks,
)
from harness.results.log import ResultsWarning, latest_by_config
from harness.results.predictions import cell_correctness
from harness.results.schema import ResultRow, Status, measurements_of, scored_on_test

LEADERBOARD_FILE = "leaderboard.md"
PLOT_FILE = "leaderboard.png"
SHARED_RANK_MARK = "="
THROUGHPUT_NOTE = (
    "Throughput is training examples per second on steady-state epochs (the first epoch's "
    "tracing is the warm-up); padded share is padding tokens / all tokens fed in one epoch."
)

CellKey = tuple[str, str, str]  # (architecture, padding, Keras backend)


class NoResultsError(HarnessError):
    """A results file without a row to report."""


@dataclass(frozen=True)
class PairedStatistics:
    """The paired statistics behind a board's intervals and ranks (cells in board order)."""

    bootstrap: Bootstrap
    ranking: Ranking
    test_rows: int

    def neighbours(self) -> list[tuple[int, PairedComparison, float]]:
        """Each cell against the next one down: (upper cell, comparison, Holm-adjusted p)."""
        return [
            (
                upper,
                self.bootstrap.compare(upper, upper + 1),
                self.ranking.adjusted_p[upper, upper + 1],
            )
            for upper in range(len(self.ranking.ranks) - 1)
        ]


@dataclass(frozen=True)
class Leaderboard:
    rows: list[ResultRow]
    cells: pd.DataFrame  # one row per (architecture, padding), ranked
    failures: pd.DataFrame
    paired: PairedStatistics | None = None  # None: the unpaired fallback
    fallback_reason: str | None = None
    # Each cell's, in board order; None where its rows did not record what they need.
    class_scores: dict[CellKey, ClassScores | None] = field(default_factory=dict)
    calibration: dict[CellKey, Calibration | None] = field(default_factory=dict)
    left_out: str | None = None  # the rows of other comparisons, in words

    @property
    def mixed_backends(self) -> bool:
        """Whether the board's cells trained on more than one of Keras's backends: then its
        tables name each cell's backend; else its header names the one."""
        return len(backends(self.rows)) > 1

    def cell_name(self, key: CellKey) -> str:
        """``architecture / padding``, and ``/ backend`` on a board of several backends."""
        return " / ".join(key if self.mixed_backends else key[:2])

    @classmethod
    def from_rows(cls, rows: list[ResultRow]) -> Leaderboard:
        """The latest row of each cell, of the comparison that the newest row belongs to;
        warns (:class:`ResultsWarning`) of the rows of other comparisons, left out."""
        chosen = reported_rows(rows)
        left_out = _left_out(rows, chosen)
        if left_out:
            warnings.warn(f"the leaderboard leaves out {left_out}", ResultsWarning, stacklevel=2)
        return replace(cls.ranking(chosen), left_out=left_out)

    @classmethod
    def ranking(cls, chosen: list[ResultRow]) -> Leaderboard:
        """The board of ``chosen``, one row per cell run, ranked as they are (e.g. the tuned
        re-runs, whose training settings differ from one architecture to the next)."""
        cells = _cells(chosen)
        paired, reason = _paired_statistics(chosen, cells)
        if paired is not None:
            cells["rank"], cells["shared_rank"] = paired.ranking.ranks, paired.ranking.shared
            intervals = [paired.bootstrap.cell_interval(k) for k in range(len(cells))]
            cells["interval_low"] = [interval.low for interval in intervals]
            cells["interval_high"] = [interval.high for interval in intervals]
        elif not cells.empty:
            cells["rank"], cells["shared_rank"] = _noise_aware_ranks(cells)
        by_cell = done_by_cell(chosen)
        seeds = {key: [row["measurements"] for row in by_cell[key]] for key in cell_keys(cells)}
        names = class_names(chosen)
        scores = {key: class_scores(measured, names) for key, measured in seeds.items()}
        calibration = {key: cell_calibration(measured) for key, measured in seeds.items()}
        if not cells.empty:
            cells["calibration_error"] = [
                c.expected_error if c else math.nan for c in calibration.values()
            ]
        return cls(chosen, cells, _failures(chosen), paired, reason, scores, calibration)


def cell_keys(cells: pd.DataFrame) -> list[CellKey]:
    """(architecture, padding, backend) of each cell of a board, in its order."""
    if cells.empty:
        return []
    return list(zip(cells.architecture, cells.padding, cells.backend, strict=True))


def backend_of(row: ResultRow) -> str:
    """The Keras backend a row's cell trained on (rows before ``--backend``: TensorFlow)."""
    return str(row.get("backend") or DEFAULT_BACKEND)


def backends(rows: list[ResultRow]) -> list[str]:
    """The Keras backends of ``rows``, each once, in the order of :data:`BACKENDS`' names."""
    return sorted(
        {backend_of(row) for row in rows}, key=lambda name: (name != DEFAULT_BACKEND, name)
    )


def class_names(rows: list[ResultRow]) -> list[str]:
    """The class names of a board's data (its newest row's), as its rows recorded them."""
    return [str(name) for name in rows[-1]["data"].get("class_names") or []]


def reported_rows(rows: list[ResultRow]) -> list[ResultRow]:
    """The rows a board reports: the latest of each cell, of the newest row's comparison;
    never a tuning trial's, which has no test score."""
    latest = [row for row in latest_by_config(rows).values() if scored_on_test(row)]
    if not latest:
        raise NoResultsError("no results to report: run `harness run` first")
    comparison = latest[-1]["comparison"]
    return [row for row in latest if row["comparison"] == comparison]


def _left_out(rows: list[ResultRow], chosen: list[ResultRow]) -> str | None:
    """The latest rows of other comparisons than ``chosen``'s, described; None if none."""
    reported = {id(row) for row in chosen}
    others: dict[str, list[ResultRow]] = {}
    for row in latest_by_config(rows).values():
        if id(row) not in reported and scored_on_test(row):  # a tuning trial is not left out
            others.setdefault(row["comparison"], []).append(row)
    if not others:
        return None
    described = [
        f"data {escape(group[-1]['data'].get('source', '?'), code=True)} (rnn-harness "
        f"{escape(group[-1]['versions'].get('rnn-harness') or '?')}, {_rows(len(group))})"
        for group in list(others.values())[:3]
    ]
    count = sum(map(len, others.values()))
    return (
        f"{_rows(count)} of {len(others)} other comparison{'s' if len(others) > 1 else ''} in the "
        f"results file: {'; '.join(described)}{'; …' if len(others) > 3 else ''}. A board "
        "ranks the cells of one comparison, the newest's (docs/results.md)"
    )


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


def done_by_cell(rows: list[ResultRow]) -> dict[CellKey, list[ResultRow]]:
    """The ``done`` rows of each (architecture, padding, backend), in seed order."""
    cells: dict[CellKey, list[ResultRow]] = {}
    for row in sorted(rows, key=lambda row: row["seed"]):
        if row["status"] == Status.DONE:
            key = (row["architecture"], row["padding"], backend_of(row))
            cells.setdefault(key, []).append(row)
    return cells


def _has_predictions(row: ResultRow) -> bool:
    measurements: Mapping[str, Any] = row["measurements"] or {}
    return bool(measurements.get("test_predictions"))


def _paired_statistics(
    rows: list[ResultRow], cells: pd.DataFrame
) -> tuple[PairedStatistics | None, str | None]:
    """Paired statistics of ``cells`` (ranked by mean accuracy), or None and why not."""
    if cells.empty:
        return None, None
    by_cell = done_by_cell(rows)
    keys = cell_keys(cells)
    runs = sum(len(by_cell[key]) for key in keys)
    missing = sum(not _has_predictions(r) for key in keys for r in by_cell[key])
    if missing:
        return None, (
            f"{missing} of {runs} runs carry no test predictions: their rows predate schema 2"
        )
    correctness = [cell_correctness([r["measurements"] for r in by_cell[key]]) for key in keys]
    if (
        any(c is None for c in correctness)
        or len({c.test_fingerprint for c in correctness if c}) > 1
    ):
        return None, "the runs were not all scored on the same test rows"
    board = bootstrap([c.correct for c in correctness if c is not None])
    ranking = shared_ranks(board, list(range(len(cells))))
    return PairedStatistics(board, ranking, board.rows), None


def _cells(rows: list[ResultRow]) -> pd.DataFrame:
    """One row per (architecture, padding, backend) with its means over seeds, by mean
    accuracy."""
    done = [row for row in rows if row["status"] == Status.DONE]
    if not done:
        return pd.DataFrame()
    frame = pd.DataFrame(
        {
            "architecture": row["architecture"],
            "padding": row["padding"],
            "backend": backend_of(row),
            "seed": row["seed"],
            "test_rows": row["data"]["rows"].get("test", math.nan),
            "machine": machine_kind(row),
            **{
                key: value
                for key, value in measurements_of(row).items()
                if key not in ("history", "test_predictions", "test_confidence")
            },
        }
        for row in done
    )
    measured = frame.columns.drop(["architecture", "padding", "backend", "machine"])
    frame[measured] = frame[measured].apply(pd.to_numeric, errors="coerce")  # older rows: nulls
    grouped = frame.groupby(["architecture", "padding", "backend"], sort=False)
    cells = grouped.agg(
        seeds=("seed", "count"),
        accuracy=("test_accuracy", "mean"),
        accuracy_sd=("test_accuracy", "std"),
        macro_f1=("test_macro_f1", "mean"),
        test_loss=("test_loss", "mean"),
        best_epoch=("best_epoch", "mean"),
        train_per_s=("train_examples_per_second", "mean"),
        warmup_s=("warmup_seconds", "mean"),
        s_per_epoch=("seconds_per_epoch", "mean"),
        infer_per_s=("inference_examples_per_second", "mean"),
        parameters=("trainable_parameters", "first"),
        padded_share=("padded_share", "mean"),
        peak_host_mb=("peak_host_memory_mb", "max"),
        test_rows=("test_rows", "first"),
        machines=("machine", lambda kinds: tuple(sorted(set(kinds)))),
    ).reset_index()
    cells["accuracy_sd"] = cells["accuracy_sd"].fillna(0.0)
    cells["standard_error"] = [
        sd / math.sqrt(n) if n > 1 else math.sqrt(p * (1 - p) / rows) if rows else math.nan
        for sd, n, p, rows in zip(
            cells.accuracy_sd, cells.seeds, cells.accuracy, cells.test_rows, strict=True
        )
    ]
    return cells.sort_values("accuracy", ascending=False, kind="stable").reset_index(drop=True)


def machine_kind(row: ResultRow) -> str:
    """What a row's throughput depends on besides the cell: the CPU model and cores of the
    machine it ran on, and the GPU it used."""
    host, gpu = row.get("host") or {}, (row.get("device") or {}).get("gpu_name")
    return f"{host.get('cpu', '?')}, {host.get('cores', '?')} cores" + (f", {gpu}" if gpu else "")


def _noise_aware_ranks(cells: pd.DataFrame) -> tuple[list[int], list[bool]]:
    """The unpaired fallback: the ranks of schema 1 (see the module's text)."""
    ranks: list[int] = []
    shared = [False] * len(cells)
    leader = 0
    for position in range(len(cells)):
        gap = cells.accuracy[leader] - cells.accuracy[position]
        noise = 2 * math.hypot(cells.standard_error[leader], cells.standard_error[position])
        if position > leader and gap <= noise:
            ranks.append(ranks[leader])
            shared[leader] = shared[position] = True
        else:
            leader = position
            ranks.append(position + 1)
    return ranks, shared


def _failures(rows: list[ResultRow]) -> pd.DataFrame:
    """The cells that did not finish; with their backend when the rows mix backends."""
    failed = [row for row in rows if row["status"] != Status.DONE]
    mixed = len(backends(rows)) > 1
    columns = ["architecture", "padding", *(["backend"] if mixed else []), "seed", "status"]
    return pd.DataFrame(
        [
            [
                row["architecture"], row["padding"], *([backend_of(row)] if mixed else []),
                row["seed"], row["status"], row["reason"],
            ]
            for row in failed
        ],
        columns=[*columns, "reason"],
    )  # fmt: skip


def render(board: Leaderboard, plot_name: str | None) -> str:
    parts = [
        "# rnn-harness leaderboard",
        "",
        "Generated by `harness report` from the results file; do not edit by hand.",
        "",
        *header_facts(board),
        "",
        "## Ranking by mean test accuracy",
        "",
        main_table(board),
        *mixed_machines(board),
        "",
        method_paragraph(board),
        "",
        table_note(board),
    ]
    if plot_name:
        parts += ["", f"![Test accuracy against training throughput]({plot_name})"]
    if board.paired is not None and len(board.cells) > 1:
        parts += ["", "## Neighbours in the ranking", "", _neighbours(board, board.paired)]
    parts += ["", "## Architecture x padding strategy", "", _matrix(board)]
    parts += ["", "## F1 of each class", "", _class_f1(board)]
    parts += ["", "## Architectures", "", _architectures(board.rows)]
    parts += ["", "## Failures", ""]
    if board.failures.empty:
        parts.append("None: every cell finished.")
    else:
        failures = board.failures.map(escape)
        parts.append(tabulate(failures, headers="keys", tablefmt="github", showindex=False))
    return "\n".join(parts) + "\n"


def header_facts(board: Leaderboard) -> list[str]:
    """The header's list: command, data, training, device, versions, machine, cells."""
    newest = board.rows[-1]
    data, training, host = newest["data"], newest["training"], newest["host"]
    rows = data["rows"]
    versions = ", ".join(
        f"{escape(name)} {escape(value)}" for name, value in newest["versions"].items() if value
    )
    gpus = "; ".join(
        f"{g.get('name')} (driver {g.get('driver')}, CUDA {g.get('cuda')})" for g in host["gpus"]
    )
    device = newest["device"]
    sharing = _sharing(
        device, newest.get("placement"), backends(board.rows), _most_cells_in_a_run(board.rows)
    )
    wall = sum(row["cell_wall_seconds"] or 0 for row in board.rows)
    done = sum(row["status"] == Status.DONE for row in board.rows)
    seeds = sorted({row["seed"] for row in board.rows})
    return [
        f"- **Command:** {escape(newest['command'], code=True)}",
        f"- **Data:** {escape(data['source'], code=True)} "
        f"({escape(str(data.get('fingerprint', '?'))[:19])}…), fields "
        f"{escape(data.get('fields', '?'), code=True)}, normalised: "
        f"{escape(data.get('normalize', '?'))}, vocabulary "
        f"{escape(data.get('vocabulary_size_used', '?'))} tokens; rows: "
        f"{escape(rows.get('train', '?'))} train / {escape(rows.get('validation', '?'))} "
        f"validation / {escape(rows.get('test', '?'))} test",
        f"- **Training:** {training_summary(training)}, up to "
        f"{escape(training.get('max_epochs', '?'))} epochs, early stopping on validation "
        f"accuracy (patience {escape(training.get('patience', '?'))}, best weights restored); "
        f"seeds {seeds}",
        *_embeddings(newest.get("embeddings")),
        f"- **Device:** {escape(device.get('used', '?'))}, {_backends(board)}"
        f"precision {escape(device.get('precision_policy', '?'))}, "
        f"deterministic ops: {escape(device.get('deterministic', '?'))}; {sharing}",
        *_executor(board.rows),
        f"- **Versions:** {versions}; git {escape(newest['git_commit'] or 'unknown')}",
        f"- **Machine:** {escape(host['cpu'])}, {escape(host['cores'])} cores, "
        f"{escape(host['memory_gb'])} GiB" + (f"; GPUs: {escape(gpus)}" if gpus else "; no GPU"),
        *([f"- **Left out:** {board.left_out}"] if board.left_out else []),
        f"- **Cells:** {done} done, {len(board.rows) - done} not; {wall / 60:.1f} minutes of "
        f"cell time, {run_wall_seconds(board.rows) / 60:.1f} minutes from start to finish"
        f"{_estimated(board.rows)}; last finished {escape(newest['finished_at'])}",
    ]


def _embeddings(embeddings: Mapping[str, Any] | None) -> list[str]:
    """The header's line on the pretrained vectors the cells started from, if any."""
    if not embeddings:
        return []
    return [
        f"- **Embeddings:** {escape(embeddings['source'], code=True)} "
        f"({escape(str(embeddings['fingerprint'])[:19])}…, {escape(embeddings['format'])}), "
        f"{escape(embeddings['dimension'])} dimensions, "
        f"{'fine-tuned' if embeddings['trainable'] else 'frozen'}; they cover "
        f"{embeddings['vocabulary_coverage']:.1%} of the vocabulary "
        f"({embeddings['words_found']:,} of {embeddings['vocabulary_words']:,} words) and "
        f"{embeddings['token_coverage']:.1%} of the training tokens; the other words and the "
        "out-of-vocabulary token start from seeded random vectors of their scale"
    ]


def mixed_machines(board: Leaderboard) -> list[str]:
    """A warning, and each machine kind's label, when the cells' throughputs were measured
    on more than one kind of machine (Ray picks the node of each cell)."""
    cells = board.cells
    if cells.empty:
        return []
    kinds = sorted({kind for machines in cells.machines for kind in machines})
    if len(kinds) < 2:
        return []
    legend = "; ".join(f"M{number}: {escape(kind)}" for number, kind in enumerate(kinds, 1))
    return [
        "",
        f"**Throughputs mix {len(kinds)} machine kinds** ({legend}): compare the throughput "
        "columns only between cells measured on one kind. The cells' machines: "
        + ", ".join(
            f"{escape(board.cell_name(key))} "
            + "+".join(f"M{kinds.index(kind) + 1}" for kind in c.machines)
            for key, c in zip(cell_keys(cells), cells.itertuples(), strict=True)
        )
        + ".",
    ]


def _executor(rows: list[ResultRow]) -> list[str]:
    """The Ray line of the header: what each cell reserved, and the cluster's size."""
    placement = rows[-1].get("placement") or {}
    if placement.get("executor") != "ray":
        return []
    cluster = placement["cluster"]
    nodes = len({row["host"]["hostname"] for row in rows if row["status"] == Status.DONE})
    return [
        f"- **Executor:** Ray, {placement['cpus_per_cell']} CPU(s) + "
        f"{placement['gpus_per_cell']} GPU(s) per cell; cluster of {cluster['nodes']} node(s), "
        f"{cluster['cpus']:g} CPUs, {cluster['gpus']:g} GPUs; cells ran on {nodes} host(s)"
    ]


# Who picks a cell's threads when the harness does not, on each of Keras's backends.
DEFAULT_THREADS = {
    "tensorflow": "TensorFlow's default",
    "jax": "XLA's default",
    "torch": "torch's default",
}


def _backends(board: Leaderboard) -> str:
    """The header's words on the Keras backends the board's cells trained on: none for
    TensorFlow's alone, the default (so that a board of its rows reads as it always has)."""
    names = backends(board.rows)
    listed = ", ".join(escape(name) for name in names)
    if board.mixed_backends:
        return f"Keras backends {listed} (a column of the tables), "
    return "" if names == [DEFAULT_BACKEND] else f"Keras backend {listed}, "


def _sharing(
    device: Mapping[str, Any],
    placement: Mapping[str, Any] | None,
    backend_names: list[str],
    most_in_a_run: int = 2,
) -> str:
    """How the cells shared the machine; ``most_in_a_run``: the most cells a run trained."""
    cells = escape(device.get("parallel_cells", 1))
    default = (
        DEFAULT_THREADS.get(backend_names[0], "?")
        if len(backend_names) == 1
        else "each backend's default"
    )
    threads = escape(device.get("threads_used") or default)
    if most_in_a_run == 1 and cells != "1":
        return f"one cell, threads: {threads} (--jobs {cells}: no other cell trained beside it)"
    if placement and placement.get("executor") == "ray":
        return (
            f"threads per cell: {threads}; a node runs as many cells at once as its CPUs and "
            "GPUs hold (a cell's throughput is measured beside the others on its node)"
        )
    if cells == "1":
        return f"one cell at a time, threads: {threads}"
    return (
        f"{cells} cells at a time, threads per cell: {threads} (a cell's throughput is "
        "measured while other cells train beside it)"
    )


def _most_cells_in_a_run(rows: list[ResultRow]) -> int:
    """The most of ``rows`` that one run wrote (runs told apart by when they started)."""
    return max(Counter(row["run_started_at"] for row in rows).values(), default=0)


def run_wall_seconds(rows: list[ResultRow]) -> float:
    """Wall time of the runs that wrote ``rows``, each from its start to its last row; where
    runs overlap (started side by side into one --out), the time they overlap counts once."""
    last_finished: dict[str, datetime] = {}
    for row in rows:
        started, finished = row["run_started_at"], datetime.fromisoformat(row["finished_at"])
        last_finished[started] = max(last_finished.get(started, finished), finished)
    total, covered_until = 0.0, None
    for start, end in sorted((datetime.fromisoformat(s), e) for s, e in last_finished.items()):
        if covered_until is not None:
            start = max(start, covered_until)
        if end > start:
            total += (end - start).total_seconds()
        covered_until = end if covered_until is None else max(covered_until, end)
    return total


def _estimated(rows: list[ResultRow]) -> str:
    """`` (estimated N before the first cell)``, when every run that wrote ``rows`` made an
    estimate (its rows hold it, see harness/execution/cost.py); else nothing."""
    estimates: dict[str, float | None] = {}
    for row in rows:
        estimate = row.get("estimate") or {}
        estimates[row["run_started_at"]] = estimate.get("run_seconds")
    if not estimates or None in estimates.values():
        return ""
    total = sum(value or 0.0 for value in estimates.values())
    return f" (estimated {total / 60:.1f} before the first cell)"


def training_summary(training: Mapping[str, Any]) -> str:
    """Batch, optimiser and regularisation of a row's ``training`` settings, in one phrase."""
    setting = {
        key: escape(training.get(key, default))
        for key, default in (
            ("batch_size", "?"),
            ("learning_rate", "?"),
            ("embedding_dim", "?"),
            ("embedding_dropout", "?"),
            ("word_dropout", 0),
            ("ema_momentum", 0),
        )
    }
    every = training.get("ema_every", 1)  # rows before it: every step
    return (
        f"batch {setting['batch_size']}, Adam lr {setting['learning_rate']}, "
        f"embedding {setting['embedding_dim']} (dropout {setting['embedding_dropout']}), "
        f"word dropout {setting['word_dropout']}, weights averaged with momentum "
        f"{setting['ema_momentum']}"
        + (f" a step, updated every {escape(every)} steps" if every != 1 else "")
    )


def method_paragraph(board: Leaderboard) -> str:
    """The paragraph under the ranking that says how its intervals and ranks were made."""
    mark = f"`{SHARED_RANK_MARK}`"
    if board.paired is None:
        return (
            f"**Unpaired fallback:** {board.fallback_reason or 'no test predictions'}. Cells "
            "whose mean accuracies differ by no more than twice the standard error of the "
            f"difference share a rank, marked {mark}; a cell's standard error is its seeds' "
            "standard deviation over √seeds, so the test rows' own sampling noise is left out "
            "when there is more than one seed (see `harness/report/leaderboard.py`). "
            "Runs of schema 2 record their test predictions and get paired ranks "
            "(`--force` re-runs finished cells)."
        )
    paired = board.paired
    return (
        f"How sure: each interval comes from a hierarchical bootstrap ({RESAMPLES:,} seeded "
        f"resamples) that draws the {paired.test_rows:,} test rows with replacement, the same "
        "draw for every cell, and each cell's seeds with replacement, so it holds the test "
        "rows' sampling noise as well as the seeds'. Two cells are compared on the same test "
        "rows (paired): the difference of their accuracies with its bootstrap standard error, "
        "referred to a Student t distribution whose degrees of freedom (Welch-Satterthwaite) "
        "reflect how few seeds there are. All "
        f"{paired.ranking.comparisons} pairs of cells are tested and their p-values adjusted "
        "with Holm's method, which keeps the chance of any false 'better' in this table under "
        f"5 %; a cell shares the rank of the best cell of its group, marked {mark}, unless "
        "the adjusted test separates them. P(A > B) is the chance that a run of one cell "
        "beats a run of the other on these rows, over all pairs of seeds (Bouthillier et al., "
        "2021). See `harness/report/statistics.py`."
    )


def _neighbours(board: Leaderboard, paired: PairedStatistics) -> str:
    cells = board.cells
    names = [board.cell_name(key) for key in cell_keys(cells)]
    table = []
    for upper, comparison, adjusted in paired.neighbours():
        difference = comparison.difference
        if cells.loc[upper, "rank"] != cells.loc[upper + 1, "rank"]:
            settle = "-"
        else:
            seeds = seeds_to_separate(comparison, paired.ranking.comparisons)
            settle = (
                "not separable by seeds: the test split is too small"
                if seeds is None
                else f"> {seeds - 1:,}"
                if seeds > MAX_SEEDS_SUGGESTED
                else f"{seeds:,}"
            )
        table.append(
            [
                escape(names[upper]),
                escape(names[upper + 1]),
                f"{100 * difference.estimate:+.2f} [{100 * difference.low:+.2f}, "
                f"{100 * difference.high:+.2f}]",
                f"{comparison.a_beats_b:.2f} [{comparison.a_beats_b_low:.2f}, "
                f"{comparison.a_beats_b_high:.2f}]",
                f"{adjusted:.3g}",
                settle,
            ]
        )
    headers = [
        "higher cell",
        "next cell",
        "difference, points [95 % interval]",
        "P(higher > next) [95 % interval]",
        "Holm-adjusted p",
        "seeds per cell that would separate them",
    ]
    return (
        tabulate(table, headers, tablefmt="github", disable_numparse=True)
        + "\n\nA rank group starts at its best cell and holds every cell within noise of it, so "
        "two neighbours in different groups can still be within noise of each other. Seeds "
        "that would separate two neighbours that share a rank: at today's gap and seed "
        "spread, the seeds per cell at which the gap would pass the strictest Holm step; the "
        "test rows' part of the noise does not shrink with more seeds."
    )


@dataclass(frozen=True)
class RankingColumn:
    """A column of the ranking table: its header, its text for a cell (a row of
    ``cells.itertuples()``) and the column of ``cells`` a reader sorts it by."""

    header: str
    text: Callable[[Any], str]
    sort_by: str
    from_plugins: bool = False  # names from plugins: escaped in markdown


def ranking_columns(board: Leaderboard) -> list[RankingColumn]:
    """The ranking table's columns: with the paired intervals when the board has them, and
    the calibration error when a cell recorded its confidences."""
    paired = board.paired is not None
    return [
        RankingColumn(
            "rank",
            lambda c: f"{SHARED_RANK_MARK}{c.rank}" if c.shared_rank else str(c.rank),
            "rank",
        ),
        RankingColumn("architecture", lambda c: c.architecture, "architecture", True),
        RankingColumn("padding", lambda c: c.padding, "padding", True),
        *(
            [RankingColumn("backend", lambda c: c.backend, "backend")]
            if board.mixed_backends
            else []
        ),
        RankingColumn(
            "test acc. % (± sd)",
            lambda c: f"{_figure(100 * c.accuracy, '.2f')} ± {_figure(100 * c.accuracy_sd, '.2f')}",
            "accuracy",
        ),
        *(
            [
                RankingColumn(
                    "95 % interval",
                    lambda c: f"[{100 * c.interval_low:.2f}, {100 * c.interval_high:.2f}]",
                    "interval_low",
                )
            ]
            if paired
            else []
        ),
        RankingColumn("seeds", lambda c: str(c.seeds), "seeds"),
        _measured("macro-F1 %", "macro_f1", ".2f", scale=100),
        *(
            [_measured("ECE %", "calibration_error", ".2f", scale=100, missing="not recorded")]
            if _calibrated(board)
            else []
        ),
        _measured("best epoch", "best_epoch", ".1f"),
        _measured("train ex/s", "train_per_s", ",.0f"),
        _measured("s/epoch", "s_per_epoch", ".2f"),
        _measured("warm-up s", "warmup_s", ".1f"),
        _measured("infer ex/s", "infer_per_s", ",.0f"),
        _measured("parameters", "parameters", ",.0f"),
        _measured("padded share", "padded_share", ".3f"),
        _measured("peak MiB", "peak_host_mb", ",.0f"),
    ]


def _measured(
    header: str, key: str, spec: str, scale: float = 1.0, missing: str = "-"
) -> RankingColumn:
    """A column of one measurement of ``cells``, formatted by ``spec``."""
    return RankingColumn(header, lambda c: _figure(scale * getattr(c, key), spec, missing), key)


def _calibrated(board: Leaderboard) -> bool:
    """Whether a cell of the board recorded its confidences."""
    return any(calibration is not None for calibration in board.calibration.values())


def main_table(board: Leaderboard) -> str:
    if board.cells.empty:
        return "No cell finished."
    columns = ranking_columns(board)
    table = [
        [escape(col.text(c)) if col.from_plugins else col.text(c) for col in columns]
        for c in board.cells.itertuples()
    ]
    headers = [column.header for column in columns]
    return tabulate(table, headers, tablefmt="github", disable_numparse=True)


def table_note(board: Leaderboard) -> str:
    """What the ranking's throughput columns and, when it has one, its ECE column mean."""
    if not _calibrated(board):
        return THROUGHPUT_NOTE
    return THROUGHPUT_NOTE + (
        " ECE is the expected calibration error: the gap between how sure a model was (the "
        "probability of the class it predicted) and how often it was right, over 10 bins of "
        "that probability weighted by their test rows, the mean of the seeds' (see "
        "`harness/report/calibration.py`); rows written before rnn-harness recorded "
        "confidences show 'not recorded'."
    )


def _figure(value: float, spec: str, missing: str = "-") -> str:
    """``value`` formatted by ``spec``; ``missing`` where older rows did not measure it."""
    return missing if pd.isna(value) else format(value, spec)


def _matrix(board: Leaderboard) -> str:
    """Architectures by padding strategies (and backends, on a board of several)."""
    cells = board.cells
    if cells.empty:
        return "No cell finished."
    text = cells.assign(
        value=[
            f"{_figure(100 * a, '.2f')} ± {_figure(100 * sd, '.2f')} ({_figure(speed, ',.0f')}/s)"
            for a, sd, speed in zip(
                cells.accuracy, cells.accuracy_sd, cells.train_per_s, strict=True
            )
        ],
        column=[board.cell_name(key).split(" / ", 1)[1] for key in cell_keys(cells)],
    ).pivot(index="architecture", columns="column", values="value")
    text = text.fillna("-")
    text.index = [escape(name) for name in text.index]
    text.columns = [escape(name) for name in text.columns]
    return (
        tabulate(text, headers="keys", tablefmt="github", disable_numparse=True)
        + "\n\nEach cell: test accuracy % (mean ± sd over seeds) and training examples per second."
    )


def _class_f1(board: Leaderboard) -> str:
    """Each cell's F1 for each class, in the ranking's order."""
    recorded = [scores for scores in board.class_scores.values() if scores is not None]
    if not recorded:
        return "Not recorded: the rows carry no test predictions (they predate schema 2)."
    names = max((scores.class_names for scores in recorded), key=len)
    shown = 3 if board.mixed_backends else 2  # architecture, padding[, backend]
    table = [
        [
            *(escape(part) for part in key[:shown]),
            *(f"{100 * f1:.1f}" for f1 in (scores.f1 if scores else [])),
            *["-"] * (len(names) - (len(scores.class_names) if scores else 0)),
        ]
        for key, scores in board.class_scores.items()
    ]
    headers = ["architecture", "padding", "backend"][:shown] + [escape(name) for name in names]
    return (
        tabulate(table, headers, tablefmt="github", disable_numparse=True)
        + "\n\nF1 % of each class on the test split, from the confusion matrix of the cell's "
        "seeds together (summed over seeds), in the order of the ranking. `leaderboard.html` "
        "shows each cell's confusion matrix, precision and recall."
    )


def _architectures(rows: list[ResultRow]) -> str:
    seen: dict[str, list[str]] = {}
    for row in rows:
        plugin = row["plugin"]
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items()) or "-"
        seen[row["architecture"]] = [
            escape(row["architecture"]),
            escape(f"{plugin.get('name')} ({plugin.get('distribution')} {plugin.get('version')})"),
            escape(params),
            escape(row["summary"]),
        ]
    return tabulate(
        list(seen.values()),
        ["architecture", "plugin", "hyperparameters", "summary"],
        tablefmt="github",
        disable_numparse=True,
    )
