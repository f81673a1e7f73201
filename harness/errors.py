"""Exceptions that the command line turns into one clear message, not a traceback."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

SHORT_VALUE = 40  # characters of a value quoted whole in a message; a longer one is shortened


def shortened(value: object, limit: int = SHORT_VALUE) -> str:
    """``value`` as text for a message, never longer than about ``limit`` characters.

    >>> shortened(10**20)
    '100000000000000000000'
    >>> shortened("9" * 5000)
    '9999999999999999…9999999999999999 (5,000 characters)'
    """
    if isinstance(value, int) and value.bit_length() > 4 * limit:  # too long to print whole
        return f"a number of about {round(abs(value).bit_length() * math.log10(2)):,} digits"
    text = str(value)
    if len(text) <= limit:
        return text
    half = (limit - 8) // 2
    return f"{text[:half]}…{text[-half:]} ({len(text):,} characters)"


class HarnessWarning(UserWarning):
    """Something the user should know that does not stop the command; the CLI prints it as
    one line, once a command."""


class HarnessError(Exception):
    """An error the user can act on; the CLI prints its message and exits 2."""


class UnknownNameError(HarnessError, LookupError):
    """A name (architecture, padding strategy, hyperparameter) that is not registered."""

    def __init__(self, kind: str, name: str, choices: Iterable[str]) -> None:
        choices = sorted(choices)
        message = f"unknown {kind} {shortened(repr(name))}"
        close = difflib.get_close_matches(name[: 2 * SHORT_VALUE], choices, n=1)
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
