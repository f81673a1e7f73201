"""The local executor: each cell in a fresh worker process on this machine, ``--jobs`` at once.

With several GPUs, each running worker gets a GPU of its own through its
``CUDA_VISIBLE_DEVICES``; the GPU a cell used is recorded in its row.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any

from harness.config import CellSpec, DeviceConfig
from harness.data.vectorize import VectorizedData
from harness.errors import HarnessError
from harness.execution import environment
from harness.execution.devices import gpus_for_workers, visible_gpus
from harness.execution.executor import CellReporter
from harness.execution.preflight import check_device
from harness.execution.worker import (
    CellOutcome,
    configure_this_process,
    kill_running_workers,
    run_in_process,
    run_in_worker,
)

WAKE_SECONDS = 0.5  # how often the main thread wakes while cells run side by side


class LocalExecutor:
    """Worker processes on this machine (or, with ``in_process``, this process itself)."""

    def __init__(
        self,
        device: DeviceConfig,
        timeout: float | None,
        in_process: bool,
        gpus: list[str] | None = None,
    ) -> None:
        """``gpus``: the GPUs to hand out (default: this machine's, :func:`visible_gpus`)."""
        if in_process and device.parallel_cells > 1:
            raise HarnessError(
                "--in-process runs one cell at a time; leave out --jobs or set it to 1"
            )
        check_device(device)
        self._device = device
        self.timeout = timeout
        self.in_process = in_process
        if gpus is None:
            gpus = visible_gpus()
        gpus = [] if in_process else gpus_for_workers(device, gpus)
        self.free_gpus: queue.SimpleQueue[str] = queue.SimpleQueue()
        for gpu in gpus:
            self.free_gpus.put(gpu)
        self.gives_gpus = bool(gpus)
        if in_process:  # before vectorising the data starts TensorFlow in this process
            configure_this_process(device)

    def machine(self) -> dict[str, Any]:
        """This machine: a result measured elsewhere is not taken as done here, since its
        throughput would not compare."""
        host = environment.host()
        gpus = [gpu["name"] for gpu in host["gpus"]]
        return {"cpu": host["cpu"], "cores": host["cores"], "gpus": gpus}

    def device(self) -> DeviceConfig:
        return self._device

    def outcomes(
        self, cells: list[CellSpec], data: VectorizedData, report: CellReporter
    ) -> Generator[tuple[CellSpec, CellOutcome], None, None]:
        placement = {"executor": "local", "jobs": self._device.parallel_cells}
        with _CellPool(self._device.parallel_cells) as pool:
            for cell, outcome in pool.outcomes(lambda cell: self._run(cell, report), cells):
                yield cell, replace(outcome, executor=placement)

    def _run(self, cell: CellSpec, report: CellReporter) -> CellOutcome:
        def say(line: str) -> None:
            report(cell, line)

        if self.in_process:
            return run_in_process(cell, say)
        if not self.gives_gpus:
            return run_in_worker(cell, self.timeout, say)
        gpu = self.free_gpus.get()  # never waits: one GPU for each of the --jobs workers
        try:
            return run_in_worker(cell, self.timeout, say, {"CUDA_VISIBLE_DEVICES": gpu})
        finally:
            self.free_gpus.put(gpu)

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        if error_type is not None:
            kill_running_workers()


class _CellPool:
    """Runs cells ``size`` at a time and yields each outcome as soon as its cell finishes.

    One at a time, the cells run in order in the calling thread. Several at a time, each
    waits on its worker process in a thread of its own; leaving the pool early (Ctrl-C,
    an error) kills the workers still running and drops the cells not started.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.executor = ThreadPoolExecutor(max_workers=size) if size > 1 else None

    def outcomes(
        self, run_cell: Callable[[CellSpec], CellOutcome], cells: list[CellSpec]
    ) -> Generator[tuple[CellSpec, CellOutcome], None, None]:
        if self.executor is None:
            for cell in cells:
                yield cell, run_cell(cell)
            return
        futures = {self.executor.submit(run_cell, cell): cell for cell in cells}
        pending = set(futures)
        while pending:
            # Python runs signal handlers in the main thread only: waking it now and then
            # lets it see a Ctrl-C that the operating system handed to another thread.
            done, pending = wait(pending, timeout=WAKE_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                yield futures[future], future.result()

    def __enter__(self) -> _CellPool:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        if self.executor is None:
            return
        if error_type is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            kill_running_workers()
        self.executor.shutdown(wait=True)
