"""Keras's backends as an axis: a cell's identity, bad input, boards and comparisons of
several backends, a JAX cell whose worker never imports TensorFlow, the plugin contract and
the weight average on each installed backend, and TensorFlow against JAX within noise."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers.result_rows import result_row

from harness.cli import main
from harness.config import BACKENDS, CellSpec, DeviceConfig, RunOptions, TrainingConfig
from harness.errors import HarnessError
from harness.execution.preflight import check_backends
from harness.execution.runner import comparison_key
from harness.report.compare import Side, compare
from harness.report.compare import render as render_comparison
from harness.report.html import render_page
from harness.report.leaderboard import Leaderboard, render

ROOT = Path(__file__).resolve().parent.parent
COMMITTED_RESULTS = ROOT / "reports" / "results.jsonl"
INSTALLED = [
    pytest.param(
        backend,
        marks=pytest.mark.skipif(
            importlib.util.find_spec(backend) is None, reason=f"{backend} is not installed"
        ),
    )
    for backend in BACKENDS[1:]
]


def committed_cells() -> list[tuple[CellSpec, str]]:
    """The committed rows of today's harness (they record their padding plugin), each as
    the cell it was planned as, with the hash it was recorded under."""
    rows = [json.loads(line) for line in COMMITTED_RESULTS.read_text().splitlines() if line]
    device_settings = [field.name for field in dataclasses.fields(DeviceConfig)]
    cells = []
    for row in (row for row in rows if "padding_plugin" in row):
        host = row["host"]
        cell = CellSpec(
            row["architecture"], row["params"], row["padding"], row["seed"],
            TrainingConfig(**row["training"]),
            DeviceConfig(**{name: row["device"][name] for name in device_settings}),
            row["data"], "", row["plugin"],
            {"cpu": host["cpu"], "cores": host["cores"], "gpus": [g["name"] for g in host["gpus"]]},
            row["summary"], row["padding_plugin"],
        )  # fmt: skip
        cells.append((cell, row["config_hash"]))
    return cells


def test_a_tensorflow_cell_keeps_its_hash_and_another_backend_is_another_cell_of_its_board():
    cells = committed_cells()
    assert cells
    for cell, recorded in cells:
        assert cell.config_hash() == recorded
        on_jax = dataclasses.replace(cell, backend="jax")
        assert on_jax.config_hash() != recorded
        assert comparison_key(on_jax) == comparison_key(cell)
        assert on_jax.label.endswith("/ jax / seed 0") or "/ jax /" in on_jax.label


def test_unknown_and_missing_backends_are_one_line_before_anything_trains(
    news_dir, tmp_path, monkeypatch
):
    def run(*args: str) -> list[str]:
        result = CliRunner().invoke(
            main, ["run", "-a", "lstm", "--data", str(news_dir), "--out", str(tmp_path), *args]
        )
        assert result.exit_code == 2, result.output
        return [line for line in result.output.splitlines() if line.lower().startswith("error")]

    assert run("--backend", "nosuch") == [
        "Error: Invalid value for '--backend': 'nosuch' is not one of 'tensorflow', 'jax', 'torch'."
    ]
    find_spec = importlib.util.find_spec  # as if torch were not installed:
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *rest: None if name == "torch" else find_spec(name, *rest),
    )
    assert run("--backend", "torch") == [
        "error: --backend torch: torch is not installed; pip install 'rnn-harness[torch]' "
        "(docs/backends.md)"
    ]
    assert not (tmp_path / "results.jsonl").exists()
    with pytest.raises(HarnessError, match="leave out --in-process to train --backend jax"):
        check_backends(("tensorflow", "jax"), in_process=True)
    with pytest.raises(HarnessError, match="--backend takes tensorflow, jax, torch"):
        RunOptions(backends=("tensorflow", "mxnet"))


def test_tune_trains_on_one_backend():
    from harness.tune.tuner import TuneOptions

    with pytest.raises(HarnessError, match="one --backend at a time"):
        TuneOptions(RunOptions(backends=("tensorflow", "jax")))


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_a_jax_cell_trains_and_its_worker_never_imports_tensorflow(harness_run):
    harness_run(
        "-a", "lstm", "-p", "bucket", "--backend", "jax", "--seeds", "1", "--max-train", "500"
    )
    (row,) = [json.loads(line) for line in (harness_run.out / "results.jsonl").open()]
    assert row["status"] == "done", row["reason"]
    assert row["backend"] == "jax"
    assert row["placement"]["worker_start"] == "fork"
    device = row["device"]
    assert device["tensorflow_imported"] is False  # the worker's sys.modules, as it ended
    assert (device["batches"], device["optimizer_update"]) == ("batch plans", "keras-ops")
    assert Path(device["compilation_cache"]).is_dir()
    assert row["versions"]["jax"] and row["versions"]["keras"]
    assert 0 <= row["measurements"]["test_accuracy"] <= 1
    board = (harness_run.out / "leaderboard.md").read_text()
    assert "Keras backend jax, precision float32" in board


@pytest.mark.slow
@pytest.mark.parametrize("backend", INSTALLED)
def test_the_architecture_contract_holds_on_each_installed_backend(backend):
    """The contract fixture a plugin's tests get, run on the backend in a process of its own
    (Keras takes its backend once a process), set up as a cell's worker is: the built-ins
    keep it without TensorFlow."""
    script = (
        "import sys\n"
        "from harness.execution.worker import import_training\n"
        f"import_training({backend!r})\n"
        "from harness.plugin.manager import load_registry\n"
        "from harness.testing import check_architecture\n"
        "registry = load_registry()\n"
        "for name in sorted(registry.architectures):\n"
        "    check_architecture(registry.architecture(name).item)\n"
        "print(sys.modules.get('tensorflow') is not None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "KERAS_BACKEND": backend},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["False"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", INSTALLED)
def test_an_average_every_few_steps_stays_the_average_on_each_installed_backend(backend):
    test = "tests/test_optimizer.py::test_an_average_every_few_steps_is_close_to_the_average_of_every_step"  # noqa: E501
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": backend},
    )
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_tensorflow_and_jax_give_the_same_cell_within_noise(harness_run, tmp_path):
    """The same batches, the same model and optimiser: paired on the same test rows over 3
    seeds, no cell of JAX is worse than TensorFlow's beyond noise, and both learned."""
    args = ("-a", "lstm", "-p", "bucket", "--seeds", "3", "--epochs", "3")
    harness_run(*args)
    on_jax = tmp_path / "jax"
    harness_run(*args, "--backend", "jax", "--out", str(on_jax))
    compared = subprocess.run(
        [sys.executable, "-m", "harness", "compare", str(harness_run.out), str(on_jax)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert re.search(r"^\| backend +\| tensorflow +\| jax +\|$", compared.stdout, re.MULTILINE)
    cell = r"^\| lstm +\| bucket +\| 3 / 3 +\|.*\| paired +\| within noise +\|$"
    assert re.search(cell, compared.stdout, re.MULTILINE), compared.stdout
    assert "No cell is worse beyond noise." in compared.stdout
    for out in (harness_run.out, on_jax):
        rows = [json.loads(line) for line in (out / "results.jsonl").open()]
        accuracies = [row["measurements"]["test_accuracy"] for row in rows]
        assert sum(accuracies) / len(accuracies) > 0.5  # four classes: chance is 0.25


def backend_rows(backends: tuple[str, ...], accuracy: float = 0.8) -> list[dict]:
    """Made-up rows of lstm / mask, two seeds, on each of ``backends``."""
    return [
        result_row("lstm", "mask", seed, accuracy + 0.01 * seed, backend=backend)
        for backend in backends
        for seed in range(2)
    ]


def test_a_board_of_several_backends_has_a_backend_column_and_one_of_jax_says_it_above():
    mixed = Leaderboard.from_rows(backend_rows(("tensorflow", "jax")))
    text = render(mixed, None)
    ranking = text.split("## Ranking by mean test accuracy")[1].split("\n## ")[0]
    assert re.search(r"^\| rank +\| architecture +\| padding +\| backend +\|", ranking, re.M)
    assert (
        len(re.findall(r"^\| =?1 +\| lstm +\| mask +\| (tensorflow|jax) +\|", ranking, re.M)) == 2
    )
    assert "Keras backends tensorflow, jax (a column of the tables)" in text
    assert "lstm / mask / jax" in render_page(mixed)
    on_jax = render(Leaderboard.from_rows(backend_rows(("jax",))), None)
    assert "- **Device:** CPU, Keras backend jax, precision float32" in on_jax
    assert "| backend" not in on_jax
    on_tensorflow = render(Leaderboard.from_rows(backend_rows(("tensorflow",))), None)
    assert "Keras backend" not in on_tensorflow  # reads as a board before --backend did


def test_compare_pairs_one_backend_with_another_and_a_board_of_several_backend_by_backend():
    tensorflow, jax = backend_rows(("tensorflow",)), backend_rows(("jax",), accuracy=0.9)
    across = compare(Side("tf", tensorflow), Side("jax", jax))
    assert [cell.cell for cell in across.cells] == [("lstm", "mask")]
    assert ("backend", "tensorflow", "jax") in across.differing_settings
    mixed = compare(Side("both", tensorflow + jax), Side("jax", jax))
    assert [cell.cell for cell in mixed.cells] == [("lstm", "mask", "jax")]
    assert mixed.only_in == ([("lstm", "mask", "tensorflow")], [])
    assert "| architecture   | padding   | backend   |" in render_comparison([mixed])
