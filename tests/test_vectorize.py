"""Splits, vocabulary, and the on-disk cache of vectorised data."""

import numpy as np
import pytest
from helpers.news_data import news_rows, write_news_csv

from harness.config import DataConfig
from harness.data import vectorize
from harness.data.cache import CacheDamaged, load_prepared
from harness.data.splits import split_off, stratified_sample
from harness.data.vectorize import prepare
from harness.errors import HarnessError, HarnessWarning


def test_stratified_sample_keeps_class_shares_and_is_seeded():
    labels = np.repeat([0, 1, 2], [50, 30, 20])
    chosen = stratified_sample(labels, 10, seed=3)
    assert np.bincount(labels[chosen]).tolist() == [5, 3, 2]
    np.testing.assert_array_equal(chosen, stratified_sample(labels, 10, seed=3))
    assert not np.array_equal(chosen, stratified_sample(labels, 10, seed=4))


def test_stratified_sample_rounds_to_the_exact_count():
    labels = np.repeat([0, 1, 2], [34, 33, 33])
    assert len(stratified_sample(labels, 10, seed=0)) == 10


def test_split_off_partitions_the_rows():
    labels = np.repeat([0, 1], [40, 60])
    kept, taken = split_off(labels, 0.2, seed=0)
    assert sorted(np.concatenate([kept, taken]).tolist()) == list(range(100))
    assert np.bincount(labels[taken]).tolist() == [8, 12]


def test_split_off_keeps_copies_of_a_row_on_one_side():
    labels = np.repeat([0, 1], 50)
    groups = np.arange(100) // 2  # every text twice
    kept, taken = split_off(labels, 0.2, seed=5, groups=groups)
    assert len(taken) == 20
    assert not set(groups[kept]) & set(groups[taken])


def test_validation_holds_no_copy_of_a_training_row(tmp_path, registry):
    directory = tmp_path / "repeats"
    directory.mkdir()
    (directory / "classes.txt").write_text("a\nb\n")
    rows = [(k % 2 + 1, f"story{k % 30}", "told again") for k in range(90)]  # each story 3 times
    write_news_csv(directory / "train.csv", rows)
    write_news_csv(directory / "test.csv", [(k % 2 + 1, f"new{k}", "told once") for k in range(4)])
    data = prepare(
        DataConfig(source=str(directory), validation_size=0.2), registry, tmp_path / "cache"
    )
    story = np.arange(90) % 30
    assert len(data.validation) == 18
    assert not set(story[data.source_rows["train"]]) & set(story[data.source_rows["validation"]])


def test_prepare_splits_sizes_and_stratification(news_dir, tmp_path, registry):
    data = prepare(
        DataConfig(source=str(news_dir), validation_size=0.25), registry, tmp_path / "cache"
    )
    assert {name: len(split) for name, split in data.splits.items()} == {
        "train": 120,
        "validation": 40,
        "test": 40,
    }
    assert np.bincount(data.validation.labels).tolist() == [10, 10, 10, 10]
    assert not set(data.source_rows["train"]) & set(data.source_rows["validation"])


def test_max_train_takes_a_stratified_subset(news_dir, tmp_path, registry):
    data = prepare(DataConfig(source=str(news_dir), max_train=40), registry, tmp_path / "cache")
    assert len(data.train) == 40
    assert np.bincount(data.train.labels).tolist() == [10, 10, 10, 10]
    assert len(data.validation) == 16  # carved before the subset, so max_train leaves it alone


def test_vocabulary_is_fitted_on_the_training_split_only(tmp_path, registry):
    directory = tmp_path / "marked"
    directory.mkdir()
    (directory / "classes.txt").write_text("a\nb\n")
    rows = [(k % 2 + 1, f"row{k}marker", "common words here") for k in range(40)]
    write_news_csv(directory / "train.csv", rows)
    write_news_csv(directory / "test.csv", [(1, "testonlymarker", "common")])
    data = prepare(
        DataConfig(source=str(directory), validation_size=0.25), registry, tmp_path / "cache"
    )
    vocabulary = set(data.vocabulary)
    assert {f"row{k}marker" for k in data.source_rows["train"]} <= vocabulary
    assert not {f"row{k}marker" for k in data.source_rows["validation"]} & vocabulary
    assert "testonlymarker" not in vocabulary


def test_tokens_round_trip_through_the_vocabulary(news_dir, tmp_path, registry):
    data = prepare(DataConfig(source=str(news_dir), fields="title"), registry, tmp_path / "cache")
    first = data.test.rows()[0]
    words = [data.vocabulary[token] for token in first]
    title = news_rows(40, seed=2)[0][1].lower().replace(".", "").split()
    assert words == [word if word in data.vocabulary else "[UNK]" for word in title]


def test_max_length_truncates(news_dir, tmp_path, registry):
    data = prepare(DataConfig(source=str(news_dir), max_length=5), registry, tmp_path / "cache")
    assert data.train.lengths.max() == 5


def test_a_row_with_no_tokens_gets_one_out_of_vocabulary_token(tmp_path, registry):
    directory = tmp_path / "punct"
    directory.mkdir()
    (directory / "classes.txt").write_text("a\nb\n")
    rows = [(k % 2 + 1, ("alpha beta", "gamma delta")[k % 2], f"row{k}") for k in range(20)]
    write_news_csv(directory / "train.csv", rows)
    write_news_csv(directory / "test.csv", [(1, "!!!", "..."), (2, "alpha", "")])
    data = prepare(DataConfig(source=str(directory)), registry, tmp_path / "cache")
    assert data.rows_without_tokens["test"] == 1
    assert data.test.rows()[0].tolist() == [vectorize.OOV_TOKEN_ID]
    assert data.test.lengths.min() == 1


def test_cache_is_reused_and_invalidated_by_any_input_change(
    news_dir, tmp_path, monkeypatch, registry
):
    cache = tmp_path / "cache"
    first = prepare(DataConfig(source=str(news_dir)), registry, cache)

    def must_not_rebuild(*args):
        raise AssertionError("rebuilt a cached data set")

    with monkeypatch.context() as patch:
        patch.setattr(vectorize, "vectorize", must_not_rebuild)
        again = prepare(DataConfig(source=str(news_dir)), registry, cache)
    assert again.cache_path == first.cache_path
    np.testing.assert_array_equal(again.train.token_ids, first.train.token_ids)

    other_fields = prepare(DataConfig(source=str(news_dir), fields="title"), registry, cache)
    other_seed = prepare(DataConfig(source=str(news_dir), split_seed=1), registry, cache)
    other_vocabulary = prepare(
        DataConfig(source=str(news_dir), vocabulary_size=10), registry, cache
    )
    raw_text = prepare(DataConfig(source=str(news_dir), normalize=False), registry, cache)
    write_news_csv(news_dir / "test.csv", news_rows(40, seed=99))
    changed_file = prepare(DataConfig(source=str(news_dir)), registry, cache)
    paths = {d.cache_path for d in (first, other_fields, other_seed, other_vocabulary, raw_text)}
    assert len(paths | {changed_file.cache_path}) == 6
    assert len(other_vocabulary.vocabulary) == 10


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1])
def test_validation_size_must_be_a_share(bad):
    with pytest.raises(HarnessError, match="--validation-size must be a share"):
        DataConfig(validation_size=bad)


@pytest.mark.parametrize(
    ("damaged", "how"),
    [
        ("splits.npz", "cut"),
        ("meta.json", "cut"),
        ("splits.npz", "changed"),
        ("meta.json", "emptied"),
        ("splits.npz", "removed"),
    ],
)
def test_a_damaged_cache_entry_is_named_and_rebuilt(news_dir, tmp_path, damaged, how, registry):
    """A truncated splits.npz or meta.json used to be a traceback on every later run, --force
    included; the entry is verified against the checksum it stores, and rebuilt."""
    cache = tmp_path / "cache"
    first = prepare(DataConfig(source=str(news_dir)), registry, cache)
    path = first.cache_path / damaged
    content = path.read_bytes()
    if how == "cut":
        path.write_bytes(content[: len(content) // 2])
    elif how == "changed":
        flipped = bytearray(content)
        flipped[len(flipped) // 2] ^= 0xFF
        path.write_bytes(bytes(flipped))
    elif how == "emptied":
        path.write_text("{}")
    else:
        path.unlink()
    with pytest.raises(CacheDamaged, match=f"{first.cache_path}"):
        load_prepared(first.cache_path)  # a cell's worker: named, not a traceback
    with pytest.warns(HarnessWarning, match=f"cache entry {first.cache_path} .*rebuilt"):
        again = prepare(DataConfig(source=str(news_dir)), registry, cache)
    assert again.cache_path == first.cache_path
    assert again.vocabulary == first.vocabulary
    for name in ("train", "validation", "test"):
        np.testing.assert_array_equal(again.splits[name].token_ids, first.splits[name].token_ids)
    load_prepared(first.cache_path)  # whole again


@pytest.mark.slow
def test_a_run_on_a_cut_cache_entry_rebuilds_it_and_finishes(harness_run):
    args = ("-a", "bag-of-embeddings", "-p", "none", "--seeds", "1", "--in-process")
    harness_run(*args)
    (meta,) = harness_run.cache.glob("*/meta.json")
    meta.write_bytes(meta.read_bytes()[:40])  # as a full disk or a killed copy leaves it
    again = harness_run(*args, "--force")
    assert f"warning: cache entry {meta.parent} is damaged" in again.stderr
    assert "it is rebuilt" in again.stderr and "Traceback" not in again.stderr
    assert "1 cells run, 0 not done" in again.stdout
