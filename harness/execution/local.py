"""The local executor: each cell in a worker process of its own on this machine, ``--jobs``
at once.

Each of the ``--jobs`` slots runs cells one after another, taking the next from one queue
in the order given (the runner gives the longest first). On Linux a slot forks each cell's
worker from a fork server of its own for the cell's Keras backend, which imported Keras on
that backend and the plugins once (:mod:`harness.execution.forked`), so a cell pays no import.
Elsewhere, or where forking is unsafe, each worker is a fresh interpreter; then, while a
slot's cell trains, the slot starts the worker of its next cell (a spare), so that the
spare's imports overlap the training instead of adding to it, where the cells leave the CPU
room for it (:func:`prestarts`).
Each row says how its worker started.

With several GPUs, each slot has a GPU of its own, given to its workers (spares included)
through their ``CUDA_VISIBLE_DEVICES``; the GPU a cell used is recorded in its row.
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import replace
from typing import Any

from harness.api import VectorizedData
from harness.config import CellSpec, DeviceConfig
from harness.errors import HarnessError
from harness.execution import environment
from harness.execution.devices import (
    backend_environment,
    gpus_for_workers,
    resolve_jobs,
    threads_per_cell,
    visible_gpus,
)
from harness.execution.forked import FORK, SPAWN, ForkServer, ForkUnsafe, fork_is_possible
from harness.execution.preflight import check_device
from harness.execution.worker import (
    CellOutcome,
    CellReporter,
    WorkerProcess,
    configure_this_process,
    kill_running_workers,
    run_in_process,
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
        prestart: bool | None = None,
        worker_start: str | None = None,
    ) -> None:
        """``gpus``: the GPUs to hand out (default: this machine's, :func:`visible_gpus`);
        ``worker_start``: ``fork`` (from a preloaded fork server) or ``spawn`` (a fresh
        interpreter; default: fork where this system can, :func:`fork_is_possible`);
        ``prestart``: with spawned workers, whether to start each slot's next worker while
        its cell trains (default: where it pays, :func:`prestarts`). Both are set by
        side-by-side benchmarks."""
        if in_process and (device.parallel_cells or 1) > 1:
            raise HarnessError(
                "--in-process runs one cell at a time; leave out --jobs or set it to 1"
            )
        check_device(device)
        if gpus is None:
            gpus = visible_gpus()
        host = environment.host()
        jobs = resolve_jobs(
            device,
            cores=host["cores"] or 1,
            memory_gib=host["memory_gb"],
            gpus=len(gpus),
            in_process=in_process,
        )
        self._device = replace(device, parallel_cells=jobs)
        self.timeout = timeout
        self.in_process = in_process
        self.gpus = [] if in_process else gpus_for_workers(self._device, gpus)
        if worker_start is None:
            worker_start = FORK if fork_is_possible() else SPAWN
        self.worker_start = worker_start
        if prestart is None:
            prestart = prestarts(self._device, host["cores"] or 1, self.gpus)
        self.prestart = prestart and not in_process and worker_start == SPAWN
        # each slot's, one a backend, kept from run to run
        self.servers: dict[tuple[int, str], ForkServer] = {}
        self._slots: list[_Slot] = []
        if in_process:  # before vectorising the data starts TensorFlow in this process
            configure_this_process(self._device)

    def machine(self) -> dict[str, Any]:
        """This machine: a result measured elsewhere is not taken as done here, since its
        throughput would not compare."""
        host = environment.host()
        gpus = [gpu["name"] for gpu in host["gpus"]]
        return {"cpu": host["cpu"], "cores": host["cores"], "gpus": gpus}

    def device(self) -> DeviceConfig:
        """The asked device settings, ``--jobs auto`` resolved to a number."""
        return self._device

    def cells_at_a_time(self) -> int:
        return self._device.parallel_cells or 1

    def outcomes(
        self, cells: list[CellSpec], data: VectorizedData, report: CellReporter
    ) -> Generator[tuple[CellSpec, CellOutcome], None, None]:
        placement = {"executor": "local", "jobs": self.cells_at_a_time()}
        environments = [{"CUDA_VISIBLE_DEVICES": gpu} for gpu in self.gpus] or [
            {} for _ in range(self.cells_at_a_time())
        ]
        waiting = _Queue(cells, len(environments))
        self._slots = [
            _Slot(self, number, environment, report, waiting)
            for number, environment in enumerate(environments)
        ]
        with _SlotPool(self._slots) as pool:
            for cell, outcome in pool.outcomes():
                yield cell, replace(outcome, executor={**placement, **outcome.executor})

    def stop(self, cell: CellSpec) -> None:
        """Kill the worker of ``cell`` if it runs (from any thread, e.g. one reading its
        progress): its outcome comes as a ``crash``. A cell run in this process runs on."""
        for slot in self._slots:
            running = slot.running
            if running is not None and running[0] is cell:
                running[1]()

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        if error_type is not None:
            kill_running_workers()
        for server in self.servers.values():
            server.kill()
        self.servers.clear()

    def worker_environment(self, slot_environment: dict[str, str], backend: str) -> dict[str, str]:
        """What a worker of ``backend`` on a slot of ``slot_environment`` adds to this
        process's environment."""
        return {**slot_environment, **backend_environment(backend, self._device)}

    def fork_server(
        self, slot: int, backend: str, environment: dict[str, str]
    ) -> ForkServer | None:
        """Slot ``slot``'s fork server for Keras's ``backend``, started on first use (again if
        it died); None where workers are spawned, or once forking proved unsafe."""
        if self.worker_start != FORK or self.in_process:
            return None
        server = self.servers.get((slot, backend))
        if server is None or not server.alive:
            if server is not None:
                server.kill()
            server = self.servers[slot, backend] = ForkServer(environment)
        return server

    def cannot_fork(self, slot: int, backend: str, reason: str) -> None:
        """Spawn every later worker: slot ``slot``'s fork server of ``backend`` found forking
        unsafe (``reason``); the other servers find the same before they fork."""
        if self.worker_start == FORK:
            warnings.warn(f"workers start as fresh interpreters: {reason}", stacklevel=2)
        self.worker_start = SPAWN
        self.servers.pop((slot, backend)).kill()


def prestarts(device: DeviceConfig, cores: int, gpus: list[str]) -> bool:
    """Whether spares pay: when the cells leave the CPU room for a spare's imports, that is,
    one cell at a time, cells on GPUs of their own (``gpus``), or fewer threads than
    ``cores`` in all. With one-thread cells on every core (``--jobs auto`` on a CPU) a
    spare only takes CPU from the training: measured on the 2-core machine (8 cells of 2
    epochs), ``--jobs 2`` took 51 s without spares and 61 s with them, while ``--jobs 1``
    took 79 s with spares and 105 s without."""
    jobs = device.parallel_cells or 1
    threads = threads_per_cell(device, cores) or cores
    return jobs == 1 or bool(gpus) or jobs * threads < cores


class _Queue:
    """The cells not yet started, in order; how many slots run one, and how many spares wait."""

    def __init__(self, cells: list[CellSpec], slots: int) -> None:
        self.cells = deque(cells)
        self.slots = slots
        self.running = 0
        self.spares = 0
        self.lock = threading.Lock()

    def take(self, ran_one: bool, holds_spare: bool) -> CellSpec | None:
        """The next cell (None: none left), for a slot that ``ran_one`` cell before and
        holds a spare or not (it is used for this cell, or killed)."""
        with self.lock:
            self.spares -= int(holds_spare)
            self.running -= int(ran_one)
            if not self.cells:
                return None
            self.running += 1
            return self.cells.popleft()

    def wants_spare(self) -> bool:
        """Whether a slot that just started a cell should start a spare: more cells wait
        than the spares and the idle slots will take."""
        with self.lock:
            if len(self.cells) > self.spares + self.slots - self.running:
                self.spares += 1
                return True
            return False


class _Slot:
    """Runs cells one at a time, each in a worker (a spare when one is ready), or in this
    process for ``--in-process``."""

    def __init__(
        self,
        executor: LocalExecutor,
        number: int,
        environment: dict[str, str],
        report: CellReporter,
        waiting: _Queue,
    ) -> None:
        self.executor = executor
        self.number = number
        self.environment = environment
        self.report = report
        self.waiting = waiting
        self.spare: WorkerProcess | None = None  # started for a cell of ``spare_backend``
        self.spare_backend = ""
        self.running: tuple[CellSpec, Callable[[], None]] | None = None  # a cell, its stop
        self.ran_one = False

    def run_next(self) -> tuple[CellSpec, CellOutcome] | None:
        """Run the next waiting cell; None when none is left (its spare is then killed)."""
        cell = self.waiting.take(self.ran_one, holds_spare=self.spare is not None)
        self.ran_one = cell is not None
        if cell is None:
            self.close()
            return None

        def say(line: str) -> None:
            self.report(cell, line)

        if self.executor.in_process:
            return cell, run_in_process(cell, say)
        environment = self.executor.worker_environment(self.environment, cell.backend)
        server = self.executor.fork_server(self.number, cell.backend, environment)
        if server is not None:
            self.running = (cell, server.kill_worker)
            try:
                outcome = server.run(cell, self.executor.timeout, say)
                return cell, replace(outcome, executor={"worker_start": FORK})
            except ForkUnsafe as unsafe:
                self.executor.cannot_fork(self.number, cell.backend, str(unsafe))
            finally:
                self.running = None
        if self.spare_backend != cell.backend:
            self.close()
        worker = self.spare or WorkerProcess(environment)
        self.spare = None
        if self.executor.prestart and self.waiting.wants_spare():
            # of this cell's backend; one of another is replaced at the next cell
            self.spare, self.spare_backend = WorkerProcess(environment), cell.backend
        self.running = (cell, worker.kill)
        try:
            outcome = worker.run(cell, self.executor.timeout, say)
        finally:
            self.running = None
        return cell, replace(outcome, executor={"worker_start": SPAWN})

    def close(self) -> None:
        """Kill the spare, if any."""
        if self.spare is not None:
            self.spare.kill()
            self.spare = None


class _SlotPool:
    """Runs each slot's cells and yields each outcome as soon as its cell finishes.

    One slot runs in the calling thread. Several each run in a thread of their own, which
    waits on its worker process; leaving the pool early (Ctrl-C, an error) kills every
    worker, spares included, and starts no other cell.
    """

    def __init__(self, slots: list[_Slot]) -> None:
        self.slots = slots
        self.finished: queue.SimpleQueue[tuple[CellSpec, CellOutcome] | BaseException | None]
        self.finished = queue.SimpleQueue()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def outcomes(self) -> Generator[tuple[CellSpec, CellOutcome], None, None]:
        if len(self.slots) == 1:
            while (ran := self.slots[0].run_next()) is not None:
                yield ran
            return
        self.threads = [
            threading.Thread(target=self._serve, args=(slot,), daemon=True) for slot in self.slots
        ]
        for thread in self.threads:
            thread.start()
        running = len(self.threads)
        while running:
            try:
                # Python runs signal handlers in the main thread only: waking it now and
                # then lets it see a Ctrl-C that the operating system handed to another thread.
                item = self.finished.get(timeout=WAKE_SECONDS)
            except queue.Empty:
                continue
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item

    def _serve(self, slot: _Slot) -> None:
        """A slot's thread: run its cells until none is left or the pool stops."""
        try:
            while not self.stopping.is_set() and (ran := slot.run_next()) is not None:
                self.finished.put(ran)
        except BaseException as error:  # handed to the main thread, which raises it
            self.finished.put(error)
        finally:
            slot.close()
            self.finished.put(None)

    def __enter__(self) -> _SlotPool:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        self.stopping.set()
        if error_type is not None:
            kill_running_workers()
        while any(thread.is_alive() for thread in self.threads):
            kill_running_workers()  # and any worker a slot started meanwhile
            for thread in self.threads:
                thread.join(timeout=WAKE_SECONDS)
        for slot in self.slots:
            slot.close()
