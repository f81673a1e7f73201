"""``harness data check``: validate a data source and describe it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tabulate import tabulate

from harness.api import OOV_TOKEN_ID, TextDataset
from harness.config import DataConfig
from harness.data.loading import load_dataset
from harness.data.text import normalize
from harness.data.vectorize import fit_vectorizer, source_options, training_rows
from harness.plugin.manager import Registry

PERCENTILES = (50, 90, 99, 100)


@dataclass(frozen=True)
class DataSummary:
    dataset: TextDataset
    token_lengths: dict[str, np.ndarray]
    vocabulary_size: int
    test_coverage: float
    repeated_train_rows: int
    test_rows_in_train: int

    def render(self) -> str:
        names = self.dataset.class_names
        counts = {
            split: np.bincount(getattr(self.dataset, split).labels, minlength=len(names))
            for split in ("train", "test")
        }
        rows = [
            [k + 1, name, counts["train"][k], counts["test"][k]] for k, name in enumerate(names)
        ]
        rows.append(["", "all", counts["train"].sum(), counts["test"].sum()])
        lengths = [
            [
                split,
                *np.percentile(values, PERCENTILES).round().astype(int),
                round(values.mean(), 1),
            ]
            for split, values in self.token_lengths.items()
        ]
        return "\n".join(
            [
                f"source: {self.dataset.source}",
                f"fingerprint: {self.dataset.fingerprint}",
                f"fields: {'+'.join(self.dataset.fields)}",
                *(f"note: {note}" for note in self.dataset.notes),
                "",
                "Rows per class and split",
                tabulate(rows, ["index", "class", "train", "test"]),
                "",
                "Token lengths (after normalisation and TextVectorization's standardisation)",
                tabulate(
                    lengths,
                    ["split", *(f"p{p}" if p < 100 else "max" for p in PERCENTILES), "mean"],
                ),
                "",
                f"Vocabulary: {self.vocabulary_size} tokens fitted on the training split; "
                f"it covers {self.test_coverage:.1%} of the test split's tokens "
                f"({1 - self.test_coverage:.1%} out of vocabulary).",
                f"Repeated text: {self.repeated_train_rows} training rows repeat an earlier "
                f"training row; {self.test_rows_in_train} test rows also occur in training. "
                "(The validation split keeps copies of a text on one side.)",
            ]
        )


def check(config: DataConfig, registry: Registry) -> DataSummary:
    """Load and validate ``config.source`` through ``registry``'s kinds with every check of
    ``harness run``, the split of its training rows included (raises :class:`DataError`),
    then measure it."""
    dataset = load_dataset(config.source, registry, source_options(config))  # before TF starts
    texts = {
        split: [normalize(text) if config.normalize else text for text in rows.texts]
        for split, rows in (("train", dataset.train), ("test", dataset.test))
    }
    training_rows(config, dataset, texts["train"])
    import tensorflow as tf

    vectorizer = fit_vectorizer(texts["train"], config.vocabulary_size)
    vectorized = {split: vectorizer(tf.constant(values)) for split, values in texts.items()}
    test_tokens = vectorized["test"].flat_values.numpy()
    training_texts = set(texts["train"])
    return DataSummary(
        dataset=dataset,
        token_lengths={split: ragged.row_lengths().numpy() for split, ragged in vectorized.items()},
        vocabulary_size=vectorizer.vocabulary_size(),
        test_coverage=float(np.mean(test_tokens != OOV_TOKEN_ID)) if len(test_tokens) else 0.0,
        repeated_train_rows=len(texts["train"]) - len(training_texts),
        test_rows_in_train=sum(text in training_texts for text in texts["test"]),
    )
