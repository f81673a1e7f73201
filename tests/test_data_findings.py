"""Issue 13's data findings 4, 7 and 10, each through the real command line.

Every one failed on the code before ``harness.data``: it crashed after training, trained on
data that cannot be scored, refused good data, or printed the wrong thing. The tests drive
only the command line, so that they run unchanged against any version of the harness.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from helpers.news_data import TOPICS, news_rows, write_news_csv


def harness(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=300
    )


def small_run(directory: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return harness(
        "run", "--data", str(directory), "-a", "bag-of-embeddings", "-p", "none", "--seeds", "1",
        "--epochs", "1", "--in-process", "--quiet", "--out", str(tmp_path / "out"),
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip


def refused_in_one_line(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert "cells run" not in result.stdout  # nothing trained


def data_dir(tmp_path: Path, classes: list[str], train: list[tuple], test: list[tuple]) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "classes.txt").write_text("\n".join(classes) + "\n")
    write_news_csv(directory / "train.csv", train)
    write_news_csv(directory / "test.csv", test)
    return directory


# Finding 4: a training split that the validation split empties crashed in TensorFlow.


def test_finding_4_fifty_thousand_copies_of_one_row_are_refused_before_training(tmp_path):
    directory = data_dir(
        tmp_path, list(TOPICS), [(1, "same title", "same story")] * 50_000, news_rows(8, seed=2)
    )
    refused_in_one_line(small_run(directory, tmp_path), "no training rows")


def test_finding_4_a_class_that_the_validation_split_takes_whole_is_refused(tmp_path):
    train = [(1, "one title", "one story"), (2, "other title", "other story")] * 25_000
    directory = data_dir(tmp_path, ["a", "b"], train, [(1, "one", "x"), (2, "other", "y")])
    refused_in_one_line(
        small_run(directory, tmp_path), "has no training rows left after the validation split"
    )


# Finding 7: a one-class data set, duplicate class names, test classes absent from training.


def test_finding_7_a_one_class_data_set_is_refused(tmp_path):
    rows = [(1, f"title {k}", f"story number {k}") for k in range(40)]
    directory = data_dir(tmp_path, ["only"], rows, rows[:5])
    refused_in_one_line(harness("data", "check", str(directory)), "needs at least two")


def test_finding_7_duplicate_class_names_are_refused(tmp_path):
    directory = data_dir(
        tmp_path, ["World", "Sports", "World", "Sci/Tech"], news_rows(40, 1), news_rows(8, 2)
    )
    refused_in_one_line(
        harness("data", "check", str(directory)),
        "duplicate class name 'World' (classes 1 and 3)",
    )


def test_finding_7_a_test_class_absent_from_training_is_refused(tmp_path):
    train = [row for row in news_rows(40, 1) if row[0] != 4]
    directory = data_dir(tmp_path, list(TOPICS), train, news_rows(8, 2))
    refused_in_one_line(
        harness("data", "check", str(directory)), "class 'Sci/Tech' has no training rows (2 test"
    )


# Finding 10: a byte order mark, a 1 MB field, tfds did-you-mean, train = test.


def test_finding_10_byte_order_marks_and_a_one_megabyte_field_are_accepted(tmp_path):
    directory = data_dir(tmp_path, list(TOPICS), news_rows(40, 1), news_rows(8, 2))
    for name in ("classes.txt", "train.csv"):  # as spreadsheet tools write them
        path = directory / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with (directory / "train.csv").open("a") as file:
        file.write('"2","A long one","' + "word " * 200_000 + '"\n')  # 1 MB
    result = harness("data", "check", str(directory))
    assert result.returncode == 0, result.stderr
    assert "\ufeff" not in result.stdout
    assert re.search(r"\n +1 +World +10 +2\n", result.stdout)  # not "\ufeffWorld"
    assert re.search(r"\n +2 +Sports +11 +2\n", result.stdout)  # the long row counted


def test_finding_10_an_unknown_tfds_name_gets_a_did_you_mean_not_the_catalogue(tmp_path):
    result = harness("data", "check", "tfds:ag_news_subsett", "--tfds-data-dir", str(tmp_path))
    refused_in_one_line(result, "did you mean 'ag_news_subset'")
    assert "mnist" not in result.stderr  # nor any of the other ~460 names


def test_finding_10_a_test_split_equal_to_the_training_split_is_refused_by_run(tmp_path):
    rows = news_rows(40, 1)
    directory = data_dir(tmp_path, list(TOPICS), rows, rows)
    refused_in_one_line(small_run(directory, tmp_path), "also occurs in the training split")
