"""What ``harness tune`` samples: the shared training space and each architecture's own.

The core declares the shared dimensions (:data:`SHARED_SPACE`: Adam's learning rate,
batch size, embedding width, embedding and word dropout, named as the fields of
:class:`~harness.config.TrainingConfig`); each architecture declares its hyperparameters'
ranges in its plugin (:attr:`harness.api.HyperParameter.search`). ``--space`` narrows or
replaces any of them, and a training option given on the command line fixes its dimension.

>>> space = parse_space_option("units=8..64:log")
>>> space.target, str(space.search)
('units', '8..64:log')
>>> parse_space_option("learning_rate=0.001").value
'0.001'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.api import Architecture, HyperParameter, SearchChoices, SearchRange, SearchSpace
from harness.config import Params, ParamValue, TrainingConfig
from harness.errors import HarnessError, HyperParameterError, UnknownNameError

if TYPE_CHECKING:
    import optuna

# Ranges a practitioner would search for a recurrent text classifier trained with Adam.
SHARED_SPACE: tuple[HyperParameter, ...] = (
    HyperParameter(
        "learning_rate", TrainingConfig.learning_rate, "Adam's learning rate",
        minimum=1e-6, maximum=1.0, search=SearchRange(3e-4, 3e-2, log=True),
    ),
    HyperParameter(
        "batch_size", TrainingConfig.batch_size, "rows a step",
        minimum=1, search=SearchChoices((32, 64, 128, 256)),
    ),
    HyperParameter(
        "embedding_dim", TrainingConfig.embedding_dim, "width of the embedding",
        minimum=1, search=SearchRange(32, 256, log=True),
    ),
    HyperParameter(
        "embedding_dropout", TrainingConfig.embedding_dropout, "dropout after the embedding",
        minimum=0.0, maximum=0.9, search=SearchRange(0.0, 0.6),
    ),
    HyperParameter(
        "word_dropout", TrainingConfig.word_dropout, "share of words made unknown",
        minimum=0.0, maximum=0.9, search=SearchRange(0.0, 0.4),
    ),
)  # fmt: skip
# With pretrained vectors the embedding's width is the vectors', and whether they are fine-tuned
# is a choice of the space instead.
EMBEDDINGS_TRAINABLE = HyperParameter(
    "embeddings_trainable", False, "fine-tune the pretrained vectors",
    search=SearchChoices((False, True)),
)  # fmt: skip
SHARED_NAMES = tuple(param.name for param in SHARED_SPACE)
_OPTION = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*=\s*(.+?)\s*$")
_RANGE = re.compile(r"^(.+?)\.\.(.+?)(:log)?$")


@dataclass(frozen=True)
class SpaceOption:
    """One ``--space NAME=...``: a range, choices, or one value (``search`` None)."""

    text: str
    target: str  # PARAM (shared, or every architecture that has it) or ARCH.PARAM
    search: SearchSpace | None
    value: str | None  # the one value, as text


def parse_space_option(text: str) -> SpaceOption:
    """Read ``NAME=LOW..HIGH[:log]``, ``NAME=A,B,C`` or ``NAME=VALUE``; values stay text
    until the hyperparameter they name parses them."""
    match = _OPTION.match(text)
    if match is None:
        raise HarnessError(
            f"cannot read --space {text!r}: write NAME=LOW..HIGH[:log], NAME=A,B,C or NAME=VALUE"
        )
    name, spec = match.groups()
    arch, dot, param = name.rpartition(".")
    target = f"{arch}{dot}{param.replace('-', '_')}"
    ranged = _RANGE.match(spec)
    try:
        if ranged:
            low, high, log = ranged.groups()
            return SpaceOption(
                text, target, SearchRange(_number(low), _number(high), bool(log)), None
            )
        if "," in spec:
            values = tuple(value.strip() for value in spec.split(","))
            return SpaceOption(text, target, SearchChoices(values), None)
    except HyperParameterError as error:
        raise HarnessError(f"--space {text}: {error}") from None
    return SpaceOption(text, target, None, spec)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise HyperParameterError(f"{text!r} is not a number") from None


@dataclass(frozen=True)
class Dimension:
    """One setting of a trial: ``search`` where it is sampled, or None: held at ``value``."""

    param: HyperParameter
    shared: bool  # a training setting (TrainingConfig), else the architecture's own
    search: SearchSpace | None
    value: ParamValue

    @property
    def name(self) -> str:
        return self.param.name

    def describe(self) -> str:
        return str(self.search) if self.search is not None else f"= {self.value}"

    def distribution(self) -> optuna.distributions.BaseDistribution:
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        search = self.search
        if isinstance(search, SearchChoices):
            return CategoricalDistribution(search.values)
        assert search is not None
        if self.param.type is int:
            return IntDistribution(int(search.low), int(search.high), log=search.log)
        return FloatDistribution(search.low, search.high, log=search.log)


@dataclass(frozen=True)
class TuningSpace:
    """Every dimension of one architecture's trials: the shared ones, then its own."""

    architecture: str
    dimensions: tuple[Dimension, ...]

    def sampled(self) -> tuple[Dimension, ...]:
        return tuple(d for d in self.dimensions if d.search is not None)

    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        """The Optuna distribution of each sampled dimension, by name."""
        return {d.name: d.distribution() for d in self.sampled()}

    def describe(self) -> dict[str, str]:
        """Each dimension's range, choices or fixed value, as the report and the study show it."""
        return {d.name: d.describe() for d in self.dimensions}

    def configuration(
        self, values: Mapping[str, Any], training: TrainingConfig, architecture: Architecture
    ) -> tuple[TrainingConfig, Params]:
        """The training settings and hyperparameters of a trial that sampled ``values``; the
        dimensions it did not sample keep their fixed values."""
        chosen = {d.name: values.get(d.name, d.value) for d in self.dimensions}
        shared = {d.name: chosen[d.name] for d in self.dimensions if d.shared}
        shared.pop(EMBEDDINGS_TRAINABLE.name, None)
        own = {d.name: chosen[d.name] for d in self.dimensions if not d.shared}
        return dataclasses.replace(training, **shared), architecture.resolve(own)

    def embeddings_trainable(self, values: Mapping[str, Any]) -> bool:
        """Whether a trial that sampled ``values`` fine-tunes the pretrained vectors (False
        without them)."""
        for d in self.dimensions:
            if d.name == EMBEDDINGS_TRAINABLE.name:
                return bool(values.get(d.name, d.value))
        return False


def tuning_spaces(
    architectures: Mapping[str, Architecture],
    selected: tuple[str, ...],
    options: tuple[str, ...],
    training: TrainingConfig,
    pretrained: bool = False,
) -> dict[str, TuningSpace]:
    """The space of each of ``selected``, ``--space`` ``options`` applied (each checked
    against every architecture it names, in the tune or not), a clear error otherwise.
    ``training``'s values are the fixed values of the shared dimensions held fixed. With
    ``pretrained`` vectors, the embedding's width is theirs (not a dimension) and fine-tuning
    them or not is one."""
    parsed = [parse_space_option(text) for text in options]
    targets = [option.target for option in parsed]
    repeated = sorted({target for target in targets if targets.count(target) > 1})
    if repeated:
        raise HarnessError(f"--space names {repeated[0]} twice")
    plain = set(_shared_space(pretrained)) | {
        param.name for name in selected for param in architectures[name].hyperparameters
    }
    qualified = {
        f"{name}.{param.name}"
        for name, arch in architectures.items()
        for param in arch.hyperparameters
    }
    for option in parsed:
        arch, dot, _ = option.target.rpartition(".")
        if dot and arch not in architectures:
            raise UnknownNameError("architecture in --space", arch, architectures)
        if option.target not in plain | qualified:
            raise UnknownNameError("hyperparameter in --space", option.target, plain | qualified)
    for option in parsed:  # checked for every architecture it names, in the tune or not
        arch, dot, _ = option.target.rpartition(".")
        if dot and arch not in selected:
            _space(architectures[arch], parsed, training, pretrained)
    return {name: _space(architectures[name], parsed, training, pretrained) for name in selected}


def _shared_space(pretrained: bool) -> dict[str, HyperParameter]:
    """The shared dimensions by name: with pretrained vectors, their fine-tuning in place of
    the embedding's width."""
    shared = {param.name: param for param in SHARED_SPACE}
    if pretrained:
        del shared["embedding_dim"]
        shared[EMBEDDINGS_TRAINABLE.name] = EMBEDDINGS_TRAINABLE
    return shared


def _space(
    architecture: Architecture,
    parsed: list[SpaceOption],
    training: TrainingConfig,
    pretrained: bool,
) -> TuningSpace:
    shared_values = {**dataclasses.asdict(training), EMBEDDINGS_TRAINABLE.name: False}
    dimensions = [
        _dimension(param, True, shared_values[param.name], parsed, architecture.name)
        for param in _shared_space(pretrained).values()
    ]
    for param in architecture.hyperparameters:
        if param.name in (*SHARED_NAMES, EMBEDDINGS_TRAINABLE.name):
            raise HarnessError(
                f"architecture {architecture.name!r}: its hyperparameter {param.name!r} has the "
                "name of a shared training setting, so it cannot be tuned"
            )
        dimensions.append(_dimension(param, False, param.default, parsed, architecture.name))
    return TuningSpace(architecture.name, tuple(dimensions))


def _dimension(
    param: HyperParameter, shared: bool, value: ParamValue, parsed: list[SpaceOption], arch: str
) -> Dimension:
    """``param``'s dimension: its declared search (or its value), or what ``--space`` says,
    ``ARCH.PARAM`` before ``PARAM``."""
    given = {option.target: option for option in parsed}
    option = given.get(f"{arch}.{param.name}") or given.get(param.name)
    if option is None:
        return Dimension(param, shared, param.search, value)
    try:
        if option.search is None:
            assert option.value is not None
            return Dimension(param, shared, None, param.parse(option.value))
        return Dimension(param, shared, param.check_search(option.search), value)
    except HyperParameterError as error:
        raise HarnessError(f"--space {option.text}: {error}") from None
