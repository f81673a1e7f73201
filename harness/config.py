"""The configuration of a run, in one place: what ``harness run`` was asked to do.

A run is a matrix of cells (architecture x padding strategy x seed) on one data set.
:class:`RunOptions` holds the whole request; the settings of each stage are their
own frozen dataclasses, validated when made, so that a bad option is one clear
:class:`~harness.errors.HarnessError` before anything trains:

- :class:`DataConfig`: which integer sequences the models see (``harness.data``);
- :class:`TrainingConfig`: how every cell trains (``harness.training``);
- :class:`EmbeddingsConfig`: pretrained word vectors for the shared embedding (``harness.data``);
- :class:`DeviceConfig`: device, precision, threads, cells side by side (``harness.execution``);
- :class:`ExecutorConfig`: where the cells run, local workers or Ray (``harness.execution``).

:class:`CellSpec` is one cell's configuration: everything that decides its result,
complete enough for a worker process to run it alone. Its hash names the cell in the
results file, so that a repeated run skips what is done.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from harness.errors import HarnessError, HyperParameterError, shortened
from harness.hashing import CONFIG_HASH_LENGTH, digest

# A hyperparameter's value, as an architecture declares it and a cell records it.
ParamValue = Union[int, float, bool, str]  # noqa: UP007 (a runtime alias under Python 3.10)
Params = dict[str, ParamValue]

DEFAULT_SOURCE = "ag-news-sample"  # the sample shipped in the package (data/sources/embedded.py)
EXECUTORS = ("local", "ray")
MAX_SEEDS = 1_000  # each seed is a cell per architecture and padding strategy
MAX_SPLIT_SEED = 2**32 - 1  # NumPy's classic seed range
MAX_THREADS = 1_024
# Keras's backends a cell can train on (docs/backends.md); the first is the default.
BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_BACKEND = BACKENDS[0]


def check_range(
    option: str, value: float | None, low: float, high: float, *, low_open: bool = False
) -> None:
    """Refuse ``value`` of ``option`` outside ``[low, high]`` (``(low, high]`` when
    ``low_open``) with one line that quotes it shortened; None (not given) passes.

    >>> check_range("--seeds", 3, 1, 1000)
    >>> check_range("--seeds", 10**20, 1, 1000)
    Traceback (most recent call last):
    harness.errors.HarnessError: --seeds must be between 1 and 1,000, not 100000000000000000000
    """
    if value is None:
        return
    too_low = value <= low if low_open else value < low
    if too_low or value > high or value != value:  # NaN compares false
        bounds = (
            f"above {low:,} and at most {high:,}" if low_open else f"between {low:,} and {high:,}"
        )
        raise HarnessError(f"{option} must be {bounds}, not {shortened(value)}")


@dataclass(frozen=True)
class DataConfig:
    """Everything that decides which integer sequences the models see."""

    source: str = DEFAULT_SOURCE
    fields: tuple[str, ...] = ()  # text fields joined in order; empty: the source's default
    label_column: str | None = None  # tables and Hugging Face: the label's column
    normalize: bool = True
    vocabulary_size: int = 20_000
    max_length: int | None = None
    validation_size: float = 0.1
    split_seed: int = 0
    max_train: int | None = None
    tfds_data_dir: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.fields, str):  # "title+description", as results record it
            object.__setattr__(self, "fields", tuple(filter(None, self.fields.split("+"))))
        object.__setattr__(self, "fields", tuple(self.fields))
        if not 0 < self.validation_size < 1:
            share = shortened(self.validation_size)
            raise HarnessError(f"--validation-size must be a share in (0, 1), not {share}")
        check_range("--vocabulary-size", self.vocabulary_size, 3, 10_000_000)
        check_range("--max-length", self.max_length, 1, 1_000_000)
        check_range("--split-seed", self.split_seed, 0, MAX_SPLIT_SEED)
        check_range("--max-train", self.max_train, 1, 1_000_000_000)

    def identity(self) -> dict[str, Any]:
        """The settings that determine the data (not where a copy of it is kept).

        ``label_column`` appears only when set, so that the rows of a data set read
        before it existed keep their configuration hashes.
        """
        identity = dataclasses.asdict(self)
        identity.pop("tfds_data_dir")
        identity["fields"] = "+".join(self.fields)
        if self.label_column is None:
            identity.pop("label_column")
        return identity


@dataclass(frozen=True)
class TrainingConfig:
    """How every cell of a run trains: Adam, early stopping on validation accuracy (which
    decides the epochs actually run), word and embedding dropout, and the weights scored as
    their exponential moving average, updated every ``ema_every`` steps with momentum
    ``ema_momentum ** ema_every`` (0 momentum: the last weights). How the defaults were
    chosen is in CHANGELOG.md (0.1.0)."""

    max_epochs: int = 30
    patience: int = 3
    batch_size: int = 128
    learning_rate: float = 5e-3
    embedding_dim: int = 64
    embedding_dropout: float = 0.5
    word_dropout: float = 0.25
    ema_momentum: float = 0.98
    ema_every: int = 4  # steps between updates of the average, with momentum ema_momentum**4

    def __post_init__(self) -> None:
        check_range("--epochs", self.max_epochs, 1, 10_000)
        check_range("--patience", self.patience, 1, 10_000)
        check_range("--batch-size", self.batch_size, 1, 2**20)
        check_range("--learning-rate", self.learning_rate, 0, 10, low_open=True)
        check_range("--embedding-dim", self.embedding_dim, 1, 65_536)
        for option, share in (
            ("--embedding-dropout", self.embedding_dropout),
            ("--word-dropout", self.word_dropout),
            ("--ema-momentum", self.ema_momentum),
        ):
            if not 0 <= share < 1:
                raise HarnessError(f"{option} must be a share in [0, 1), not {shortened(share)}")
        check_range("--ema-every", self.ema_every, 1, 1_000_000)


@dataclass(frozen=True)
class EmbeddingsConfig:
    """Pretrained word vectors for the shared embedding (``--embeddings``, docs/embeddings.md).

    ``source`` is a file of vectors or a named source (``glove-6b-50d``); ``trainable``
    fine-tunes them, else they stay frozen. A file covering less than ``min_coverage`` of
    the vocabulary is refused. ``dimension`` is the width ``--embedding-dim`` asked for, if
    it was given: it must be the file's.
    """

    source: str
    trainable: bool = False
    min_coverage: float = 0.01
    dimension: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.min_coverage <= 1:
            raise HarnessError(f"--min-coverage must be a share in [0, 1], not {self.min_coverage}")


@dataclass(frozen=True)
class DeviceConfig:
    """What the user asked for: ``device`` is ``auto``, ``cpu``, ``gpu`` or ``gpu:N``.

    ``parallel_cells`` cells run at the same time, each in its own worker; None (``--jobs
    auto``) until the executor resolves it to a number before planning the cells
    (:func:`harness.execution.devices.resolve_jobs`). It is part of every cell's
    configuration, since a cell trained beside others measures a different throughput.
    Without ``threads``, each of them gets an equal share of the cores.
    """

    device: str = "auto"
    mixed_precision: bool = False
    threads: int | None = None
    deterministic: bool = False
    parallel_cells: int | None = None

    def __post_init__(self) -> None:
        check_range("--jobs", self.parallel_cells, 1, MAX_THREADS)
        check_range("--threads", self.threads, 1, MAX_THREADS)
        kind, colon, index = self.device.partition(":")
        if kind not in {"auto", "cpu", "gpu"} or (colon and (kind != "gpu" or not index.isdigit())):
            raise HarnessError(
                f"--device takes auto, cpu, gpu or gpu:N, not {shortened(repr(self.device))}"
            )


@dataclass(frozen=True)
class ExecutorConfig:
    """Which executor runs the cells; the ``ray_*`` and ``*_per_cell`` settings are Ray's."""

    executor: str = "local"
    ray_address: str | None = None  # None: start a Ray cluster on this machine
    cpus_per_cell: int | None = None  # None: 1
    gpus_per_cell: int | None = None  # None: one whole GPU when the cells use GPUs, else 0

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise HarnessError(
                f"--executor takes local or ray, not {shortened(repr(self.executor))}"
            )
        check_range("--cpus-per-cell", self.cpus_per_cell, 1, MAX_THREADS)
        check_range("--gpus-per-cell", self.gpus_per_cell, 0, 64)
        ray_only = {
            "--ray-address": self.ray_address,
            "--cpus-per-cell": self.cpus_per_cell,
            "--gpus-per-cell": self.gpus_per_cell,
        }
        given = [name for name, value in ray_only.items() if value is not None]
        if self.executor == "local" and given:
            raise HarnessError(f"{', '.join(given)}: only with --executor ray")


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
    plugin: dict[str, str] = field(default_factory=dict)  # the architecture's plugin
    machine: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    padding_plugin: dict[str, str] = field(default_factory=dict)  # the padding strategy's
    score_test: bool = True  # False: a tuning trial, scored on the validation split only
    embeddings: dict[str, Any] = field(default_factory=dict)  # pretrained vectors; {}: none
    backend: str = DEFAULT_BACKEND  # Keras's backend the cell trains on

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise HarnessError(f"--backend takes {', '.join(BACKENDS)}, not {self.backend!r}")

    @property
    def label(self) -> str:
        backend = "" if self.backend == DEFAULT_BACKEND else f" / {self.backend}"
        return f"{self.architecture} / {self.padding}{backend} / seed {self.seed}"

    def configuration(self) -> dict[str, Any]:
        """What determines the result (not where the data is cached, nor the summary).

        The plugins that contributed the architecture and the padding strategy are part of
        it, with their distribution and version, so that a cell of a changed strategy is a
        new cell. ``score_test`` appears only when False (a tuning trial), ``embeddings``
        only when the cell uses pretrained vectors, and ``backend`` only when it is not
        TensorFlow, so that every other cell keeps the hash it had before these existed.
        """
        config = dataclasses.asdict(self)
        config.pop("data_cache_path")
        config.pop("summary")
        if self.score_test:
            config.pop("score_test")
        if not self.embeddings:
            config.pop("embeddings")
        if self.backend == DEFAULT_BACKEND:
            config.pop("backend")
        return config

    def config_hash(self) -> str:
        return digest(self.configuration(), CONFIG_HASH_LENGTH)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> CellSpec:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CellSpec:
        """The cell of ``json.loads(spec.to_json())``."""
        raw = {**raw, "training": TrainingConfig(**raw["training"])}
        raw["device"] = DeviceConfig(**raw["device"])
        return cls(**raw)


@dataclass(frozen=True)
class RunOptions:
    """Everything ``harness run`` was asked to do."""

    architectures: tuple[str, ...] = ()  # empty: every registered architecture
    paddings: tuple[str, ...] = ()  # empty: every registered padding strategy
    backends: tuple[str, ...] = (DEFAULT_BACKEND,)  # Keras's backends, each cell on each
    seeds: int = 3
    overrides: tuple[str, ...] = ()
    data: DataConfig = field(default_factory=DataConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    embeddings: EmbeddingsConfig | None = None  # None: each cell learns its own from scratch
    device: DeviceConfig = field(default_factory=DeviceConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    out_dir: Path = Path("reports")
    cache_dir: Path | None = None
    force: bool = False
    timeout: float | None = None
    in_process: bool = False
    quiet: bool = False
    command: str = "harness run"

    def __post_init__(self) -> None:
        check_range("--seeds", self.seeds, 1, MAX_SEEDS)
        check_range("--timeout", self.timeout, 0, 30 * 24 * 3600, low_open=True)  # 30 days
        object.__setattr__(self, "backends", tuple(dict.fromkeys(self.backends)))
        unknown = [name for name in self.backends if name not in BACKENDS]
        if unknown or not self.backends:
            raise HarnessError(
                f"--backend takes {', '.join(BACKENDS)}, not {shortened(unknown or 'none')}"
            )


def parse_overrides(assignments: list[str]) -> dict[str, dict[str, str]]:
    """Split ``ARCH.PARAM=VALUE`` strings into ``{arch: {param: value}}`` (values stay text)."""
    overrides: dict[str, dict[str, str]] = {}
    for assignment in assignments:
        target, equals, value = assignment.partition("=")
        arch, dot, param = target.strip().partition(".")
        if not (equals and dot and arch and param):
            raise HyperParameterError(
                f"--set: cannot read {shortened(repr(assignment))}: write ARCH.PARAM=VALUE, "
                "e.g. lstm.units=64"
            )
        overrides.setdefault(arch, {})[param] = value
    return overrides
