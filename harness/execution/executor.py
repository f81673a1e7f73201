"""Where a run's cells execute: worker processes on this machine, or tasks on a Ray cluster.

An executor decides the machine part of each cell's configuration (what identifies the
cell, see docs/results.md) and the device settings its cells run with, then runs cells
and yields each one's outcome as soon as it finishes. The caller, on the driver, is the
only writer of the results file, whichever executor runs the cells.
"""

from __future__ import annotations

from collections.abc import Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from harness.config import CellSpec, DeviceConfig, ExecutorConfig
from harness.errors import HarnessError
from harness.execution.worker import CellOutcome, CellReporter

if TYPE_CHECKING:
    from harness.api import VectorizedData


class Executor(Protocol):
    """Runs cells. Made before the data is prepared, so that it refuses a run it cannot
    serve before any work; leaving it (``with``) stops whatever still runs."""

    def machine(self) -> dict[str, Any]:
        """The machine part of every cell's configuration (and so of its hash)."""
        ...

    def device(self) -> DeviceConfig:
        """The device settings every cell runs with (``--jobs`` a number)."""
        ...

    def cells_at_a_time(self) -> int:
        """How many cells run at once."""
        ...

    def outcomes(
        self, cells: list[CellSpec], data: VectorizedData, report: CellReporter
    ) -> Generator[tuple[CellSpec, CellOutcome], None, None]:
        """Run ``cells``; yield each with its outcome as it finishes. Leaving early (Ctrl-C,
        an error) stops every cell still running and starts no other."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


def open_executor(
    config: ExecutorConfig, device: DeviceConfig, timeout: float | None, in_process: bool
) -> Executor:
    """The executor ``config`` names, ready: its options and (on Ray) the cluster's
    resources checked, a clear :class:`HarnessError` otherwise."""
    if config.executor == "ray":
        if in_process:
            raise HarnessError("--in-process is for --executor local: a Ray cell is a task")
        from harness.execution.ray_cluster import RayExecutor

        return RayExecutor(config, device, timeout)
    from harness.execution.local import LocalExecutor

    return LocalExecutor(device, timeout, in_process)
