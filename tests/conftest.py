"""Shared fixtures: tiny installed distributions and tiny AG News style data sets."""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from news_data import TOPICS, news_rows, write_news_csv

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def install_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str, dict[str, str]], str]:
    """Make a tiny distribution importable, as ``pip install`` would: its modules and metadata.

    ``install(name, {entry_point_name: module_source})`` writes one module per
    plugin and registers them under the ``rnn_harness.plugins`` group; it returns
    the folder, to put on PYTHONPATH for a subprocess.
    """
    site = tmp_path / "site-packages"
    created: list[str] = []

    def install(distribution: str, plugins: dict[str, str]) -> str:
        site.mkdir(exist_ok=True)
        lines = ["[rnn_harness.plugins]"]
        for plugin_name, source in plugins.items():
            module = f"plugin_{plugin_name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
            (site / f"{module}.py").write_text(textwrap.dedent(source))
            lines.append(f"{plugin_name} = {module}")
            created.append(module)
        info = site / f"{distribution.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n"
        )
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        monkeypatch.syspath_prepend(str(site))
        importlib.invalidate_caches()
        return str(site)

    yield install
    for module in created:
        sys.modules.pop(module, None)


@pytest.fixture
def news_dir(tmp_path: Path) -> Path:
    """A tiny data set of the project's own in the AG News CSV layout: 160 train, 40 test rows."""
    directory = tmp_path / "news"
    directory.mkdir()
    (directory / "classes.txt").write_text("\n".join(TOPICS) + "\n")
    write_news_csv(directory / "train.csv", news_rows(160, seed=1))
    write_news_csv(directory / "test.csv", news_rows(40, seed=2))
    return directory
