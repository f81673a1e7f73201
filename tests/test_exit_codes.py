"""The exit codes of every ``harness`` command, and what reaches a user when the harness fails.

0 all done, 1 a cell failed (``compare``: a cell is worse), 2 a usage or data error, 3 an
unexpected error (one line and the path of a log holding the traceback), 130 interrupted.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import harness.report.files
from harness.cli import main
from harness.cli.exits import ExitCode

ROOT = Path(__file__).resolve().parent.parent


def test_an_unexpected_error_is_one_line_with_a_log_of_its_traceback(monkeypatch, tmp_path):
    """A bug (here simulated: the leaderboard's writer raises) is not a traceback on the
    terminal, nor exit 1, which would read as a failed cell: one line, exit 3, a log."""

    def broken(out_dir: Path) -> Path:
        raise RuntimeError("simulated fault\nwith a second line")

    monkeypatch.setattr(harness.report.files, "write_report", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the log goes
    arguments = ["report", "--out", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", ["harness", *arguments])  # as the shell gives them
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == ExitCode.UNEXPECTED == 3
    (line,) = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert line.startswith("error: unexpected RuntimeError: simulated fault")
    log = Path(re.search(r"traceback is in (\S+?);", line).group(1))
    assert log.parent == tmp_path
    text = log.read_text()
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: simulated fault" in text
    assert "harness report --out" in text  # the command that failed


def test_ctrl_c_exits_130(monkeypatch, tmp_path):
    def interrupted(out_dir: Path) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(harness.report.files, "write_report", interrupted)
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path)])
    assert result.exit_code == ExitCode.INTERRUPTED == 130
    assert result.stderr.strip() == "interrupted"


@pytest.mark.parametrize("command", ["run", "compare"])
def test_help_states_every_exit_code(command):
    help_text = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
    for code in (0, 1, 2, 3, 130):
        assert re.search(rf"\b{code} [a-z]", help_text), (code, help_text)


def test_the_docs_state_every_exit_code():
    text = " ".join((ROOT / "docs" / "exit-codes.md").read_text().split())
    for code in ExitCode:
        assert f"| {code.value} |" in text
