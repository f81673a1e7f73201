"""rnn-harness: compare recurrent text classifiers on equal terms.

What a plugin author imports lives here (defined in :mod:`harness.api`): :data:`hookimpl`
marks a hook implementation; :class:`Architecture` and :class:`HyperParameter` describe an
architecture (:class:`SearchRange` and :class:`SearchChoices` where ``harness tune`` samples
it); a :class:`PaddingStrategy` batches a :class:`VectorizedSplit`;
:class:`DataSourceKind` (most simply a :class:`PrefixedSourceKind`) describes a kind of
data source, whose :class:`DataSource` loads a :class:`TextDataset` of
:class:`LabelledTexts` as :class:`SourceOptions` say, or raises :class:`DataError`. The
hooks themselves are documented in :mod:`harness.plugin.spec`.
"""

from importlib.metadata import PackageNotFoundError, version

from harness.api import (
    OOV_TOKEN_ID,
    Architecture,
    DataSource,
    DataSourceKind,
    HyperParameter,
    LabelledTexts,
    PaddingStrategy,
    PrefixedSourceKind,
    SearchChoices,
    SearchRange,
    SourceOptions,
    TextDataset,
    VectorizedData,
    VectorizedSplit,
)
from harness.config import Params, ParamValue
from harness.errors import DataError
from harness.plugin import hookimpl

try:
    __version__ = version("rnn-harness")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "OOV_TOKEN_ID",
    "Architecture",
    "DataError",
    "DataSource",
    "DataSourceKind",
    "HyperParameter",
    "LabelledTexts",
    "PaddingStrategy",
    "ParamValue",
    "Params",
    "PrefixedSourceKind",
    "SearchChoices",
    "SearchRange",
    "SourceOptions",
    "TextDataset",
    "VectorizedData",
    "VectorizedSplit",
    "__version__",
    "hookimpl",
]
