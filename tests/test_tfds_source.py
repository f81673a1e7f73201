"""The tensorflow-datasets source: any builder's text features and class label, a did-you-mean
for an unknown name, and a fast failure, with advice, when the data set's hosts are offline.

The builders are defined in ``helpers/tfds_builders.py`` and prepared from local files.
"""

import time
from pathlib import Path

import pytest
from helpers.data_sources import write_zhang_dir
from helpers.tfds_builders import NEWS_CLASSES, REVIEW_CLASSES, TinyNews, TinyReviews, prepare

from harness.data import SourceOptions
from harness.data.loading import load_dataset
from harness.data.sources import tfds_source
from harness.errors import DataError


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory) -> Path:
    """A tensorflow-datasets data directory holding tiny_news and tiny_reviews, prepared."""
    root = tmp_path_factory.mktemp("tfds")
    prepare(TinyNews, write_zhang_dir(root / "news_files", 3, 2), root / "data")
    prepare(TinyReviews, write_zhang_dir(root / "review_files", 2, 1), root / "data")
    return root / "data"


def test_a_builder_with_two_text_features_joins_them_in_its_order(tfds_dir, registry):
    dataset = load_dataset("tfds:tiny_news", registry, SourceOptions(tfds_data_dir=tfds_dir))
    assert dataset.fields == ("title", "description")
    assert dataset.class_names == list(NEWS_CLASSES)
    assert (len(dataset.train), len(dataset.test)) == (36, 9)
    assert sorted(dataset.train.labels.tolist()) == sorted([0, 1, 2] * 12)
    parts = [
        load_dataset("tfds:tiny_news", registry, SourceOptions((name,), tfds_data_dir=tfds_dir))
        for name in ("title", "description")
    ]
    assert [part.fields for part in parts] == [("title",), ("description",)]
    assert dataset.train.texts == [
        f"{title} {description}"
        for title, description in zip(parts[0].train.texts, parts[1].train.texts, strict=True)
    ]


def test_a_builder_with_one_text_feature(tfds_dir, registry):
    dataset = load_dataset("tfds:tiny_reviews", registry, SourceOptions(tfds_data_dir=tfds_dir))
    assert dataset.fields == ("text",)
    assert dataset.class_names == list(REVIEW_CLASSES)
    assert (len(dataset.train), len(dataset.test)) == (24, 6)


def test_a_wrong_field_name_lists_the_features(tfds_dir, registry):
    with pytest.raises(DataError) as raised:
        load_dataset("tfds:tiny_news", registry, SourceOptions(("body",), tfds_data_dir=tfds_dir))
    assert str(raised.value) == (
        "--fields: 'body' is not a text feature of tfds:tiny_news "
        "(features: label (ClassLabel), title (Text), description (Text))"
    )


def test_unreachable_download_fails_fast_with_advice(tmp_path, monkeypatch, registry):
    # the data set's own download host, as if it could not be reached: nothing listens there
    monkeypatch.setattr(tfds_source, "download_hosts", lambda builder: [("127.0.0.1", 9)])
    started = time.monotonic()
    with pytest.raises(DataError) as raised:
        load_dataset(
            "tfds:ag_news_subset", registry, SourceOptions(tfds_data_dir=tmp_path / "tfds")
        )
    assert time.monotonic() - started < 30
    message = str(raised.value)
    assert "cannot be reached" in message
    assert "--data PATH" in message
    manual = tmp_path / "tfds" / "downloads" / "manual" / "ag_news_csv.tar.gz"
    assert str(manual) in message


def test_the_download_check_asks_the_data_sets_own_hosts(tmp_path):
    builder = tfds_source._builder("ag_news_subset", tmp_path)
    assert tfds_source.download_hosts(builder) == [("drive.google.com", 443)]


def test_unknown_tfds_name_is_a_clear_error(tmp_path, registry):
    with pytest.raises(DataError, match="has no data set 'no_such_news'"):
        load_dataset("tfds:no_such_news", registry, SourceOptions(tfds_data_dir=tmp_path))
