"""rnn-harness: compare recurrent text classifiers on equal terms.

What a plugin author imports lives here: :data:`hookimpl` marks a hook
implementation; :class:`Architecture` and :class:`HyperParameter` describe an
architecture; :class:`DataSourceKind` (most simply a :class:`PrefixedSourceKind`)
describes a kind of data source, whose :class:`DataSource` loads a
:class:`TextDataset` of :class:`LabelledTexts` as :class:`SourceOptions` say, or
raises :class:`DataError`. The hooks themselves are documented in
:mod:`harness.plugin.spec`.
"""

from importlib.metadata import PackageNotFoundError, version

from harness.config import Params, ParamValue
from harness.data.dataset import (
    DataSource,
    DataSourceKind,
    LabelledTexts,
    PrefixedSourceKind,
    SourceOptions,
    TextDataset,
)
from harness.errors import DataError
from harness.model.architecture import Architecture, HyperParameter
from harness.plugin import hookimpl

try:
    __version__ = version("rnn-harness")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "Architecture",
    "DataError",
    "DataSource",
    "DataSourceKind",
    "HyperParameter",
    "LabelledTexts",
    "ParamValue",
    "Params",
    "PrefixedSourceKind",
    "SourceOptions",
    "TextDataset",
    "__version__",
    "hookimpl",
]
