"""Result rows made up for tests, with every field of the current schema (no training)."""

from __future__ import annotations

from typing import Any

from harness.results.schema import SCHEMA_VERSION


def result_row(
    architecture: str = "lstm",
    padding: str = "mask",
    seed: int = 0,
    accuracy: float | None = 0.9,
    status: str = "done",
    reason: str | None = None,
    *,
    comparison: str = "c1",
    config_hash: str | None = None,
    backend: str = "tensorflow",
) -> dict[str, Any]:
    """One row of cell ``architecture`` / ``padding`` / ``seed``; a ``done`` one measured at
    ``accuracy`` and without test predictions (a board of such rows takes the unpaired
    fallback). The configuration hash defaults to one of the cell (its backend, if not
    tensorflow) and the comparison."""
    measurements = None
    if status == "done":
        measurements = {
            "test_accuracy": accuracy, "test_macro_f1": accuracy, "test_loss": 0.5,
            "best_val_accuracy": accuracy, "best_epoch": 2, "epochs_run": 4,
            "seconds_per_epoch": 1.0, "warmup_seconds": 0.5, "train_examples_per_second": 1000.0,
            "inference_examples_per_second": 5000.0, "trainable_parameters": 1234,
            "padded_share": 0.1, "peak_host_memory_mb": 700.0, "peak_gpu_memory_mb": None,
            "history": [{"loss": 1.0, "val_accuracy": 0.5}], "test_predictions": None,
            "test_confidence": None,
        }  # fmt: skip
    training = {
        "max_epochs": 30, "patience": 3, "batch_size": 128, "learning_rate": 0.005,
        "embedding_dim": 64, "embedding_dropout": 0.5, "word_dropout": 0.25, "ema_momentum": 0.98,
    }  # fmt: skip
    data = {
        "source": "news", "fields": "title", "normalize": True, "vocabulary_size_used": 100,
        "fingerprint": "sha256:0123456789abcdef0123", "class_names": ["a", "b"],
        "rows": {"train": 100, "validation": 10, "test": 1000},
    }  # fmt: skip
    device = {
        "device": "auto", "deterministic": False, "parallel_cells": 1, "used": "CPU",
        "precision_policy": "float32", "threads_used": None,
    }  # fmt: skip
    return {
        "schema_version": SCHEMA_VERSION,
        "config_hash": config_hash
        or "-".join(
            [
                architecture,
                padding,
                *([backend] if backend != "tensorflow" else []),
                str(seed),
                comparison,
            ]
        ),
        "comparison": comparison,
        "status": status,
        "reason": reason,
        "architecture": architecture,
        "padding": padding,
        "seed": seed,
        "backend": backend,
        "params": {"units": 8},
        "plugin": {"name": architecture, "distribution": "rnn-harness", "version": "0.1.0"},
        "padding_plugin": {"name": "core", "distribution": "rnn-harness", "version": "0.1.0"},
        "summary": "A model.",
        "training": training,
        "data": data,
        "embeddings": None,
        "device": device,
        "measurements": measurements,
        "cell_wall_seconds": 10.0,
        "versions": {"python": "3.11", "tensorflow": "2.21.0"},
        "host": {"cpu": "A CPU", "cores": 2, "memory_gb": 24, "gpus": []},
        "placement": {"executor": "local", "jobs": 1},
        "git_commit": "abc",
        "command": "harness run --all",
        "run_started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:01:00+00:00",
        "estimate": None,
        "tuning": None,
    }


def schema_1_row(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """:func:`result_row` as rnn-harness 0.1.0 wrote it: no schema version, no predictions."""
    row = result_row(*args, **kwargs)
    del row["schema_version"]
    if row["measurements"]:
        del row["measurements"]["test_predictions"]
    return row
