"""rnn-harness: compare recurrent text classifiers on equal terms.

What a plugin author imports lives here: :data:`hookimpl` marks a hook
implementation, :class:`Architecture` and :class:`HyperParameter` describe what
the plugin contributes. The hooks themselves are documented in
:mod:`harness.plugin.spec`.
"""

from importlib.metadata import PackageNotFoundError, version

from harness.config import Params, ParamValue
from harness.model.architecture import Architecture, HyperParameter
from harness.plugin import hookimpl

try:
    __version__ = version("rnn-harness")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["Architecture", "HyperParameter", "ParamValue", "Params", "__version__", "hookimpl"]
