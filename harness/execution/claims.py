"""Several runs writing to one ``--out`` at once train each cell once.

A run claims each cell it is about to train with a lock on one byte of the file
``results.jsonl.claims`` beside the results (a byte named by the cell's configuration
hash). A cell another run has claimed is left to it; the operating system lets go of a
run's claims when it ends, however it ends, and a row is appended before that, so a run
that claims a cell after reads the results again and finds it finished.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import TracebackType

try:
    import fcntl
except ImportError:  # not a POSIX system: no claims, as before them
    fcntl = None  # type: ignore[assignment]

CLAIMS_SUFFIX = ".claims"


class CellClaims:
    """The claims of this run on the cells of one results file, held until it is closed."""

    def __init__(self, results_path: Path) -> None:
        """Opens the claims file beside ``results_path``, making its directory: the run is
        past its checks, and its first row will be written there."""
        results_path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(f"{results_path}{CLAIMS_SUFFIX}", "a+b")  # noqa: SIM115 (held open)

    def claim(self, config_hash: str) -> bool:
        """Whether this run may train the cell of ``config_hash``: no other run has claimed it."""
        if fcntl is None:
            return True
        offset = int(hashlib.sha256(config_hash.encode()).hexdigest()[:15], 16)
        try:
            fcntl.lockf(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
        except OSError:  # another process holds it
            return False
        return True

    def __enter__(self) -> CellClaims:
        return self

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.file.close()  # lets go of every claim
