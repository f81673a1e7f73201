"""Labels are read as written and never merged, every split check of ``harness run`` is also
``harness data check``'s, and a source name that names nothing is one line (issue 23)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.data_sources import table_rows
from helpers.news_data import write_news_csv

from harness.data.loading import load_dataset
from harness.errors import DataError


def harness(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=300
    )


def refused_in_one_line(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert message in line, line
    assert "cells run" not in result.stdout  # nothing trained


def jsonl_dir(tmp_path: Path, train_labels: list, test_labels: list) -> Path:
    """A table directory of JSON lines whose rows carry the labels given, in turn."""
    directory = tmp_path / "table"
    directory.mkdir()
    for split, labels in (("train", train_labels), ("test", test_labels)):
        rows = table_rows(["x"], len(labels), seed=len(labels))
        text = "".join(
            json.dumps({**row, "label": label}) + "\n"
            for row, label in zip(rows, labels, strict=True)
        )
        (directory / f"{split}.jsonl").write_text(text)
    return directory


def test_boolean_labels_are_their_own_classes(tmp_path, registry):
    dataset = load_dataset(str(jsonl_dir(tmp_path, [True, False] * 4, [False, True])), registry)
    assert dataset.class_names == ["false", "true"]
    assert dataset.test.labels.tolist() == [0, 1]


def test_a_boolean_among_whole_numbers_is_refused_not_merged_into_class_1(tmp_path, registry):
    """``true`` used to land in class 1: True == 1 in Python."""
    with pytest.raises(DataError, match=r"train.jsonl: malformed rows\n  row 3: label true is"):
        load_dataset(str(jsonl_dir(tmp_path, [0, 1, True, 0, 1, 0], [0, 1])), registry)


def test_a_whole_number_written_with_a_point_is_that_number(tmp_path, registry):
    """One ``1.0`` among integers used to turn every class into "1.0"... and blame every
    test row; JSON has one kind of number."""
    dataset = load_dataset(str(jsonl_dir(tmp_path, [0, 1, 1.0, 2, 0, 2], [2, 0, 1])), registry)
    assert dataset.class_names == ["0", "1", "2"]
    assert dataset.train.labels.tolist() == [0, 1, 1, 2, 0, 2]
    assert dataset.test.labels.tolist() == [2, 0, 1]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ([1, 2], "label [1, 2] is a list; a label is a name or a whole number"),
        ({"id": 1}, "label {'id': 1} is an object; a label is a name or a whole number"),
        (1.5, "label 1.5 is not a whole number; a label is a name or a whole number"),
    ],
    ids=["list", "object", "fraction"],
)
def test_a_label_that_is_no_name_nor_whole_number_is_one_error_naming_its_row(
    tmp_path, label, expected, registry
):
    with pytest.raises(
        DataError, match=rf"train.jsonl: malformed rows\n  row 2: {re.escape(expected)}"
    ):
        load_dataset(str(jsonl_dir(tmp_path, [0, label, 1, 0], [0, 1])), registry)


def test_a_broken_json_line_is_named(tmp_path, registry):
    directory = jsonl_dir(tmp_path, [0, 1, 0, 1], [0, 1])
    lines = (directory / "train.jsonl").read_text().splitlines()
    lines[2] = lines[2][:20]
    (directory / "train.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"train.jsonl, line 3: not a JSON object \("):
        load_dataset(str(directory), registry)


def test_csv_labels_are_kept_as_written(tmp_path, registry):
    """A CSV label 001 used to become 1; text cells stay as written too."""
    directory = tmp_path / "table"
    directory.mkdir()
    for split in ("train", "test"):
        rows = f"007 is a number,001\nnews of the {split},010\nmore news,2\nagain 007,001\n"
        (directory / f"{split}.csv").write_text("text,label\n" + rows)
    dataset = load_dataset(str(directory), registry)
    assert dataset.class_names == ["001", "2", "010"]  # numbers in order, as written
    assert dataset.train.texts[0] == "007 is a number"


def test_a_parquet_text_column_of_bytes_is_read_as_text(tmp_path, registry):
    import pandas as pd

    directory = tmp_path / "table"
    directory.mkdir()
    for split, seed in (("train", 1), ("test", 2)):
        rows = table_rows(["a", "b"], 8, seed)
        frame = pd.DataFrame([{**row, "text": row["text"].encode()} for row in rows])
        frame.to_parquet(directory / f"{split}.parquet")
    dataset = load_dataset(str(directory), registry)
    assert not any(text.startswith("b'") for text in dataset.train.texts)
    assert dataset.train.texts[0] == table_rows(["a", "b"], 8, 1)[0]["text"]
    (directory / "test.parquet").unlink()
    bad = [{**row, "text": b"\xff\xfe"} for row in table_rows(["a", "b"], 2, 3)]
    pd.DataFrame(bad).to_parquet(directory / "test.parquet")
    with pytest.raises(DataError, match=r"row 1: text in column 'text' is bytes that are not"):
        load_dataset(str(directory), registry)


def classes_taken_whole(tmp_path: Path) -> Path:
    """Two classes of one distinct text each: the validation split takes one of them whole."""
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "classes.txt").write_text("a\nb\n")
    write_news_csv(directory / "train.csv", [(1, "one title", "x"), (2, "other title", "y")] * 5)
    write_news_csv(directory / "test.csv", [(1, "one", "x"), (2, "other", "y")])
    return directory


def test_data_check_refuses_what_run_refuses_after_the_validation_split(tmp_path):
    result = harness("data", "check", str(classes_taken_whole(tmp_path)))
    refused_in_one_line(result, "has no training rows left after the validation split")


@pytest.mark.parametrize("command", ["run", "data check"])
def test_max_train_below_the_classes_is_refused_before_training(news_dir, tmp_path, command):
    """--max-train 2 trained on 2 of 4 classes, status done, exit 0."""
    if command == "run":
        result = harness(
            "run", "--data", str(news_dir), "-a", "bag-of-embeddings", "-p", "none", "--seeds",
            "1", "--epochs", "1", "--in-process", "--quiet", "--max-train", "2", "--out",
            str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"),
        )  # fmt: skip
        assert not (tmp_path / "out" / "results.jsonl").exists()
    else:
        result = harness("data", "check", str(news_dir), "--max-train", "2")
    refused_in_one_line(result, "--max-train 2 leaves class")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("hf:", "--data hf: names no data set; write hf:NAME[:CONFIG]"),
        ("hf::plain_text", "--data hf::plain_text names no data set"),
        ("tfds:", "--data tfds: names no data set; write tfds:NAME"),
        ("tfds:  ", "--data 'tfds:  ' names no data set"),
    ],
)
def test_a_prefix_without_a_name_is_one_line(source, expected):
    """``hf:`` used to load the current directory; ``tfds:`` printed 20 lines."""
    refused_in_one_line(harness("data", "check", source), expected)


def test_a_hugging_face_name_fails_fast_when_the_hub_does_not_answer():
    """Offline (as on this machine) it took 25 s and five "Retrying" lines. Online, a name
    that does not exist fails fast all the same."""
    started = time.monotonic()
    result = harness("data", "check", "hf:rnn-harness-tests/no-such-data-set")
    assert time.monotonic() - started < 15
    refused_in_one_line(result, "hf:rnn-harness-tests/no-such-data-set: cannot load it")
    assert "Retrying" not in result.stderr
