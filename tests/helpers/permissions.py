"""Paths a process cannot write, for tests of the checks that refuse them."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from pathlib import Path

UNWRITABLE = ["a file on the way", "a read-only directory"]


def unwritable_directory(tmp_path: Path, kind: str) -> Path:
    """A directory that cannot be made (a file is on its way) or written (its mode)."""
    if kind == "a file on the way":
        (tmp_path / "a_file").write_text("not a directory\n")
        return tmp_path / "a_file" / "sub"
    directory = tmp_path / "read-only"
    directory.mkdir(mode=0o555)
    return directory


def as_an_ordinary_user() -> Callable[[], None] | None:
    """For ``preexec_fn``: as root, drop the power to write where file modes forbid it."""
    return _without_file_permission_override if os.geteuid() == 0 else None


def _without_file_permission_override() -> None:
    """In the child: drop root's power to write where file modes forbid it, as an ordinary
    user has none (``CAP_DAC_OVERRIDE`` and ``CAP_DAC_READ_SEARCH`` leave the bounding set)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for capability in (1, 2):
        if prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")
