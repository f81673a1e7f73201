"""Any table: a directory holding ``train.*`` and ``test.*``, read with pandas.

Formats, by file name: ``.csv`` (comma-separated, header row, double quotes),
``.tsv`` (tab-separated, header row, no quoting: quotes are text), ``.jsonl``
(one JSON object a line) and ``.parquet``. Cells are read as written: a CSV or TSV cell
is text (``001`` stays ``001``), an empty cell is empty, never a guessed missing value, and
"NA" stays text; a JSON value keeps its own type (no column-wide conversion turns one
``1.0`` into every label's type). The columns are chosen as
:mod:`harness.data.sources.columns` says.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harness.api import SourceOptions, TextDataset
from harness.data.sources import columns
from harness.errors import DataError

SPLITS = ("train", "test")
FORMATS = (".csv", ".tsv", ".jsonl", ".parquet")


@dataclass(frozen=True)
class TableSource:
    directory: Path
    options: SourceOptions

    def files(self) -> dict[str, Path]:
        """The one file of each split, whatever its format."""
        found = {}
        for split in SPLITS:
            matches = [self.directory / f"{split}{suffix}" for suffix in FORMATS]
            present = [path for path in matches if path.is_file()]
            if not present:
                raise DataError(
                    f"{self.directory}: no {split} file; a table directory holds train.* and "
                    f"test.* ({', '.join(FORMATS)}), a CSV family directory train.csv and "
                    "test.csv without a header (see docs/data.md)"
                )
            if len(present) > 1:
                raise DataError(
                    f"{self.directory}: {len(present)} {split} files "
                    f"({', '.join(p.name for p in present)}); keep one"
                )
            found[split] = present[0]
        return found

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for path in self.files().values():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return "sha256:" + digest.hexdigest()

    def load(self) -> TextDataset:
        files = self.files()
        frames = {split: read_table(path) for split, path in files.items()}
        chosen = {  # both files need the columns
            split: columns.chosen_columns(str(path), list(frames[split].columns), self.options)
            for split, path in files.items()
        }
        text_columns, label_column = chosen["train"]
        classes = columns.class_list(
            columns.training_labels(str(files["train"]), frames["train"], label_column)
        )
        splits = {
            split: columns.labelled_texts(
                str(files[split]), frames[split], text_columns, label_column, classes
            )
            for split in SPLITS
        }
        return TextDataset(
            source=str(self.directory),
            fingerprint=self.fingerprint(),
            class_names=columns.class_names(classes),
            train=splits["train"],
            test=splits["test"],
            fields=text_columns,
        )


def open_table(directory: Path, options: SourceOptions) -> TableSource:
    return TableSource(directory, options)


def read_table(path: Path) -> pd.DataFrame:
    """One file as a DataFrame; any reading error becomes one :class:`DataError` naming it."""
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".jsonl":
            return read_json_lines(path)
        tab = path.suffix == ".tsv"
        return pd.read_csv(
            path,
            sep="\t" if tab else ",",
            quoting=csv.QUOTE_NONE if tab else csv.QUOTE_MINIMAL,
            keep_default_na=False,
            dtype=str,
            encoding="utf-8-sig",
        )
    except DataError:
        raise
    except ImportError as error:
        raise DataError(f"{path}: cannot read it: {error}") from None
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: bytes that are not UTF-8 ({error})") from None
    except (ValueError, pd.errors.ParserError, OSError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise DataError(f"{path}: cannot read it as {path.suffix[1:]}: {first_line}") from None


def read_json_lines(path: Path) -> pd.DataFrame:
    """One JSON object a line (blank lines skipped), each value as JSON typed it; a line
    that is not an object raises :class:`DataError` naming it."""
    records = []
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as error:
                raise DataError(f"{path}, line {number}: not a JSON object ({error})") from None
            if not isinstance(record, dict):
                kind = type(record).__name__
                raise DataError(f"{path}, line {number}: a JSON {kind}, not an object")
            records.append(record)
    return pd.DataFrame(records, dtype=object)
