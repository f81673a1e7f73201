"""Turning a data set into integer sequences: the validation split, the vocabulary, the ids.

The vocabulary (a Keras ``TextVectorization``) is fitted on the training split
only, after the validation split has been carved out of it; rows with the same
text stay on one side of that split. :func:`prepare` does this once per data
configuration and source content: the result is kept in the cache
(:mod:`harness.data.cache`), which every cell and every later run reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.api import (
    OOV_TOKEN_ID,
    SPLITS,
    SourceOptions,
    TextDataset,
    VectorizedData,
    VectorizedSplit,
)
from harness.config import DataConfig
from harness.data.cache import cached
from harness.data.loading import load_dataset, source_fingerprint
from harness.data.splits import split_off, stratified_sample
from harness.data.text import normalize
from harness.data.validation import check_subset, check_training_split
from harness.plugin.manager import Registry


def source_options(config: DataConfig) -> SourceOptions:
    """What the data source needs of ``config``: its fields, label column and tfds folder."""
    return SourceOptions(
        fields=config.fields,
        label_column=config.label_column,
        tfds_data_dir=Path(config.tfds_data_dir) if config.tfds_data_dir else None,
    )


def prepare(
    config: DataConfig, registry: Registry, cache_dir: Path | None = None
) -> VectorizedData:
    """The vectorised splits of ``config``, its source opened through ``registry``'s kinds:
    from the cache (``cache_dir``, default :func:`~harness.data.cache.default_cache_dir`), or
    built once and cached."""
    options = source_options(config)
    fingerprint = source_fingerprint(config.source, registry, options)
    return cached(
        config,
        fingerprint,
        lambda path: vectorize(
            config, load_dataset(config.source, registry, options), fingerprint, path
        ),
        cache_dir,
    )


def fit_vectorizer(texts: list[str], vocabulary_size: int, ragged: bool = True):
    """A ``TextVectorization`` whose vocabulary is fitted on ``texts``.

    adapt() is fed a batched tf.data.Dataset: about 100x faster than a NumPy array of strings.
    """
    import tensorflow as tf

    vectorizer = tf.keras.layers.TextVectorization(max_tokens=vocabulary_size, ragged=ragged)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(1024))
    return vectorizer


def vectorize(
    config: DataConfig, dataset: TextDataset, fingerprint: str, cache_path: Path
) -> VectorizedData:
    """``dataset``'s three splits as token ids, as ``config`` says (stored at ``cache_path``)."""
    import tensorflow as tf

    texts = {"train": dataset.train.texts, "test": dataset.test.texts}
    if config.normalize:
        texts = {split: [normalize(text) for text in values] for split, values in texts.items()}
    labels = dataset.train.labels
    kept, validation = training_rows(config, dataset, texts["train"])
    split_texts = {
        "train": [texts["train"][i] for i in kept],
        "validation": [texts["train"][i] for i in validation],
        "test": texts["test"],
    }
    split_labels = {
        "train": labels[kept],
        "validation": labels[validation],
        "test": dataset.test.labels,
    }
    source_rows = {"train": kept, "validation": validation, "test": np.arange(len(dataset.test))}

    vectorizer = fit_vectorizer(split_texts["train"], config.vocabulary_size)

    splits: dict[str, VectorizedSplit] = {}
    rows_without_tokens: dict[str, int] = {}
    for name in SPLITS:
        ragged = vectorizer(tf.constant(split_texts[name]))
        if config.max_length is not None:
            ragged = ragged[:, : config.max_length]
        token_ids, lengths, empty = _never_empty(
            ragged.flat_values.numpy().astype("int32"), ragged.row_lengths().numpy().astype("int32")
        )
        splits[name] = VectorizedSplit(token_ids, lengths, split_labels[name].astype("int32"))
        rows_without_tokens[name] = empty
    return VectorizedData(
        config=config,
        fingerprint=fingerprint,
        class_names=dataset.class_names,
        fields=dataset.fields,
        notes=list(dataset.notes),
        vocabulary=[str(token) for token in vectorizer.get_vocabulary()],
        splits=splits,
        source_rows={name: rows.astype("int64") for name, rows in source_rows.items()},
        rows_without_tokens=rows_without_tokens,
        cache_path=cache_path,
    )


def training_rows(
    config: DataConfig, dataset: TextDataset, texts: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, validation): the rows of ``dataset``'s training split that train (a
    ``--max-train`` subset of them) and those held out for validation, rows of the same
    text (``texts``, as the model reads them) on one side. Raises :class:`DataError` when
    the training split is left without rows of every class."""
    labels = dataset.train.labels
    _, same_text = np.unique(texts, return_inverse=True)
    kept, validation = split_off(labels, config.validation_size, config.split_seed, same_text)
    check_training_split(dataset.source, dataset.class_names, labels[kept], len(validation))
    if config.max_train is not None and config.max_train < len(kept):
        kept = kept[stratified_sample(labels[kept], config.max_train, config.split_seed)]
        check_subset(dataset.source, dataset.class_names, labels[kept], config.max_train)
    return kept, validation


def _never_empty(token_ids: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Give each row that has no tokens (e.g. only punctuation) one out-of-vocabulary token.

    An all-padding row would be fully masked, which Keras's fused GPU kernels refuse.
    """
    empty = np.flatnonzero(lengths == 0)
    if len(empty) == 0:
        return token_ids, lengths, 0
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    token_ids = np.insert(token_ids, starts[empty], OOV_TOKEN_ID).astype("int32")
    return token_ids, np.maximum(lengths, 1).astype("int32"), len(empty)
