"""How every ``harness`` command ends: its exit codes, and what a user sees of a bug.

A user never sees a traceback: an error they can act on is one line (exit 2), and an
unexpected exception, a bug of the harness or of a plugin, is one line that names a log
file holding the traceback (exit 3), so that no failure reads as "a cell failed" (1).
"""

from __future__ import annotations

import platform
import shlex
import sys
import tempfile
import traceback
from enum import IntEnum

from harness.errors import shortened


class ExitCode(IntEnum):
    """The exit status of a ``harness`` command (docs/exit-codes.md)."""

    OK = 0  # everything done; compare: no cell is worse
    CELL_FAILED = 1  # run: a cell ended in error, timeout or crash; compare: a cell is worse
    USAGE = 2  # a usage or data error, found before anything trains
    UNEXPECTED = 3  # a bug: one line, and the traceback in a log file
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


def unexpected_error_line(error: BaseException) -> str:
    """One line for an unexpected ``error``, its traceback written to a log file it names."""
    what = str(error).strip().splitlines()
    summary = f"{type(error).__name__}: {shortened(what[0], 160)}" if what else type(error).__name__
    try:
        with tempfile.NamedTemporaryFile(
            "w", prefix="rnn-harness-error-", suffix=".log", delete=False, encoding="utf-8"
        ) as log:
            log.write(f"command: {shlex.join(['harness', *sys.argv[1:]])}\n")
            log.write(f"python: {platform.python_version()} on {platform.platform()}\n\n")
            log.write("".join(traceback.format_exception(error)))
        where = f"the traceback is in {log.name}"
    except OSError as log_error:
        where = f"its traceback could not be written ({log_error.strerror or log_error})"
    return (
        f"unexpected {summary} (a bug in rnn-harness or one of its plugins; {where}; "
        "please report it with that file)"
    )
