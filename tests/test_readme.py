"""The README stays true: CI runs the very test command it gives, and the committed
leaderboard came from the command it shows."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_quick_start_has_a_main_command_and_a_test_command():
    main_command, test_command = quick_start_commands()
    assert "harness run --all" in main_command
    assert "pytest" in test_command


def test_ci_runs_the_readme_test_command():
    _, test_command = quick_start_commands()
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_committed_leaderboard_was_made_by_the_command_the_readme_gives():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The committed leaderboard", 1)[1].split("\n## ", 1)[0]
    command = re.findall(r"```bash\n(.+?)\n```", section)[0]
    board = (ROOT / "reports" / "leaderboard.md").read_text()
    assert f"- **Command:** `{command}`" in board


def test_the_readme_is_a_page_that_links_every_document():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    for document in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{document.name})" in readme, document.name
    assert (ROOT / "CHANGELOG.md").is_file()
