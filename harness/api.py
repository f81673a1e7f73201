"""The contracts every stage of a run and every plugin shares, in one module below them all.

Read this first: what a plugin contributes and what the stages hand each other.

- **Architectures** (hook ``harness_architectures``): :class:`Architecture`, a sequence
  encoder with its typed :class:`HyperParameter` declarations;
- **padding strategies** (hook ``harness_padding_strategies``): :class:`PaddingStrategy`,
  how vectorised rows become padded batches, and what an epoch of them costs;
- **data sources** (hook ``harness_data_sources``): a :class:`DataSourceKind` says which
  ``--data`` strings it takes and opens a :class:`DataSource`, whose ``load()`` gives a
  :class:`TextDataset` of :class:`LabelledTexts`, read as :class:`SourceOptions` say;
- **vectorised data**: :class:`VectorizedData`, the three :class:`VectorizedSplit` of a run
  as token ids (0 pads, :data:`OOV_TOKEN_ID` is the out-of-vocabulary token), which the data
  stage caches and every cell's worker reads, with the :class:`PretrainedEmbeddings` aligned
  to its vocabulary when a run uses them.

The hooks themselves are documented in :mod:`harness.plugin.spec`; a plugin imports these
names from :mod:`harness`.

>>> import keras
>>> lstm = Architecture(
...     name="lstm",
...     summary="One LSTM layer; its last state feeds the head.",
...     hyperparameters=(HyperParameter("units", 8, "LSTM units", minimum=1),),
...     build_encoder=lambda embedded, params: keras.layers.LSTM(params["units"])(embedded),
... )
>>> lstm.resolve({"units": "64"})
{'units': 64}
>>> kind = PrefixedSourceKind("mysource", "My corpus, by name.", lambda name, options: ...)
>>> kind.usage, kind.claims("mysource:news"), kind.claims("tfds:news")
('mysource:NAME', True, False)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Union, runtime_checkable

import numpy as np

from harness.config import DataConfig, Params, ParamValue
from harness.errors import DataError, HyperParameterError, UnknownNameError, shortened

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

PADDING_TOKEN_ID = 0
OOV_TOKEN_ID = 1  # TextVectorization: 0 is padding, 1 is the out-of-vocabulary token
SPLITS = ("train", "validation", "test")

EncoderBuilder = Callable[["keras.KerasTensor", Mapping[str, ParamValue]], "keras.KerasTensor"]

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
MAX_WHOLE_NUMBER = 2**31 - 1  # the largest layer size TensorFlow's int32 shapes hold
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


# -- Architectures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRange:
    """Where ``harness tune`` samples a number: uniformly from ``low`` to ``high`` (both
    included), or log-uniformly with ``log``; a whole-number hyperparameter gets whole
    numbers."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise HyperParameterError(f"range {self} must have finite ends")
        if self.low >= self.high:
            what = "empty" if self.low == self.high else "reversed"
            raise HyperParameterError(
                f"range {self} is {what}: write LOW..HIGH with LOW < HIGH, or one value"
            )
        if self.log and self.low <= 0:
            raise HyperParameterError(f"range {self} cannot be log-scaled: it reaches 0 or below")

    def __str__(self) -> str:
        return f"{self.low:g}..{self.high:g}" + (":log" if self.log else "")


@dataclass(frozen=True)
class SearchChoices:
    """Where ``harness tune`` samples a setting: one of ``values``, each equally likely."""

    values: tuple[ParamValue, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise HyperParameterError("a list of choices needs at least one value")
        if len(set(self.values)) != len(self.values):
            raise HyperParameterError(f"choices {self} repeat a value")

    def __str__(self) -> str:
        return ",".join(str(value) for value in self.values)


SearchSpace = Union[SearchRange, SearchChoices]  # noqa: UP007 (a runtime alias under 3.10)


@dataclass(frozen=True)
class HyperParameter:
    """One tunable setting of an architecture; its type is the type of its default.

    ``search`` is where ``harness tune`` samples it (docs/tuning.md): a :class:`SearchRange`
    for a number, :class:`SearchChoices` for any type; None: tuning keeps the default
    unless ``--space`` gives one. ``minimum`` and ``maximum`` bound every value, both
    included.
    """

    name: str
    default: ParamValue
    help: str
    minimum: float | None = None
    search: SearchSpace | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"hyperparameter name {self.name!r} is not a Python identifier")
        if not isinstance(self.default, (int, float, bool, str)):
            raise TypeError(
                f"hyperparameter {self.name!r}: default must be int, float, bool or str, "
                f"not {type(self.default).__name__}"
            )
        self.validate(self.default)
        if self.search is not None:
            object.__setattr__(self, "search", self.check_search(self.search))

    def check_search(self, search: SearchSpace) -> SearchSpace:
        """``search`` if it fits this hyperparameter (its values parsed to its type), else a
        :class:`HyperParameterError` that names it."""
        if isinstance(search, SearchChoices):
            return SearchChoices(tuple(self.parse(value) for value in search.values))
        if self.type not in (int, float):
            raise HyperParameterError(
                f"{self.name} is a {self.type.__name__}: give it choices A,B, not a range"
            )
        for end in (search.low, search.high):
            if self.type is int and not float(end).is_integer():
                raise HyperParameterError(f"{self.name} is whole: range {search} must be too")
            self.validate(self.type(end))
        return search

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


# -- Padding strategies -----------------------------------------------------------------------


@runtime_checkable
class PaddingStrategy(Protocol):
    """What a padding strategy provides (see ``harness_padding_strategies``).

    A strategy may also state what its batches cost, as a method
    ``padded_tokens(lengths, batch_size) -> float``: the tokens, padding included, that an
    epoch feeds for rows of ``lengths`` in the order given. The run's estimate
    (:func:`padded_tokens`) uses it; a strategy without one is costed as batches padded to
    their longest row.
    """

    @property
    def name(self) -> str:
        """Unique among the registered strategies: lower-case words joined by '-'."""
        ...

    @property
    def summary(self) -> str:
        """One line for ``harness list``."""
        ...

    @property
    def masks(self) -> bool:
        """Whether the embedding masks the padding (``mask_zero``)."""
        ...

    def batches(
        self,
        split: VectorizedSplit,
        batch_size: int,
        *,
        training_lengths: np.ndarray,
        shuffle_seed: int | None = None,
    ) -> tf.data.Dataset:
        """Batch ``split``: shuffled with ``shuffle_seed`` each epoch, or in a fixed order if None.

        ``training_lengths`` are the row lengths of the training split, from which
        a strategy may derive its settings (so validation and test batches are
        formed the same way as training batches).
        """
        ...


def pad_to_longest_tokens(lengths: np.ndarray, batch_size: int) -> float:
    """Tokens fed when consecutive rows of ``lengths`` form batches, each padded to its longest
    row: the cost of a strategy that states none (:meth:`PaddingStrategy.padded_tokens`)."""
    batches = [lengths[start : start + batch_size] for start in range(0, len(lengths), batch_size)]
    return float(sum(batch.max() * len(batch) for batch in batches))


def padded_tokens(strategy: PaddingStrategy, lengths: np.ndarray, batch_size: int) -> float:
    """The tokens, padding included, that an epoch of ``strategy``'s batches feeds for rows of
    ``lengths`` in the (shuffled) order given: the strategy's own ``padded_tokens`` where it
    states one, else those of batches padded to their longest row."""
    stated = getattr(strategy, "padded_tokens", None)
    if stated is None:
        return pad_to_longest_tokens(lengths, batch_size)
    return float(stated(np.asarray(lengths), batch_size))


# -- Data sources -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledTexts:
    """The texts of one split (chosen fields joined) and their 0-based labels."""

    texts: list[str]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class TextDataset:
    """Both splits of a source, its class names (label k is ``class_names[k]``) and fields."""

    source: str
    fingerprint: str
    class_names: list[str]
    train: LabelledTexts
    test: LabelledTexts
    fields: tuple[str, ...] = ()  # the text fields joined, in order
    notes: tuple[str, ...] = ()  # what a user should know, e.g. how classes were named


@dataclass(frozen=True)
class SourceOptions:
    """How to read a source: which text fields to join and which field holds the label.

    ``fields`` empty: the source's default (all text fields of a CSV family layout
    or a tensorflow-datasets builder; the column ``text`` of a table).
    ``label_column`` None: the source's own label (``label`` in a table).
    """

    fields: tuple[str, ...] = ()
    label_column: str | None = None
    tfds_data_dir: Path | None = None


@runtime_checkable
class DataSource(Protocol):
    """One data source, opened from what ``--data`` says; nothing is read until asked."""

    def fingerprint(self) -> str:
        """Identifies the content: any change to it gives a new fingerprint."""
        ...

    def load(self) -> TextDataset:
        """Both splits, read and validated; raises :class:`~harness.errors.DataError`."""
        ...


@runtime_checkable
class DataSourceKind(Protocol):
    """A kind of data source: which ``--data`` strings it takes, and how it opens one.

    Contributed through the hook ``harness_data_sources``. The kinds are asked in
    turn, the plugins' before the core's; the first whose :meth:`claims` is true
    opens the source.
    """

    @property
    def name(self) -> str:
        """Unique among the registered kinds: lower-case words joined by '-'."""
        ...

    @property
    def usage(self) -> str:
        """What ``--data`` looks like for this kind, e.g. ``tfds:NAME``; listed in errors."""
        ...

    @property
    def summary(self) -> str:
        """One line for ``harness list``."""
        ...

    def claims(self, data: str) -> bool:
        """Whether ``data`` (what ``--data`` says) is for this kind; quick, reads no rows."""
        ...

    def open(self, data: str, options: SourceOptions) -> DataSource:
        """The source ``data`` names; reads nothing yet (that is :meth:`DataSource.load`)."""
        ...


@dataclass(frozen=True)
class PrefixedSourceKind:
    """The kind of source that ``--data PREFIX:NAME`` names, e.g. ``tfds:ag_news_subset``.

    ``open_name(NAME, options)`` opens the source: a class whose fields are the name
    and the options will do.
    """

    prefix: str  # without the colon; also the kind's name
    summary: str
    open_name: Callable[[str, SourceOptions], DataSource]
    argument: str = "NAME"  # how the usage shows what follows the prefix

    @property
    def name(self) -> str:
        return self.prefix

    @property
    def usage(self) -> str:
        return f"{self.prefix}:{self.argument}"

    def claims(self, data: str) -> bool:
        return data.startswith(f"{self.prefix}:")

    def open(self, data: str, options: SourceOptions) -> DataSource:
        """The source of NAME; raises :class:`DataError` when NAME is empty."""
        name = data.removeprefix(f"{self.prefix}:")
        if not name.strip():
            raise DataError(no_name_message(data, self.usage))
        return self.open_name(name, options)


def no_name_message(data: str, usage: str) -> str:
    """What ``--data`` is told when it gives a kind's prefix without a name."""
    shown = data if data.strip() == data and data else repr(data)
    return f"--data {shortened(shown)} names no data set; write {usage}"


# -- Vectorised data --------------------------------------------------------------------------


@dataclass(frozen=True)
class VectorizedSplit:
    """One split as rows of token ids: all ids end to end, each row's length, and its label."""

    token_ids: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def rows(self) -> list[np.ndarray]:
        return np.split(self.token_ids, np.cumsum(self.lengths)[:-1])


@dataclass(frozen=True)
class PretrainedEmbeddings:
    """Pretrained word vectors aligned to a vocabulary (``--embeddings``): row k of ``matrix``
    is token id k's vector; row :data:`PADDING_TOKEN_ID` is zero. ``description`` is what a
    result row records of them: source, format, fingerprint, dimension and coverage."""

    matrix: np.ndarray  # float32, (vocabulary, dimension)
    description: dict[str, Any]

    @property
    def dimension(self) -> int:
        return int(self.matrix.shape[1])


@dataclass(frozen=True)
class VectorizedData:
    """The three vectorised splits of one data configuration, and what describes them; with
    ``--embeddings``, the pretrained vectors aligned to its vocabulary."""

    config: DataConfig
    fingerprint: str
    class_names: list[str]
    fields: tuple[str, ...]  # the text fields the source joined: the config's or its default
    notes: list[str]
    vocabulary: list[str]
    splits: dict[str, VectorizedSplit]
    source_rows: dict[str, np.ndarray]
    rows_without_tokens: dict[str, int]
    cache_path: Path
    embeddings: PretrainedEmbeddings | None = None

    @property
    def train(self) -> VectorizedSplit:
        return self.splits["train"]

    @property
    def validation(self) -> VectorizedSplit:
        return self.splits["validation"]

    @property
    def test(self) -> VectorizedSplit:
        return self.splits["test"]

    def describe(self) -> dict[str, Any]:
        """What a result row records about its data."""
        return {
            **self.config.identity(),
            "fields": "+".join(self.fields),
            "fingerprint": self.fingerprint,
            "class_names": self.class_names,
            "vocabulary_size_used": len(self.vocabulary),
            "rows": {name: len(split) for name, split in self.splits.items()},
            "rows_without_tokens": self.rows_without_tokens,
        }
