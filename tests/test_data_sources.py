"""Every kind of ``--data`` source read into labelled texts, and each wrong input in one line.

The CSV family in its three layouts, tables in four formats, a Hugging Face data set saved
to disk and the embedded sample; tensorflow-datasets has its own module.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.data_sources import saved_hf_dataset, table_rows, write_table_dir, write_zhang_dir
from setuptools import find_packages

from harness.data import SourceOptions
from harness.data.loading import load_dataset, open_source, source_fingerprint
from harness.data.sources import embedded
from harness.data.validation import check_training_split
from harness.errors import DataError


def options(*fields: str, label: str | None = None) -> SourceOptions:
    return SourceOptions(fields=fields, label_column=label)


# The CSV family of Zhang et al. (2015)


def test_two_field_polarity_layout_without_classes_txt_names_classes_and_says_so(
    tmp_path, registry
):
    directory = write_zhang_dir(tmp_path / "polarity", classes=2, text_fields=1)
    dataset = load_dataset(str(directory), registry)
    assert dataset.fields == ("text",)
    assert dataset.class_names == ["1", "2"]
    assert dataset.notes == (f'{directory}: no classes.txt, so the classes are named "1".."K"',)
    assert (len(dataset.train), len(dataset.test)) == (24, 6)


def test_fourteen_classes_in_the_three_field_layout(tmp_path, registry):
    names = [f"class {k}" for k in range(1, 15)]
    dataset = load_dataset(str(write_zhang_dir(tmp_path / "dbpedia", 14, 2, names)), registry)
    assert dataset.class_names == names
    assert sorted(set(dataset.train.labels.tolist())) == list(range(14))


def test_four_field_layout_joins_question_and_answer(tmp_path, registry):
    directory = write_zhang_dir(tmp_path / "yahoo", 3, 3, ["a", "b", "c"])
    (directory / "train.csv").write_text(
        '"1","Why?","Because.","It is."\n"2","How?","So.","Thus."\n"3","Who?","Me.","You."\n'
    )
    dataset = load_dataset(str(directory), registry)
    assert dataset.fields == ("question_title", "question_content", "answer")
    assert dataset.train.texts[0] == "Why? Because. It is."
    answers = load_dataset(str(directory), registry, options("answer"))
    assert answers.train.texts == ["It is.", "Thus.", "You."]


def test_every_row_must_have_the_layout_of_the_first(tmp_path, registry):
    directory = write_zhang_dir(tmp_path / "mixed", 2, 2, ["a", "b"])
    (directory / "test.csv").write_text('"1","title","description"\n"2","only text"\n')
    with pytest.raises(DataError, match=r"test.csv: malformed rows\n  line 2: expected 3 fields"):
        load_dataset(str(directory), registry)


def test_a_row_width_outside_the_family_is_one_line(tmp_path, registry):
    directory = write_zhang_dir(tmp_path / "wide", 2, 2, ["a", "b"])
    (directory / "train.csv").write_text('"1","a","b","c","d"\n')
    with pytest.raises(DataError, match=r"train.csv, line 1: 5 fields; the CSV family layout has"):
        load_dataset(str(directory), registry)


def test_a_wrong_field_name_lists_the_layouts_fields(tmp_path, registry):
    directory = write_zhang_dir(tmp_path / "news", 2, 2, ["a", "b"])
    with pytest.raises(DataError, match=r"'body' is not a text field .* title\+description$"):
        load_dataset(str(directory), registry, options("body"))
    with pytest.raises(DataError, match="--label-column applies to tables"):
        load_dataset(str(directory), registry, options(label="label"))


# Tables


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_a_table_with_string_labels_in_every_format(tmp_path, suffix, registry):
    directory = write_table_dir(tmp_path / "table", suffix, ["sports", "business", "world"])
    dataset = load_dataset(str(directory), registry)
    assert dataset.class_names == ["business", "sports", "world"]  # sorted training labels
    assert dataset.fields == ("text",)
    assert (len(dataset.train), len(dataset.test)) == (40, 12)
    assert dataset.train.labels[:3].tolist() == [1, 0, 2]
    assert dataset.fingerprint.startswith("sha256:")


def test_integer_labels_sort_as_numbers_and_columns_join_in_order(tmp_path, registry):
    directory = tmp_path / "table"
    directory.mkdir()
    for split, seed in (("train", 1), ("test", 2)):
        rows = [{**r, "title": f"T{n}"} for n, r in enumerate(table_rows([10, 2, 1], 9, seed))]
        (directory / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    dataset = load_dataset(str(directory), registry, options("title", "text"))
    assert dataset.class_names == ["1", "2", "10"]
    assert dataset.train.texts[0].startswith("T0 ")


def test_wrong_column_names_list_the_columns(tmp_path, registry):
    directory = write_table_dir(tmp_path / "table", ".csv", ["a", "b"])
    with pytest.raises(DataError, match=r"train.csv: no text column 'body'; columns: text, label$"):
        load_dataset(str(directory), registry, options("body"))
    with pytest.raises(DataError, match=r"no label column 'y'; columns: text, label$"):
        load_dataset(str(directory), registry, options(label="y"))
    (directory / "train.csv").write_text("review,stars\nfine,5\n")
    with pytest.raises(DataError, match=r"no text column 'text' \(the default; name yours"):
        load_dataset(str(directory), registry)


def test_table_rows_are_checked_with_their_row_numbers(tmp_path, registry):
    directory = write_table_dir(tmp_path / "table", ".csv", ["a", "b"])
    (directory / "test.csv").write_text('text,label\nfine,a\n"",b\nalso fine,\nnew one,c\n')
    with pytest.raises(DataError) as raised:
        load_dataset(str(directory), registry)
    assert str(raised.value) == (
        f"{directory / 'test.csv'}: malformed rows\n"
        "  row 2: empty text in the chosen columns (text)\n"
        "  row 3: no label in column 'label'\n"
        "  row 4: label 'c' does not occur in the training split (classes: a, b)"
    )


def test_table_directory_needs_one_file_per_split(tmp_path, registry):
    directory = write_table_dir(tmp_path / "table", ".csv", ["a", "b"])
    (directory / "test.csv").unlink()
    with pytest.raises(
        DataError, match=r"no test file; a table directory holds train\.\* and test\.\*"
    ):
        load_dataset(str(directory), registry)


# Hugging Face


@pytest.mark.parametrize("class_label", [True, False])
def test_a_hugging_face_data_set_saved_to_disk(tmp_path, class_label, registry):
    path = saved_hf_dataset(tmp_path / "hf", class_label)
    dataset = load_dataset(f"hf:{path}", registry)
    assert dataset.class_names == ["neg", "pos"]
    assert (len(dataset.train), len(dataset.test)) == (30, 10)
    assert dataset.train.labels[:2].tolist() == [0, 1]
    assert source_fingerprint(f"hf:{path}", registry) == dataset.fingerprint


def only_train(path: Path) -> Path:
    import datasets

    saved = datasets.load_from_disk(str(path))
    datasets.DatasetDict({"train": saved["train"]}).save_to_disk(str(path.with_name("train")))
    return path.with_name("train")


def test_hugging_face_errors_are_one_line(tmp_path, monkeypatch, registry):
    path = saved_hf_dataset(tmp_path / "hf", class_label=True)
    with pytest.raises(DataError, match=r"no text column 'body'; columns: text, label$"):
        load_dataset(f"hf:{path}", registry, options("body"))
    with pytest.raises(DataError, match=r"hf:.*: no test split \(splits: train\); the harness"):
        load_dataset(f"hf:{only_train(path)}", registry)
    monkeypatch.setitem(sys.modules, "datasets", None)  # as if the [hf] extra were not installed
    with pytest.raises(
        DataError, match=r"needs the Hugging Face extra: pip install 'rnn-harness\[hf\]'"
    ):
        load_dataset(f"hf:{path}", registry)


# The embedded sample and the shared checks


def test_the_embedded_sample_is_the_default_with_its_terms_beside_it(registry):
    dataset = load_dataset(embedded.NAME, registry)
    assert dataset.class_names == ["World", "Sports", "Business", "Sci/Tech"]
    assert (len(dataset.train), len(dataset.test)) == (7_894, 2_516)
    assert not set(dataset.test.texts) & set(dataset.train.texts)
    directory = embedded.sample_directory()
    terms = (directory / "README.md").read_text()
    assert "non-commercial" in terms and "Character-level Convolutional Networks" in terms
    rows = gzip.decompress((directory / "test.csv.gz").read_bytes()).decode().splitlines()
    assert len(rows) == 2_516


def test_a_training_split_emptied_by_the_validation_split_is_refused():
    with pytest.raises(DataError, match="no training rows are left after the validation split"):
        check_training_split("here", ["a", "b"], [], held_out=5)


def test_an_unknown_source_says_what_data_takes(tmp_path, registry):
    with pytest.raises(DataError, match=r"not a directory\. --data takes ag-news-sample, a dire"):
        open_source(str(tmp_path / "nowhere"), registry)


def test_every_file_of_the_sample_is_package_data():
    """A non-editable ``pip install .`` ships what pyproject's package-data names, no more."""
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["harness.data"]
    directory = embedded.sample_directory()
    files = [path.relative_to(directory.parent) for path in directory.iterdir()]
    assert {"classes.txt", "README.md", "train.csv.gz", "test.csv.gz"} <= {f.name for f in files}
    assert all(any(file.match(pattern) for pattern in patterns) for file in files)
    # setup.py finds the packages: harness.data is one of them
    root = str(Path(__file__).parent.parent)
    assert "harness.data" in find_packages(root, include=["harness", "harness.*"])


IMPORTED_LIBRARIES = """
import sys
from harness.data.loading import load_dataset
from harness.plugin.manager import load_registry
registry = load_registry()
for source in sys.argv[1:]:
    load_dataset(source, registry)
print(" ".join(m for m in ("pandas", "tensorflow_datasets", "datasets") if m in sys.modules))
"""


def imported_libraries(*sources: str) -> str:
    """What ``load_dataset`` of ``sources`` imports of pandas, tensorflow-datasets, datasets."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORTED_LIBRARIES, *sources],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_source_imports_its_library_only_when_it_is_used(tmp_path):
    zhang = write_zhang_dir(tmp_path / "zhang", 3, 2, ["a", "b", "c"], train=30, test=9)
    assert imported_libraries("ag-news-sample", str(zhang)) == ""
    assert imported_libraries(str(write_table_dir(tmp_path / "table", ".csv", ["x", "y"]))) == (
        "pandas"
    )
