"""Make the package's embedded ``ag-news-sample`` from the canonical AG News training rows.

Run once; its output is committed under ``harness/data/ag_news_sample/``:

    python scripts/make_ag_news_sample.py ../shared/data/ag_news_canonical_sample

The source directory holds ``train.csv`` (real AG News training rows in the corpus's
own layout, one row a line) and ``classes.txt``. TEST_ROWS distinct texts are drawn
for the test split, stratified by class and seeded; copies of a text (after the
harness's normalisation) stay on one side. Rows are written byte for byte, in their
original order, as gzip files with no time stamp, so that the same input always gives
the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import shutil
from pathlib import Path

import numpy as np

from harness.data.splits import split_off
from harness.data.text import normalize

TEST_ROWS = 2_500  # sampling error of one accuracy near 87 %: sqrt(.87 * .13 / 2500) = 0.7 points
SEED = 2015
OUT = Path(__file__).resolve().parent.parent / "harness" / "data" / "ag_news_sample"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="directory with train.csv and classes.txt")
    source = parser.parse_args().source
    lines = (source / "train.csv").read_bytes().decode("utf-8").splitlines(keepends=True)
    rows = [next(csv.reader(io.StringIO(line))) for line in lines]
    labels = np.array([int(row[0]) for row in rows])
    _, groups = np.unique([normalize(f"{row[1]} {row[2]}") for row in rows], return_inverse=True)
    share = TEST_ROWS / len(np.unique(groups))
    train, test = split_off(labels, share, SEED, groups)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, indices in (("train", train), ("test", test)):
        data = "".join(lines[i] for i in indices).encode("utf-8")
        (OUT / f"{name}.csv.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        print(f"{name}: {len(indices)} rows, per class {np.bincount(labels[indices])[1:].tolist()}")
    shutil.copyfile(source / "classes.txt", OUT / "classes.txt")


if __name__ == "__main__":
    main()
