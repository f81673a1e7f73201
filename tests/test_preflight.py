"""Everything a run will write is checked before the first cell, by writing: ``--out``, each
file it writes there through its final path (links resolved), and ``--cache-dir``; a refused
run leaves nothing behind; a row that cannot be appended is kept elsewhere, never lost."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.permissions import UNWRITABLE, as_an_ordinary_user, unwritable_directory
from test_reliability import TINY, assert_refused_before_training

from harness.errors import HarnessError
from harness.execution.preflight import OUTPUT_FILES, check_output_directory
from harness.results.log import append_row


def broken_link(out: Path, name: str, kind: str, elsewhere: Path) -> str:
    """Make ``out/name`` a link of ``kind``; return the start of the error it should get."""
    out.mkdir(exist_ok=True)
    link = out / name
    if kind == "dangling link":
        link.symlink_to(elsewhere / "nowhere" / name)
        return f"--out {out}: {name} is a link to {elsewhere / 'nowhere' / name}"
    if kind == "symlink loop":
        link.symlink_to(link)
        return f"--out {out}: {name} is a link that loops"
    (elsewhere / "a-directory").mkdir()
    link.symlink_to(elsewhere / "a-directory")
    return f"--out {out}: cannot write {name}"


LINKS = ["dangling link", "symlink loop", "link to a directory"]


@pytest.mark.parametrize("kind", LINKS)
def test_a_results_file_that_cannot_be_written_through_its_link_is_refused(
    harness_run, tmp_path, kind
):
    """A dangling or looping results.jsonl used to pass; the cell trained, then its row was
    lost to a traceback. Each is refused before the data is even loaded."""
    expected = broken_link(harness_run.out, "results.jsonl", kind, tmp_path)
    result = harness_run(*TINY, "--seeds", "1", check=False)
    assert_refused_before_training(result, harness_run, expected, "results.jsonl")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", [name for name in OUTPUT_FILES if name != "results.jsonl"])
@pytest.mark.parametrize("kind", LINKS)
def test_every_file_a_run_writes_is_checked_through_its_link(tmp_path, name, kind):
    expected = broken_link(tmp_path / "out", name, kind, tmp_path)
    with pytest.raises(HarnessError, match=re.escape(expected)):
        check_output_directory(tmp_path / "out")


@pytest.mark.parametrize("kind", UNWRITABLE)
def test_an_unwritable_cache_dir_is_refused_before_training(harness_run, tmp_path, kind):
    cache = unwritable_directory(tmp_path, kind)
    args = (*TINY, "--cache-dir", str(cache))
    result = harness_run(*args, preexec_fn=as_an_ordinary_user(), check=False)
    assert_refused_before_training(result, harness_run, f"--cache-dir {cache}: cannot")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not harness_run.out.exists()


def test_a_refused_run_creates_no_out_directory(harness_run, tmp_path):
    """The data is refused after --out was checked: the check leaves no directory behind."""
    out = tmp_path / "new" / "runs" / "out"
    missing = tmp_path / "no-such-data"
    result = harness_run(*TINY, "--out", str(out), "--data", str(missing), check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{missing}: not a directory" in result.stderr
    assert not (tmp_path / "new").exists()


DISK_FULL_RUN = """
import json, sys
from pathlib import Path
import harness.execution.runner
from harness.config import DataConfig, RunOptions, TrainingConfig
from harness.errors import HarnessError

def disk_full(path, row):
    raise OSError(28, "No space left on device", str(path))

harness.execution.runner.append_row = disk_full
news, out = sys.argv[1:]
options = RunOptions(
    architectures=("bag-of-embeddings",), paddings=("none",), seeds=1,
    data=DataConfig(source=news), training=TrainingConfig(max_epochs=1, batch_size=16),
    out_dir=Path(out), cache_dir=Path(out).parent / "cache", in_process=True, quiet=True,
)
try:
    harness.execution.runner.run(options, say=lambda line: None)
except HarnessError as refused:
    print(json.dumps(str(refused)))
"""


@pytest.mark.slow
def test_a_row_that_cannot_be_appended_is_kept_and_named(news_dir, tmp_path):
    """The results file fails after the cell trained (simulated: the disk fills): the row
    goes to a file beside it, the run stops with one line naming that file. In a process of
    its own: the cell trains in it, with its device set up afresh."""
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", DISK_FULL_RUN, str(news_dir), str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    message = json.loads(result.stdout.strip().splitlines()[-1])
    (kept,) = out.glob("results.unsaved-*.jsonl")
    assert f"cannot append to {out / 'results.jsonl'} (No space left on device)" in message
    assert f"its row is kept in {kept}" in message
    (row,) = [json.loads(line) for line in kept.read_text().splitlines()]
    assert row["status"] == "done" and row["architecture"] == "bag-of-embeddings"
    append_row(out / "results.jsonl", row)  # what the message says to do with it
