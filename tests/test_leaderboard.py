"""Ranking within noise, and markdown that plugin text cannot break (no training needed)."""

import re

import numpy as np
import pytest
from helpers.paired_rows import right_on, rows_with_predictions
from helpers.result_rows import result_row, schema_1_row

from harness.report.leaderboard import Leaderboard, render
from harness.report.markdown import escape
from harness.results.log import ResultsWarning, append_row, read_rows


def test_cells_within_noise_share_a_rank():
    rows = [
        *(result_row("a", "mask", s, acc) for s, acc in enumerate([0.90, 0.91, 0.92])),  # mean 0.91
        *(result_row("b", "mask", s, acc) for s, acc in enumerate([0.89, 0.91, 0.90])),  # mean 0.90
        *(result_row("c", "mask", s, acc) for s, acc in enumerate([0.70, 0.71, 0.70])),  # far below
    ]
    cells = Leaderboard.from_rows(rows).cells
    assert list(cells.architecture) == ["a", "b", "c"]
    assert list(cells["rank"]) == [1, 1, 3]
    assert list(cells.shared_rank) == [True, True, False]
    table = render(Leaderboard.from_rows(rows), None)
    assert "| =1     | a" in table and "| =1     | b" in table and "| 3      | c" in table


def test_distinct_cells_get_distinct_ranks():
    rows = [result_row("a", "mask", s, 0.90 + s / 1000) for s in range(3)]
    rows += [result_row("b", "mask", s, 0.80 + s / 1000) for s in range(3)]
    cells = Leaderboard.from_rows(rows).cells
    assert list(cells["rank"]) == [1, 2]
    assert not any(cells.shared_rank)


def test_one_seed_falls_back_on_the_test_split_sampling_error():
    # sqrt(.9 * .1 / 1000) ~ 0.0095 each; 2 * hypot ~ 0.027: 0.02 apart is noise, 0.05 is not
    first = result_row("a", "mask", 0, 0.90)
    near = Leaderboard.from_rows([first, result_row("b", "mask", 0, 0.88)]).cells
    far = Leaderboard.from_rows([first, result_row("b", "mask", 0, 0.85)]).cells
    assert list(near["rank"]) == [1, 1]
    assert list(far["rank"]) == [1, 2]


def test_the_latest_row_of_a_cell_counts_and_one_comparison_is_reported():
    rows = [
        result_row("a", "mask", 0, None, status="error", reason="first try failed"),
        result_row("a", "mask", 0, 0.9),
        result_row("z", "mask", 0, 0.5, comparison="older"),
        result_row("b", "mask", 0, 0.8),
    ]
    board = Leaderboard.from_rows(rows)
    assert board.failures.empty
    assert set(board.cells.architecture) == {"a", "b"}


def test_a_board_says_which_rows_of_other_comparisons_it_leaves_out(tmp_path):
    """Rows of another data set appended to the file used to vanish from the board silently."""
    rows = [result_row("a", "mask", s, 0.9) for s in range(2)]
    for row in rows:
        row["data"]["source"] = "big-news"
    rows += [result_row("b", "mask", 0, 0.8, comparison="c2")]  # the newest: its board
    results = tmp_path / "results.jsonl"
    for row in rows:
        append_row(results, row)
    with pytest.warns(ResultsWarning, match=r"leaves out 2 rows of 1 other comparison") as caught:
        board = Leaderboard.from_rows(read_rows(results))
    assert "`big-news`" in str(caught[0].message)
    assert list(board.cells.architecture) == ["b"]
    text = render(board, None)
    assert "- **Left out:** 2 rows of 1 other comparison in the results file: data `big-news`" in (
        text
    )


def test_failures_are_listed_with_escaped_reasons():
    failed = result_row("x|y", "mask", 0, None, "error", "bad | <b>\nthing")
    rows = [result_row("a", "mask", 0, 0.9), failed]
    text = render(Leaderboard.from_rows(rows), None)
    assert re.search(r"\| x\\\|y +\| mask +\| +0 \| error +\| bad \\\| &lt;b&gt; thing \|", text)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("a|b", "a\\|b"),
        ("line\nbreak", "line break"),
        ("<script>", "&lt;script&gt;"),
        ("`code`", "\\`code\\`"),
        ("AT&T", "AT&amp;T"),
    ],
)
def test_markdown_text(raw, safe):
    assert escape(raw) == safe


def test_header_says_how_cells_shared_the_machine_and_how_long_the_runs_took():
    first_run = [result_row("a", "mask", s, 0.9) for s in range(2)]
    second_run = [result_row("b", "mask", 0, 0.8)]
    for finished, cell in zip(["00:04:00", "00:10:00"], first_run, strict=True):
        cell["finished_at"] = f"2026-01-01T{finished}+00:00"
    second_run[0]["run_started_at"] = "2026-01-02T00:00:00+00:00"
    second_run[0]["finished_at"] = "2026-01-02T00:02:00+00:00"
    for cell in first_run + second_run:
        cell["device"].update(parallel_cells=2, threads_used=1)
    text = render(Leaderboard.from_rows(first_run + second_run), None)
    assert "2 cells at a time, threads per cell: 1" in text
    assert "0.5 minutes of cell time, 12.0 minutes from start to finish;" in text

    for cell, run_seconds in zip(first_run + second_run, [600, 600, 60], strict=True):
        cell["estimate"] = {"cell_seconds": 10.0, "run_seconds": run_seconds}
    text = render(Leaderboard.from_rows(first_run + second_run), None)
    assert "12.0 minutes from start to finish (estimated 11.0 before the first cell);" in text


def test_paired_ranks_separate_what_the_unpaired_rule_cannot():
    # one seed each, 880 vs 850 of 1,000 rows, right wherever the other is: the unpaired rule
    # (2 * 0.0153 = 0.0305 > 0.03) shares the rank; paired, 30 rows differ, all one way
    rows = rows_with_predictions("a", "mask", right_on(1_000, range(880)))
    rows += rows_with_predictions("b", "mask", right_on(1_000, range(850)))
    board = Leaderboard.from_rows(rows)
    assert board.paired is not None
    assert list(board.cells["rank"]) == [1, 2]
    for result in rows:
        del result["measurements"]["test_predictions"]
    fallback = Leaderboard.from_rows(rows)
    assert fallback.paired is None
    assert list(fallback.cells["rank"]) == [1, 1]
    assert "**Unpaired fallback:** 2 of 2 runs carry no test predictions" in render(fallback, None)


def test_a_paired_board_states_its_intervals_method_and_what_would_separate_neighbours():
    rows = rows_with_predictions(  # seeds far apart: more seeds would settle it
        "seedy", "mask", right_on(2_000, range(1_600), range(1_720), range(1_660))
    )
    rows += rows_with_predictions(
        "seedy-too", "mask", right_on(2_000, range(1_580), range(1_700), range(1_640))
    )
    same_seeds = [range(1_000, 1_990)] * 3  # 990 rows; the next cell: 980 other rows
    rows += rows_with_predictions("steady", "mask", right_on(2_000, *same_seeds))
    rows += rows_with_predictions(
        "steady-too", "mask", right_on(2_000, *[[*range(940, 1_000), *range(1_000, 1_920)]] * 3)
    )
    board = Leaderboard.from_rows(rows)
    assert list(board.cells.architecture) == ["seedy", "seedy-too", "steady", "steady-too"]
    assert list(board.cells["rank"]) == [1, 1, 3, 3]
    low, high = board.cells.interval_low[2], board.cells.interval_high[2]
    # one seed's worth of spread is nil; the interval is the test rows' alone: 0.495 +- 2.2 %
    assert high - low == pytest.approx(2 * 1.96 * np.sqrt(0.495 * 0.505 / 2_000), rel=0.1)
    text = render(board, None)
    assert "| 95 % interval" in text and "Unpaired fallback" not in text
    assert "hierarchical bootstrap (2,000 seeded resamples)" in text
    assert "Holm's method" in text and "All 6 pairs of cells are tested" in text
    neighbours = text.split("## Neighbours in the ranking")[1].splitlines()
    seedy = next(line for line in neighbours if line.startswith("| seedy / mask"))
    steady = next(line for line in neighbours if line.startswith("| steady / mask"))
    separating_seeds = int(seedy.rstrip(" |").rsplit("|", 1)[1].replace(",", ""))
    assert 30 < separating_seeds < 200  # sd 3 points per seed, 2 points apart
    assert steady.rstrip(" |").endswith("not separable by seeds: the test split is too small")


def test_runs_without_predictions_among_others_fall_back_and_say_how_many():
    rows = rows_with_predictions("a", "mask", right_on(100, range(90), range(91)))
    rows += [result_row("b", "mask", 0, 0.5)]
    board = Leaderboard.from_rows(rows)
    assert board.paired is None
    assert (
        board.fallback_reason
        == "1 of 3 runs carry no test predictions: their rows predate schema 2"
    )


def test_schema_1_rows_read_from_a_file_take_the_fallback_and_say_why(tmp_path):
    # the reader fills test_predictions with None for rows that predate it
    path = tmp_path / "results.jsonl"
    for seed in range(2):
        append_row(path, schema_1_row("a", "mask", seed, 0.9))
    with pytest.warns(ResultsWarning, match="older schema"):
        board = Leaderboard.from_rows(read_rows(path))
    assert board.paired is None
    assert board.fallback_reason == (
        "2 of 2 runs carry no test predictions: their rows predate schema 2"
    )


def test_the_committed_leaderboard_renders_again_from_the_committed_results():
    """Byte for byte: what the board says about rows of an earlier version does not change."""
    import warnings
    from pathlib import Path

    reports = Path(__file__).resolve().parent.parent / "reports"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultsWarning)  # rows of rnn-harness 0.1.0
        rows = read_rows(reports / "results.jsonl")
    board = render(Leaderboard.from_rows(rows), "leaderboard.png")
    assert board == (reports / "leaderboard.md").read_text(encoding="utf-8")
