"""``harness data check`` through the real command line."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.data_sources import saved_hf_dataset, write_table_dir, write_zhang_dir
from helpers.source_plugin import SOURCE_PLUGIN
from helpers.tfds_builders import TinyReviews, prepare


def harness(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=300
    )


def test_data_check_prints_statistics(news_dir):
    result = harness("data", "check", str(news_dir))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Rows per class and split" in out
    for line in ("World", "Sports", "Business", "Sci/Tech"):
        assert f"{line}  " in out
    assert re.search(r"all\s+160\s+40\n", out)
    assert "p50" in out and "p99" in out
    assert "covers" in out and "of the test split's tokens" in out
    assert "Repeated text: 0 training rows repeat an earlier training row" in out


def test_data_check_names_the_broken_row(news_dir):
    rows = (news_dir / "train.csv").read_text().splitlines()
    rows[6] = '"7","title","description"'
    (news_dir / "train.csv").write_text("\n".join(rows) + "\n")
    result = harness("data", "check", str(news_dir))
    assert result.returncode == 2
    assert f"error: {news_dir / 'train.csv'}: malformed rows" in result.stderr
    assert "line 7: class index 7 is outside 1..4" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_tfds_source_is_one_message_without_traceback(tmp_path):
    result = harness("data", "check", "tfds:no_such_news", "--tfds-data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "error: tensorflow-datasets has no data set 'no_such_news'" in result.stderr
    assert "Traceback" not in result.stderr


DONE_WHEN_SOURCES = ["fourteen classes", "polarity", "parquet", "tfds one text", "hf on disk"]


@pytest.fixture
def source_for(tmp_path: Path):
    """What --data (and its options) take for each source of issue 14's done-when list."""

    def make(kind: str) -> tuple[list[str], int]:
        if kind == "fourteen classes":
            names = [f"class {k}" for k in range(1, 15)]
            return [str(write_zhang_dir(tmp_path / "dbpedia", 14, 2, names))], 14
        if kind == "polarity":
            return [str(write_zhang_dir(tmp_path / "polarity", 2, 1))], 2
        if kind == "parquet":
            directory = write_table_dir(tmp_path / "parquet", ".parquet", ["neg", "neu", "pos"])
            return [str(directory), "--text-column", "text", "--label-column", "label"], 3
        if kind == "tfds one text":
            data_dir = tmp_path / "tfds"
            prepare(TinyReviews, write_zhang_dir(tmp_path / "files", 2, 1), data_dir)
            return ["tfds:tiny_reviews", "--tfds-data-dir", str(data_dir)], 2
        return [f"hf:{saved_hf_dataset(tmp_path / 'hf', class_label=True)}"], 2

    return make


@pytest.mark.parametrize("kind", DONE_WHEN_SOURCES)
@pytest.mark.slow
def test_data_check_and_a_small_run_on_every_kind_of_source(kind, source_for, tmp_path):
    data, classes = source_for(kind)
    checked = harness("data", "check", *data)
    assert checked.returncode == 0, checked.stderr
    table = checked.stdout.split("Rows per class and split", 1)[1].split("\n\n", 1)[0]
    assert len(table.strip().splitlines()) == 2 + classes + 1  # header, rule, classes, all
    out = tmp_path / "out"
    run = harness(
        "run", "--data", *data, "-a", "bag-of-embeddings", "-p", "none", "--seeds", "1",
        "--epochs", "1", "--batch-size", "8", "--in-process", "--quiet", "--out", str(out),
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    (row,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert row["status"] == "done"
    assert len(row["data"]["class_names"]) == classes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fields", "body"], "--fields: 'body' is not a text field of"),
        (["--label-column", "stars"], "--label-column applies to tables"),
        (["--fields", "title", "--text-column", "title"], "give either --fields or --text-column"),
    ],
)
def test_a_wrong_source_option_is_one_line(news_dir, args, message):
    result = harness("data", "check", str(news_dir), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_data_source_plugin_is_listed_checked_and_run(install_distribution, tmp_path):
    site = install_distribution("rnn-harness-mysource", {"mysource": SOURCE_PLUGIN})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([site, os.environ.get("PYTHONPATH", "")])}

    def plugged_harness(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "harness", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)

    listing = plugged_harness("list").stdout
    assert re.search(r"mysource:NAME\s+mysource\s+rnn-harness-mysource 1.0", listing)
    checked = plugged_harness("data", "check", "mysource:tiny")
    assert checked.returncode == 0, checked.stderr
    assert "source: mysource:tiny" in checked.stdout
    out = tmp_path / "out"
    run = plugged_harness(
        "run", "--data", "mysource:tiny", "-a", "bag-of-embeddings", "-p", "none", "--seeds",
        "1", "--epochs", "1", "--batch-size", "8", "--quiet", "--out", str(out),
        "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    (row,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert (row["status"], row["data"]["source"]) == ("done", "mysource:tiny")
    unknown = plugged_harness("data", "check", "yoursource:tiny")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert "--data takes mysource:NAME, a directory holding MYSOURCE, ag-news-sample" in (
        unknown.stderr
    )
