"""Exceptions that the command line turns into one clear message, not a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class HarnessError(Exception):
    """An error the user can act on; the CLI prints its message and exits 2."""


class UnknownNameError(HarnessError, LookupError):
    """A name (architecture, padding strategy, hyperparameter) that is not registered."""

    def __init__(self, kind: str, name: str, choices: Iterable[str]) -> None:
        choices = sorted(choices)
        message = f"unknown {kind} {name!r}"
        close = difflib.get_close_matches(name, choices, n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
        message += f" (choices: {', '.join(choices) or 'none'})"
        super().__init__(message)
        self.name = name
        self.choices = choices


class DataError(HarnessError, ValueError):
    """Input data that cannot be used: names the file, the line and what was wrong."""


class HyperParameterError(HarnessError, ValueError):
    """A hyperparameter override that does not fit its declaration."""
