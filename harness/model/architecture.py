"""What a plugin contributes: an architecture and its typed hyperparameters.

>>> import keras
>>> from harness import Architecture, HyperParameter
>>> lstm = Architecture(
...     name="lstm",
...     summary="One LSTM layer; its last state feeds the head.",
...     hyperparameters=(HyperParameter("units", 8, "LSTM units", minimum=1),),
...     build_encoder=lambda embedded, params: keras.layers.LSTM(params["units"])(embedded),
... )
>>> lstm.resolve({"units": "64"})
{'units': 64}
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.config import Params, ParamValue
from harness.errors import HarnessError, UnknownNameError, shortened

if TYPE_CHECKING:
    import keras


EncoderBuilder = Callable[["keras.KerasTensor", Mapping[str, ParamValue]], "keras.KerasTensor"]

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_WHOLE_NUMBER = 2**31 - 1  # the largest layer size TensorFlow's int32 shapes hold
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class HyperParameterError(HarnessError, ValueError):
    """A hyperparameter override that does not fit its declaration."""


@dataclass(frozen=True)
class HyperParameter:
    """One tunable setting of an architecture; its type is the type of its default."""

    name: str
    default: ParamValue
    help: str
    minimum: float | None = None
    maximum: float | None = None  # a whole number is at most MAX_WHOLE_NUMBER all the same

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"hyperparameter name {self.name!r} is not a Python identifier")
        if not isinstance(self.default, (int, float, bool, str)):
            raise TypeError(
                f"hyperparameter {self.name!r}: default must be int, float, bool or str, "
                f"not {type(self.default).__name__}"
            )
        self.validate(self.default)

    @property
    def type(self) -> type:
        return type(self.default)

    def parse(self, value: ParamValue) -> ParamValue:
        """Turn an override (text from the command line, or a value) into a valid value."""
        expected = self.type
        if isinstance(value, str) and expected is not str:
            value = self._parse_text(value.strip())
        elif expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not expected:
            raise HyperParameterError(
                f"{self.name} expects {expected.__name__}, got {shortened(repr(value))}"
            )
        self.validate(value)
        return value

    def validate(self, value: ParamValue) -> None:
        got = shortened(repr(value))
        if isinstance(value, float) and not math.isfinite(value):
            raise HyperParameterError(f"{self.name} must be a finite number, got {got}")
        if isinstance(value, (str, bool)):
            return
        if self.minimum is not None and value < self.minimum:
            raise HyperParameterError(f"{self.name} must be >= {self.minimum}, got {got}")
        if self.maximum is not None and value > self.maximum:
            raise HyperParameterError(f"{self.name} must be <= {self.maximum}, got {got}")
        if isinstance(value, int) and value > MAX_WHOLE_NUMBER:
            raise HyperParameterError(
                f"{self.name} must be <= {MAX_WHOLE_NUMBER} (what TensorFlow's shapes hold), "
                f"got {got}"
            )

    def _parse_text(self, text: str) -> ParamValue:
        expected = self.type
        try:
            if expected is bool:
                if text.lower() in _TRUE:
                    return True
                if text.lower() in _FALSE:
                    return False
                raise ValueError
            return expected(text)
        except ValueError:
            raise HyperParameterError(
                f"{self.name} expects {expected.__name__}, got {shortened(repr(text))}"
            ) from None


@dataclass(frozen=True)
class Architecture:
    """A sequence encoder that the harness puts between the embedding and the head.

    ``build_encoder(embedded, params)`` receives the embedded batch (a Keras tensor
    ``(batch, time, embedding_dim)``, masked when the padding strategy masks) and
    the validated hyperparameters; it returns a ``(batch, features)`` Keras tensor.
    ``reference_baseline`` marks a model that readers compare the others against.
    """

    name: str
    summary: str
    build_encoder: EncoderBuilder
    hyperparameters: tuple[HyperParameter, ...] = ()
    reference_baseline: bool = False
    _by_name: dict[str, HyperParameter] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise ValueError(
                f"architecture name {self.name!r} must be lower-case words joined by '-'"
            )
        if not self.summary.strip() or "\n" in self.summary.strip():
            raise ValueError(f"architecture {self.name!r}: summary must be one non-empty line")
        if not callable(self.build_encoder):
            raise TypeError(f"architecture {self.name!r}: build_encoder is not callable")
        by_name = {param.name: param for param in self.hyperparameters}
        if len(by_name) != len(self.hyperparameters):
            raise ValueError(f"architecture {self.name!r}: hyperparameter names repeat")
        object.__setattr__(self, "_by_name", by_name)

    def defaults(self) -> Params:
        return {param.name: param.default for param in self.hyperparameters}

    def resolve(self, overrides: Mapping[str, Any]) -> Params:
        """The defaults with ``overrides`` applied, each checked against its declaration."""
        params = self.defaults()
        for name, value in overrides.items():
            if name not in self._by_name:
                raise UnknownNameError(f"hyperparameter of {self.name!r}", name, self._by_name)
            try:
                params[name] = self._by_name[name].parse(value)
            except HyperParameterError as error:
                raise HyperParameterError(f"{self.name}.{error}") from None
        return params


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
