"""The tensorflow-datasets source fails within seconds, with advice, when it cannot download."""

import time

import pytest

from harness import tfds_source
from harness.dataset import load_dataset
from harness.errors import DataError
from harness.text import Fields


def test_unreachable_download_fails_fast_with_advice(tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_source, "DOWNLOAD_PROBE", ("127.0.0.1", 9))  # nothing listens
    started = time.monotonic()
    with pytest.raises(DataError) as raised:
        load_dataset("tfds:ag_news_subset", Fields.TITLE, tfds_data_dir=tmp_path / "tfds")
    assert time.monotonic() - started < 30
    message = str(raised.value)
    assert "cannot be reached" in message
    assert "--data PATH" in message
    manual = tmp_path / "tfds" / "downloads" / "manual" / "ag_news_csv.tar.gz"
    assert str(manual) in message


def test_unknown_tfds_name_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="has no data set 'no_such_news'"):
        load_dataset("tfds:no_such_news", Fields.TITLE, tfds_data_dir=tmp_path)
