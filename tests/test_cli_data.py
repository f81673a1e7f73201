"""``harness data check`` through the real command line."""

import re
import subprocess
import sys


def harness(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=300
    )


def test_data_check_prints_statistics(news_dir):
    result = harness("data", "check", str(news_dir))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Rows per class and split" in out
    for line in ("World", "Sports", "Business", "Sci/Tech"):
        assert f"{line}  " in out
    assert re.search(r"all\s+160\s+40\n", out)
    assert "p50" in out and "p99" in out
    assert "covers" in out and "of the test split's tokens" in out
    assert "Repeated text: 0 training rows repeat an earlier training row" in out


def test_data_check_names_the_broken_row(news_dir):
    rows = (news_dir / "train.csv").read_text().splitlines()
    rows[6] = '"7","title","description"'
    (news_dir / "train.csv").write_text("\n".join(rows) + "\n")
    result = harness("data", "check", str(news_dir))
    assert result.returncode == 2
    assert f"error: {news_dir / 'train.csv'}: malformed rows" in result.stderr
    assert "line 7: class index 7 is outside 1..4" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_tfds_source_is_one_message_without_traceback(tmp_path):
    result = harness("data", "check", "tfds:no_such_news", "--tfds-data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "error: tensorflow-datasets has no data set 'no_such_news'" in result.stderr
    assert "Traceback" not in result.stderr
