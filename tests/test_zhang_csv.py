"""Reading the CSV family layout of Zhang et al. (2015): escapes, layouts, field selection, and
every validation error."""

from pathlib import Path

import numpy as np
import pytest

from harness.data import SourceOptions, TextDataset
from harness.data.loading import open_source
from harness.data.text import normalize
from harness.errors import DataError
from harness.plugin.manager import load_registry

CLASSES = "World\nSports\nBusiness\nSci/Tech\n"


def read(directory: Path, *fields: str) -> TextDataset:
    """Both splits as the source reads them (the usability checks are tested on their own)."""
    return open_source(str(directory), load_registry(), SourceOptions(fields=fields)).load()


def make_dir(tmp_path: Path, train: bytes | str, test: bytes | str = '"1","t","d"\n') -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "classes.txt").write_text(CLASSES)
    for name, content in (("train.csv", train), ("test.csv", test)):
        data = content.encode() if isinstance(content, str) else content
        (directory / name).write_bytes(data)
    return directory


def test_reads_quotes_escapes_and_labels(tmp_path):
    directory = make_dir(
        tmp_path,
        '"3","Oil ""spikes""","Line one\\nline two"\n'
        '"1","Vote, today","Polls\nopen"\n'
        '"4","Chips","Faster"\n',
    )
    dataset = read(directory)
    assert dataset.train.texts == [
        'Oil "spikes" Line one\nline two',
        "Vote, today Polls\nopen",
        "Chips Faster",
    ]
    np.testing.assert_array_equal(dataset.train.labels, [2, 0, 3])
    assert dataset.class_names == ["World", "Sports", "Business", "Sci/Tech"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (("title",), "Title"),
        (("description",), "Body"),
        ((), "Title Body"),
        (("title", "description"), "Title Body"),
        (("description", "title"), "Body Title"),
    ],
)
def test_field_selection(tmp_path, fields, expected):
    directory = make_dir(tmp_path, '"2","Title","Body"\n', '"2","Title","Body"\n')
    assert read(directory, *fields).train.texts == [expected]


def test_the_same_loader_reads_other_class_counts(tmp_path):
    directory = make_dir(tmp_path, '"14","Album","A record"\n', '"1","Company","A firm"\n')
    (directory / "classes.txt").write_text("\n".join(f"class {k}" for k in range(1, 15)))
    dataset = read(directory, "title")
    assert len(dataset.class_names) == 14
    assert dataset.train.labels.tolist() == [13]


@pytest.mark.parametrize(
    ("train", "message"),
    [
        (
            '"1","ok","ok"\n"2","only two"\n',
            r"train.csv: malformed rows\n  line 2: expected 3 fields",
        ),
        ('"1","ok","ok"\n"x","a","b"\n', r"line 2: class index 'x' is not an integer"),
        ('"5","a","b"\n', r"line 1: class index 5 is outside 1\.\.4"),
        ('"0","a","b"\n', r"line 1: class index 0 is outside 1\.\.4"),
        (
            '"1","a","b"\n"2"," ",""\n',
            r"line 2: empty text in the chosen fields \(title\+description\)",
        ),
        ('"1","a\nb","c"\n"1","a"b","c"\n', r"line 3: cannot parse CSV"),
        ("", r"train.csv: the file is empty"),
        (b'"1","ok","ok"\n"2","caf\xe9","b"\n', r"train.csv, line 2: bytes that are not UTF-8"),
    ],
)
def test_malformed_input_names_file_line_and_problem(tmp_path, train, message):
    directory = make_dir(tmp_path, train)
    with pytest.raises(DataError, match=message):
        read(directory)


def test_every_malformed_row_is_reported_not_just_the_first(tmp_path):
    directory = make_dir(tmp_path, '"9","a","b"\n"1","ok","ok"\n"x","a","b"\n')
    with pytest.raises(DataError) as raised:
        read(directory, "title")
    assert "line 1: class index 9" in str(raised.value)
    assert "line 3: class index 'x'" in str(raised.value)


def test_missing_file_and_missing_directory(tmp_path):
    directory = make_dir(tmp_path, '"1","a","b"\n')
    (directory / "test.csv").unlink()
    with pytest.raises(DataError, match=r"test.csv: file not found"):
        read(directory, "title")
    with pytest.raises(DataError, match="not a directory"):
        read(tmp_path / "nowhere", "title")


def test_empty_class_name_is_refused(tmp_path):
    directory = make_dir(tmp_path, '"1","a","b"\n')
    (directory / "classes.txt").write_text("World\n\nBusiness\n")
    with pytest.raises(DataError, match=r"classes.txt, line 2: empty class name"):
        read(directory, "title")


def test_normalize_repairs_ag_news_remnants():
    assert normalize("Storm shows Haiti #39;s straits") == "Storm shows Haiti's straits"
    assert normalize("&lt;b&gt;Bold&lt;/b&gt; move") == "Bold move"
    assert normalize("up \\$120 million\\more") == "up $120 million more"
    assert normalize("AT&amp;amp;T") == "AT&T"
    assert normalize("  plain   text ") == "plain text"
