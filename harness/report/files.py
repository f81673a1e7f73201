"""Writing a board's files into an output folder: ``leaderboard.md`` with its plot, and
``leaderboard.html``.

A file that cannot be written raises :class:`~harness.errors.HarnessError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.errors import HarnessError
from harness.report.html import PAGE_FILE, render_page
from harness.report.leaderboard import LEADERBOARD_FILE, PLOT_FILE, Leaderboard, render
from harness.report.plot import plot_accuracy_against_throughput
from harness.results.log import RESULTS_FILE, read_rows


def write_report(out_dir: Path) -> Path:
    """Write ``leaderboard.md`` (with its plot) and ``leaderboard.html`` from ``out_dir``'s
    results; return the markdown's path."""
    board = Leaderboard.from_rows(read_rows(out_dir / RESULTS_FILE))

    def markdown(plot: Path) -> str:
        has_plot = plot_accuracy_against_throughput(board.cells, plot)
        return render(board, plot.name if has_plot else None)

    return write_files(out_dir, markdown, board)


def write_files(
    out_dir: Path, markdown: Callable[[Path], str], page_board: Leaderboard | None
) -> Path:
    """Write ``out_dir``'s ``leaderboard.md``, made by ``markdown`` from the path its plot
    goes to, and ``leaderboard.html``, the page of ``page_board`` (none without one); return
    the markdown's path."""
    path = out_dir / LEADERBOARD_FILE
    try:
        path.write_text(markdown(out_dir / PLOT_FILE), encoding="utf-8")
        if page_board is not None:
            (out_dir / PAGE_FILE).write_text(render_page(page_board), encoding="utf-8")
    except OSError as error:
        where = error.filename or out_dir
        raise HarnessError(f"cannot write {where}: {error.strerror or error}") from None
    return path
