"""The GPU check's dry run on this CPU: the bundle prepared here, the cells trained by the
installed backends from its cache and plans, the report written (tiny data)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "gpu_check.py"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_the_gpu_check_dry_run_trains_every_installed_backend_and_reports(tmp_path):
    bundle, report = tmp_path / "bundle", tmp_path / "gpu.md"

    def step(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        return result.stdout

    step("prepare", "--bundle", str(bundle), "--max-train", "200", "--batch-size", "16",
         "--architectures", "lstm", "--paddings", "bucket", "--no-wheels")  # fmt: skip
    assert list((bundle / "cache").glob("*/plans/*/arrays.npz"))
    step("run", "--bundle", str(bundle), "--device", "cpu", "--work", str(tmp_path / "work"),
         "--report", str(report))  # fmt: skip
    text = report.read_text()
    backends = [name for name in ("jax", "torch") if importlib.util.find_spec(name)]
    for backend in backends:
        assert f"| lstm | bucket | {backend} | done |" in text
        assert f"- **{backend}:** lstm masked 0, lstm unmasked 0" in text  # no GPU, no cuDNN
    assert "## cuDNN's fused kernels" in text and "(200 train / " in text
