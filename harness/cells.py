"""A run is a matrix of cells: architecture x padding strategy x seed, on one data set.

A cell's configuration is everything that decides its result. Its hash names
the cell in the results file, so that a repeated run skips what is done.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from harness.architecture import Params
from harness.devices import DeviceConfig


@dataclass(frozen=True)
class TrainingConfig:
    """How every cell of a run trains. Early stopping decides the epochs actually run.

    The defaults were chosen on the AG News sample (see reports/performance.md): batch 64
    with bucketing keeps the CPUs busy; Adam at 3e-3 (the tutorial's 1e-3 scaled
    for the 4x larger batch) reaches a given accuracy in fewer epochs; embedding
    dropout 0.5 holds back the 1.3M-parameter embedding from memorising the
    training rows.
    """

    max_epochs: int = 30
    patience: int = 3
    batch_size: int = 64
    learning_rate: float = 3e-3
    embedding_dim: int = 64
    embedding_dropout: float = 0.5


@dataclass(frozen=True)
class CellSpec:
    """One unit of work, complete enough for a worker process to run it alone."""

    architecture: str
    params: Params
    padding: str
    seed: int
    training: TrainingConfig
    device: DeviceConfig
    data: dict[str, Any]
    data_cache_path: str
    plugin: dict[str, str] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    summary: str = ""

    @property
    def label(self) -> str:
        return f"{self.architecture} / {self.padding} / seed {self.seed}"

    def configuration(self) -> dict[str, Any]:
        """What determines the result (not where the data is cached, nor the summary)."""
        config = dataclasses.asdict(self)
        config.pop("data_cache_path")
        config.pop("summary")
        return config

    def config_hash(self) -> str:
        canonical = json.dumps(self.configuration(), sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> CellSpec:
        raw = json.loads(text)
        raw["training"] = TrainingConfig(**raw["training"])
        raw["device"] = DeviceConfig(**raw["device"])
        return cls(**raw)
