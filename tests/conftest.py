"""Shared fixtures: tiny installed distributions and tiny AG News style data sets."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.news_data import TOPICS, news_rows, write_news_csv

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
        created.extend(write_distribution(site, distribution, plugins))
        monkeypatch.syspath_prepend(str(site))
        importlib.invalidate_caches()
        return str(site)

    yield install
    for module in created:
        sys.modules.pop(module, None)


def write_distribution(site: Path, distribution: str, plugins: dict[str, str]) -> list[str]:
    """Write ``distribution`` into the folder ``site``: one module per plugin, and metadata
    that registers them under the ``rnn_harness.plugins`` group; return the module names."""
    site.mkdir(exist_ok=True)
    lines = ["[rnn_harness.plugins]"]
    modules = []
    for plugin_name, source in plugins.items():
        module = f"plugin_{plugin_name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        lines.append(f"{plugin_name} = {module}")
        modules.append(module)
    info = site / f"{distribution.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return modules


@pytest.fixture
def news_dir(tmp_path: Path) -> Path:
    """A tiny data set of the project's own in the AG News CSV layout: 160 train, 40 test rows."""
    directory = tmp_path / "news"
    directory.mkdir()
    (directory / "classes.txt").write_text("\n".join(TOPICS) + "\n")
    write_news_csv(directory / "train.csv", news_rows(160, seed=1))
    write_news_csv(directory / "test.csv", news_rows(40, seed=2))
    return directory


@pytest.fixture
def harness_run(news_dir: Path, tmp_path: Path):
    """Run ``harness run`` in a subprocess on the tiny data set; returns the completed process.

    ``harness_run.command(*args)`` is the command line itself, ``harness_run.out`` the output
    folder, ``harness_run.report()`` runs ``harness report`` on it, and ``harness_run.cache``
    is the data cache (it exists once data has been loaded). A later ``--data`` or ``--out``
    in ``args`` replaces the fixture's.
    """
    out, cache = tmp_path / "out", tmp_path / "cache"

    def command(*args: str) -> list[str]:
        return [
            sys.executable, "-m", "harness", "run", "--data", str(news_dir), "--out", str(out),
            "--cache-dir", str(cache), "--epochs", "1", "--batch-size", "16", "--quiet", *args,
        ]  # fmt: skip

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        check: bool = True,
        preexec_fn: Callable[[], None] | None = None,
    ):
        result = subprocess.run(
            command(*args),
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, **(env or {})},
            preexec_fn=preexec_fn,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def report(preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "harness", "report", "--out", str(out)]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=600, preexec_fn=preexec_fn
        )

    run.command = command
    run.report = report
    run.out = out
    run.cache = cache
    return run


@pytest.fixture(scope="session")
def registry():
    """Every installed plugin's contributions, loaded once (tests that install a plugin load
    their own)."""
    from harness.plugin.manager import load_registry

    return load_registry()
