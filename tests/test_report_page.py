"""``leaderboard.html``: one self-contained page, checked as a file and in a real browser
(the system's headless Chromium, offline; no training but in the last test)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.browser import offline_page
from helpers.paired_rows import CLASS_NAMES, board_rows
from helpers.result_rows import result_row

from harness.report.html import PAGE_FILE, render_page
from harness.report.leaderboard import Leaderboard
from harness.results.predictions import RowPredictions

ROOT = Path(__file__).resolve().parent.parent


def write_page(rows: list[dict], tmp_path: Path) -> Path:
    path = tmp_path / PAGE_FILE
    path.write_text(render_page(Leaderboard.from_rows(rows)), encoding="utf-8")
    return path


def test_the_page_holds_its_scripts_and_data_and_refers_to_nothing_outside(tmp_path):
    rows = board_rows()
    text = write_page(rows, tmp_path).read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<script src" not in text and "<link" not in text
    assert "default-src 'none'" in text  # the browser itself refuses any request
    embedded = {
        name: json.loads(value)
        for name, value in re.findall(
            r'<script type="application/json" id="([\w-]+)">(.*?)</script>', text, re.S
        )
    }
    assert embedded["result-rows"] == json.loads(json.dumps(rows))
    table = pd.read_csv(io.StringIO(embedded["table-csv"]))
    cells = Leaderboard.from_rows(rows).cells
    assert list(table.architecture) == list(cells.architecture)
    assert table.accuracy.to_numpy() == pytest.approx(cells.accuracy.to_numpy())
    assert table.calibration_error.isna().tolist() == [False, False, True]


def test_text_from_plugins_and_results_reaches_the_page_as_text(tmp_path):
    rows = board_rows()
    for row in rows:
        if row["architecture"] == "c":
            row["architecture"] = "<img src=x onerror=alert(1)>"
    rows[0]["command"] = "harness run </script><script>alert(1)</script>"
    text = write_page(rows, tmp_path).read_text()
    assert "<img src=x" not in text and "<script>alert(1)" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def confusion_of(rows: list[dict], architecture: str, padding: str) -> np.ndarray:
    """The summed confusion matrix of a cell's seeds, straight from its rows."""
    matrix = np.zeros((len(CLASS_NAMES), len(CLASS_NAMES)), dtype=int)
    for row in rows:
        if (row["architecture"], row["padding"]) == (architecture, padding):
            stored = RowPredictions.decode(row["measurements"]["test_predictions"])
            np.add.at(matrix, (stored.labels, stored.predicted), 1)
    return matrix


def shown_cells(page) -> list[str]:
    return page.locator("#ranking-table tbody tr:visible").evaluate_all(
        "rows => rows.map(row => row.dataset.cell)"
    )


def test_in_a_browser_offline_the_page_sorts_filters_plots_and_shows_a_cells_errors(tmp_path):
    rows = board_rows()
    with offline_page(write_page(rows, tmp_path)) as (page, log):
        assert log.refused == [] and log.errors == []
        ranked = ["a / mask", "b / mask", "c / bucket"]
        assert shown_cells(page) == ranked

        accuracy = page.locator("#ranking-table th", has_text="test acc.")
        accuracy.click()
        assert shown_cells(page) == ranked[::-1]
        accuracy.click()
        assert shown_cells(page) == ranked
        calibration_error = page.locator("#ranking-table th", has_text="ECE %")
        calibration_error.click()
        assert shown_cells(page) == ranked  # a's 14.8 %, b's 29 %, c's not recorded
        calibration_error.click()
        assert shown_cells(page) == ["b / mask", "a / mask", "c / bucket"]  # unrecorded last

        page.locator("input[name=padding][value=bucket]").uncheck()
        assert shown_cells(page) == ["b / mask", "a / mask"]
        points = page.locator("#plot-throughput svg .mark-symbol.role-mark path")
        assert points.count() == 2  # the plot follows the filter
        page.locator("input[name=padding][value=bucket]").check()
        assert points.count() == 3

        assert (
            page.locator("#plot-curves svg .mark-line.role-mark path").count() == 2 * 2
        )  # seeds x splits
        assert (
            page.locator("#plot-reliability svg .mark-rect.role-mark path").count() == 2
        )  # two bins

        for label, (architecture, padding) in [
            ("b / mask", ("b", "mask")),
            ("c / bucket", ("c", "bucket")),
        ]:
            page.select_option("#cell-choice", label)
            detail = page.locator(f'.cell-detail[data-cell="{label}"]')
            assert detail.is_visible()
            counts = detail.locator("table.confusion td").evaluate_all(
                "cells => cells.map(cell => Number(cell.dataset.count))"
            )
            shown = np.array(counts).reshape(len(CLASS_NAMES), len(CLASS_NAMES))
            assert np.array_equal(shown, confusion_of(rows, architecture, padding))
        assert "Calibration: not recorded" in detail.inner_text()  # c's rows predate it
        assert not page.locator("#plot-reliability").is_visible()

        with page.expect_download() as download:
            page.click("#download-csv")
        table = pd.read_csv(download.value.path())
        assert list(table.architecture) == ["a", "b", "c"]
        with page.expect_download() as download:
            page.click("#download-rows")
        assert json.loads(Path(download.value.path()).read_text()) == json.loads(json.dumps(rows))
        assert log.refused == [] and log.errors == []


def test_a_page_of_older_rows_plots_what_they_hold_and_says_what_they_do_not(tmp_path):
    rows = [
        result_row(a, "mask", seed, 0.9 - 0.1 * n) for n, a in enumerate("ab") for seed in (0, 1)
    ]
    rows.append(result_row("c", "mask", 0, None, status="error", reason="boom <b>"))
    with offline_page(write_page(rows, tmp_path)) as (page, log):
        assert shown_cells(page) == ["a / mask", "b / mask"]
        assert page.locator("#plot-throughput svg .mark-symbol.role-mark path").count() == 2
        detail = page.locator('.cell-detail[data-cell="a / mask"]')
        assert "Confusion matrix and per-class scores: not recorded" in detail.inner_text()
        assert "Calibration: not recorded" in detail.inner_text()
        assert not page.locator("#plot-reliability").is_visible()
        assert "boom <b>" in page.locator("#failures").inner_text()
        assert log.refused == [] and log.errors == []
    failed_only = [result_row("c", "mask", 0, None, status="error", reason="boom")]
    with offline_page(write_page(failed_only, tmp_path)) as (page, log):
        assert "No cell finished." in page.locator("#ranking").inner_text()
        assert log.refused == [] and log.errors == []


def test_the_committed_page_exists_and_is_at_most_5_mb():
    page = ROOT / "reports" / PAGE_FILE
    assert 0 < page.stat().st_size <= 5 * 2**20


@pytest.mark.slow
def test_harness_run_writes_a_page_that_chromium_renders_offline(harness_run):
    matrix = ["-a", "lstm", "-a", "bag-of-embeddings", "-p", "bucket", "--seeds", "2"]
    harness_run(*matrix, "--epochs", "2", "--max-train", "500", "--in-process")
    path = harness_run.out / PAGE_FILE
    assert not re.search(r"""(src|href)="http""", path.read_text())
    rows = [
        json.loads(line) for line in (harness_run.out / "results.jsonl").read_text().splitlines()
    ]
    assert all(row["measurements"]["test_confidence"] for row in rows)
    with offline_page(path) as (page, log):
        assert len(shown_cells(page)) == 2
        label = page.locator("#cell-choice").input_value()
        counts = page.locator(f'.cell-detail[data-cell="{label}"] table.confusion td')
        shown = np.array(counts.evaluate_all("cells => cells.map(c => Number(c.dataset.count))"))
        architecture, padding = label.split(" / ")
        expected = confusion_of(rows, architecture, padding)
        assert np.array_equal(shown.reshape(expected.shape), expected)
        assert expected.sum() == 2 * 40  # two seeds of the 40 test rows
        assert page.locator("#plot-reliability svg .mark-rect.role-mark path").count() >= 1
        assert log.refused == [] and log.errors == []
