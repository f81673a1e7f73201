"""Names that moved: still importable from where they were, with a warning, for one release.

>>> __getattr__ = moved_to("harness.api", {"Architecture"}, "harness.model.architecture")
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def moved_to(new_module: str, names: set[str], old_module: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old_module`` that hands out ``names`` from ``new_module``
    with a :class:`DeprecationWarning` naming the new place."""

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {old_module!r} has no attribute {name!r}")
        warnings.warn(
            f"{old_module}.{name} moved to {new_module}.{name}; the old name goes in the next "
            "release",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(new_module), name)

    return __getattr__
