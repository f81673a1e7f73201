"""Tiny data sets of the project's own in every shape ``--data`` reads (tests never need ../shared).

Each class k has words of its own, so that a model can learn them in one epoch; the
rows are made up.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from helpers.news_data import write_news_csv


def class_words(k: int) -> list[str]:
    return [f"topic{k}word{j}" for j in range(8)]


def phrase(rng: random.Random, k: int, length: int) -> str:
    words = [*class_words(k), "the", "a", "of", "new", "says"]
    return " ".join(rng.choice(words) for _ in range(length))


def zhang_rows(classes: int, count: int, text_fields: int, seed: int) -> list[tuple]:
    """``count`` rows (class index 1..classes, then ``text_fields`` texts), classes in turn."""
    rng = random.Random(seed)
    return [
        (
            n % classes + 1,
            *(phrase(rng, n % classes, rng.randint(3, 9)) for _ in range(text_fields)),
        )
        for n in range(count)
    ]


def write_zhang_dir(
    directory: Path, classes: int, text_fields: int, names: list[str] | None = None,
    train: int = 0, test: int = 0,
) -> Path:  # fmt: skip
    """A CSV family directory; ``classes.txt`` only when ``names`` are given."""
    directory.mkdir(parents=True, exist_ok=True)
    if names is not None:
        (directory / "classes.txt").write_text("\n".join(names) + "\n")
    write_news_csv(
        directory / "train.csv", zhang_rows(classes, train or 12 * classes, text_fields, 1)
    )
    write_news_csv(directory / "test.csv", zhang_rows(classes, test or 3 * classes, text_fields, 2))
    return directory


def table_rows(labels: list, count: int, seed: int) -> list[dict]:
    """Rows of a table with a ``text`` and a ``label`` column, labels in turn."""
    rng = random.Random(seed)
    return [
        {"text": phrase(rng, n % len(labels), rng.randint(3, 9)), "label": labels[n % len(labels)]}
        for n in range(count)
    ]


def write_table_dir(directory: Path, suffix: str, labels: list, train: int = 40, test: int = 12):
    """``train<suffix>`` and ``test<suffix>`` (.csv, .tsv, .jsonl or .parquet) via pandas."""
    import pandas as pd

    directory.mkdir(parents=True, exist_ok=True)
    for split, count, seed in (("train", train, 1), ("test", test, 2)):
        frame = pd.DataFrame(table_rows(labels, count, seed))
        path = directory / f"{split}{suffix}"
        if suffix == ".parquet":
            frame.to_parquet(path)
        elif suffix == ".jsonl":
            frame.to_json(path, orient="records", lines=True)
        elif suffix == ".tsv":
            frame.to_csv(path, index=False, sep="\t", quoting=csv.QUOTE_NONE)
        else:
            frame.to_csv(path, index=False)
    return directory


def saved_hf_dataset(path: Path, class_label: bool) -> Path:
    """A Hugging Face DatasetDict (train 30, test 10 rows) saved to ``path``; labels neg/pos."""
    import datasets

    names = ["neg", "pos"]
    features = datasets.Features(
        {
            "text": datasets.Value("string"),
            "label": datasets.ClassLabel(names=names) if class_label else datasets.Value("string"),
        }
    )
    splits = {}
    for split, count, seed in (("train", 30, 1), ("test", 10, 2)):
        rows = table_rows(names, count, seed)
        if class_label:
            rows = [{**row, "label": names.index(row["label"])} for row in rows]
        splits[split] = datasets.Dataset.from_list(rows, features=features)
    datasets.DatasetDict(splits).save_to_disk(str(path))
    return path
