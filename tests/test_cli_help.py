"""The help screen of ``harness run``: its options under five headings, one line each."""

from __future__ import annotations

import re

from click.testing import CliRunner

from harness.cli import main

GROUPS = ["Selection", "Data", "Training", "Execution", "Output"]


def test_run_help_lists_every_option_under_its_group_one_line_each():
    result = CliRunner().invoke(main, ["run", "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    headings = [line[:-1] for line in lines if re.fullmatch(r"\w[\w ]*:", line)]
    assert headings[: len(GROUPS)] == GROUPS
    option_section = result.output.split("Selection:", 1)[1]
    continued = [line for line in option_section.splitlines() if re.match(r" {6,}\S", line)]
    assert continued == [], "an option's help runs onto a second line"
    for option in ("--all", "--data", "--epochs", "--jobs", "--out"):
        assert re.search(rf"^  (-\w, )?{option}\b", result.output, re.MULTILINE), option
