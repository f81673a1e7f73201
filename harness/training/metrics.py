"""What a cell is scored with besides Keras's accuracy: chance level, macro F1,
cross-entropy, and the peaks of host and GPU memory (on each of Keras's backends)."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import numpy as np


def chance_accuracy(labels: np.ndarray) -> float:
    """The accuracy that always answering the commonest class reaches on ``labels``, plus
    twice its binomial standard error: a model at or below it has not shown it learned."""
    share = np.bincount(labels).max() / len(labels)
    return float(share + 2 * np.sqrt(share * (1 - share) / len(labels)))


def cross_entropy(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean negative log-probability of the true class (clipped at 1e-12)."""
    true_class = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.maximum(true_class, 1e-12))))


def macro_f1(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> float:
    """The unweighted mean over classes of F1 (a class never predicted nor present scores 0)."""
    scores = []
    for label in range(num_classes):
        true_positive = np.sum((predictions == label) & (labels == label))
        predicted, actual = np.sum(predictions == label), np.sum(labels == label)
        denominator = predicted + actual
        scores.append(2 * true_positive / denominator if denominator else 0.0)
    return float(np.mean(scores))


def peak_host_memory_mb() -> float:
    """Peak resident memory of this process (the cell's worker) in MiB, since it started its
    program: on Linux the kernel's ``VmHWM``, not ``ru_maxrss``, which a new program inherits
    from the process that started it (a worker's would be at least its parent's memory then)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def peak_gpu_memory_mb(backend: str = "tensorflow") -> float | None:
    """Peak GPU memory of this process in MiB, as Keras's ``backend`` counts it; None on a CPU."""
    if backend == "jax":
        import jax

        if jax.default_backend() != "gpu":
            return None
        device = getattr(jax.config, "jax_default_device", None) or jax.devices()[0]
        stats = device.memory_stats() or {}
        return stats.get("peak_bytes_in_use", 0) / 2**20
    if backend == "torch":
        import torch

        if not torch.cuda.is_initialized():
            return None
        return torch.cuda.max_memory_allocated() / 2**20
    import tensorflow as tf

    if not tf.config.get_visible_devices("GPU"):
        return None
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
