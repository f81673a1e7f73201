"""Where a cell's errors go and how far its confidence can be trusted, from its rows alone:
the confusion matrix and per-class scores summed over seeds, the calibration error, and
both in the markdown leaderboard (no training needed)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.paired_rows import (
    CLASS_NAMES,
    LABELS,
    board_rows,
    right_on,
    rows_with_predictions,
    with_confidence,
)
from helpers.result_rows import result_row

from harness.report.calibration import cell_calibration, expected_calibration_error
from harness.report.leaderboard import Leaderboard, render
from harness.report.per_class import class_scores
from harness.results.predictions import RowPredictions

NAMES = CLASS_NAMES


def test_the_confusion_matrix_sums_the_seeds_and_gives_each_class_its_scores():
    # 8 rows, labels 0 1 2 3 0 1 2 3; a wrong row is predicted as the next class
    rows = rows_with_predictions("a", "mask", right_on(8, range(8), range(4)))
    scores = class_scores([row["measurements"] for row in rows], NAMES)
    assert scores is not None
    # seed 0 right everywhere; seed 1 wrong on rows 4-7: true k predicted as k + 1
    expected = 4 * np.eye(LABELS, dtype=int)
    for label in range(LABELS):
        expected[label, label] -= 1
        expected[label, (label + 1) % LABELS] += 1
    assert np.array_equal(scores.confusion, expected)
    assert scores.class_names == NAMES
    assert list(scores.support) == [4, 4, 4, 4]
    assert scores.recall == pytest.approx([0.75] * 4)
    assert scores.precision == pytest.approx([0.75] * 4)
    assert scores.f1 == pytest.approx([0.75] * 4)
    assert scores.row_shares.sum(axis=1) == pytest.approx([1.0] * 4)


def test_labels_beyond_the_class_names_are_named_by_their_number():
    rows = rows_with_predictions("a", "mask", right_on(8, range(8)))
    scores = class_scores([rows[0]["measurements"]], ["World", "Sports"])
    assert scores is not None and scores.class_names == ["World", "Sports", "2", "3"]


def test_cells_without_predictions_have_no_class_scores():
    assert class_scores([result_row()["measurements"]], NAMES) is None


def test_a_calibrated_model_has_no_calibration_error_and_an_overconfident_one_has():
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.3, 1.0, 200_000)
    calibrated = rng.random(200_000) < confidence  # right as often as it is sure
    assert expected_calibration_error(confidence, calibrated) == pytest.approx(0, abs=0.01)
    sure = np.full(1_000, 0.95)
    assert expected_calibration_error(sure, np.arange(1_000) < 700) == pytest.approx(0.25)


def test_a_cells_calibration_is_the_mean_of_its_seeds_and_pools_their_rows_for_the_diagram():
    # seed 0 right on 80 of 100 rows, seed 1 on 60; sure 0.85 when right, 0.55 when wrong
    rows = with_confidence(
        rows_with_predictions("a", "mask", right_on(100, range(80), range(60))), 0.85, 0.55
    )
    calibration = cell_calibration([row["measurements"] for row in rows])
    assert calibration is not None
    # each seed: rows at 0.55 all wrong (gap 0.55), rows at 0.85 all right (gap 0.15)
    seed_errors = [(20 * 0.55 + 80 * 0.15) / 100, (40 * 0.55 + 60 * 0.15) / 100]
    assert calibration.expected_error == pytest.approx(np.mean(seed_errors), abs=0.003)
    assert [(b.low, b.high, b.rows) for b in calibration.bins] == [
        (pytest.approx(0.5), pytest.approx(0.6), 60),
        (pytest.approx(0.8), pytest.approx(0.9), 140),
    ]
    assert [b.accuracy for b in calibration.bins] == [0.0, 1.0]
    rows[1]["measurements"]["test_confidence"] = None  # a seed that did not record it
    assert cell_calibration([row["measurements"] for row in rows]) is None


def test_the_markdown_has_each_cells_f1_per_class_and_its_calibration_error():
    rows = board_rows()
    board = Leaderboard.from_rows(rows)
    text = render(board, None)
    ranking = text.split("## Ranking by mean test accuracy")[1].split("\n## ")[0]
    header = next(line for line in ranking.splitlines() if line.startswith("| rank"))
    assert "| ECE %" in header
    for cell, calibration in zip("abc", board.calibration.values(), strict=True):
        line = next(line for line in ranking.splitlines() if f"| {cell} " in line)
        ece = f"{100 * calibration.expected_error:.2f}" if calibration else "not recorded"
        assert f"| {ece} " in line

    f1 = text.split("## F1 of each class")[1].split("\n## ")[0]
    assert "| architecture   | padding   | World   | Sports   | Business   | Sci/Tech   |" in f1
    for key, scores in board.class_scores.items():
        assert scores is not None
        predictions = [
            RowPredictions.decode(row["measurements"]["test_predictions"])
            for row in rows
            if (row["architecture"], row["padding"]) == key[:2]
        ]
        labels = np.concatenate([p.labels for p in predictions])
        predicted = np.concatenate([p.predicted for p in predictions])
        world = (
            2
            * np.sum((labels == 0) & (predicted == 0))
            / (np.sum(labels == 0) + np.sum(predicted == 0))
        )
        line = next(line for line in f1.splitlines() if line.startswith(f"| {key[0]} "))
        assert line.split("|")[3].strip() == f"{100 * world:.1f}"


def test_a_board_of_rows_without_predictions_says_what_is_not_recorded():
    text = render(Leaderboard.from_rows([result_row("a", "mask", s, 0.9) for s in range(2)]), None)
    assert "ECE %" not in text
    assert "Not recorded: the rows carry no test predictions" in text.split("## F1 of each")[1]
