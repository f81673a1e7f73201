"""benchmarks/embeddings.py's report, from result rows of the three settings written here."""

from __future__ import annotations

import numpy as np
from helpers.benchmark_scripts import load_benchmark
from helpers.paired_rows import correctness, rows_with_predictions

from harness.results.log import append_row

VECTORS = {
    "source": "glove-6b-50d", "fingerprint": "sha256:0123456789abcdef0123", "format": "glove",
    "dimension": 50, "words_found": 18_000, "vocabulary_words": 19_998,
    "vocabulary_coverage": 0.9, "token_coverage": 0.98, "random_rows_seed": 0,
}  # fmt: skip
ACCURACY = {"random": 0.80, "frozen": 0.80, "fine-tuned": 0.90}
CELL_SECONDS = {"random": 60.0, "frozen": 30.0, "fine-tuned": 66.0}


def test_the_report_sets_accuracy_cost_and_the_paired_comparisons_side_by_side(tmp_path):
    embeddings = load_benchmark("embeddings")
    rng = np.random.default_rng(0)
    for setting, accuracy in ACCURACY.items():
        trainable = {"random": None, "frozen": False, "fine-tuned": True}[setting]
        rows = rows_with_predictions("lstm", "bucket", correctness(rng, accuracy, 2000))
        for row in rows:
            row["cell_wall_seconds"] = CELL_SECONDS[setting]
            row["embeddings"] = None if trainable is None else {**VECTORS, "trainable": trainable}
            row["comparison"] = setting
            append_row(tmp_path / setting / "results.jsonl", row)

    summary = embeddings.summarise(tmp_path)
    commands = {setting: ["harness", "run", "--out", setting] for setting in ACCURACY}
    report = embeddings.render(summary, "python benchmarks/embeddings.py", commands)

    assert "- **Command:** `python benchmarks/embeddings.py`, which ran" in report
    assert "  - fine-tuned: `harness run --out fine-tuned`" in report
    assert "`glove-6b-50d` (sha256:0123456789ab…, glove), 50 dimensions" in report
    frozen_line = next(line for line in report.splitlines() if "| lstm | bucket | frozen |" in line)
    assert "| 30 | 0.50x |" in frozen_line  # half random's cell time
    tuned = report.split("## Fine-tuned against random, paired")[1]
    assert "| lstm | bucket | " in tuned and "| better |" in tuned
    frozen = report.split("## Frozen against random, paired")[1].split("## ")[0]
    assert "| within noise |" in frozen
