"""Running one cell, in a worker process of its own (the default) or in this process.

Isolation: each cell runs in a Python process of its own (forked from a preloaded fork
server, :mod:`harness.execution.forked`, or a fresh interpreter), so one cell's crash, hang,
out-of-memory or leaked GPU memory cannot take the others down. The parent
enforces the per-cell timeout by killing the worker's whole process group, and
a worker whose parent dies, however it dies, kills itself.
``python -m harness.execution.worker`` is the worker's entry point: it imports what every
cell needs, then reads its cell from stdin (:class:`WorkerProcess`), so that a worker
started ahead of its cell has its imports done when the cell comes.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import math
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from harness.config import DEFAULT_BACKEND, CellSpec, DeviceConfig
from harness.results.schema import Measurements, Status

if TYPE_CHECKING:
    from harness.api import VectorizedData
    from harness.training.feed import CellPlans

LineReporter = Callable[[str], None]
CellReporter = Callable[[CellSpec, str], None]  # a cell's progress line, for the run's output
MESSAGE_KEY = "rnn_harness"  # marks a JSON line of a worker to its parent
OUTPUT_TAIL_LINES = 15


@dataclass(frozen=True)
class CellOutcome:
    """How a cell ended and, when it trained, what it measured; where it ran when that was
    not this machine (``node``, as :func:`harness.execution.environment.host` describes
    it there), and how the executor placed it (``executor``)."""

    status: Status
    reason: str | None
    measurements: Measurements | None
    device: dict[str, Any]
    wall_seconds: float
    node: dict[str, Any] | None = None
    executor: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:  # a worker's result file holds the status as text
        object.__setattr__(self, "status", Status(self.status))


class Killable(Protocol):
    def kill(self) -> None: ...


_running_workers: set[Killable] = set()
_running_workers_lock = threading.Lock()


def register_running(worker: Killable) -> None:
    """Put ``worker`` in the register that :func:`kill_running_workers` empties."""
    with _running_workers_lock:
        _running_workers.add(worker)


def unregister_running(worker: Killable) -> None:
    with _running_workers_lock:
        _running_workers.discard(worker)


def worker_environment(environment: dict[str, str] | None) -> dict[str, str]:
    """A worker's environment: this process's, TensorFlow's C++ start-up chatter off unless
    asked for, and ``environment`` (e.g. its own ``CUDA_VISIBLE_DEVICES``)."""
    return {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        **(environment or {}),
    }


class WorkerProcess:
    """A fresh interpreter that imports TensorFlow, Keras and the training stage at once,
    then waits for its one cell on stdin (:meth:`run`).

    Started ahead of its cell (a spare), its imports overlap the cell training before
    it. It is the worker where forking one is not possible (see
    :mod:`harness.execution.forked`), and it is in the register that
    :func:`kill_running_workers` empties from the moment it starts.
    Its stdin stays open while its parent lives: a worker whose parent dies kills
    itself, whether or not it has received its cell.
    """

    def __init__(self, environment: dict[str, str] | None = None) -> None:
        """``environment`` adds variables to the worker's (e.g. its own
        ``CUDA_VISIBLE_DEVICES``); fixed when it starts, before its cell is known."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness.execution.worker"],
            stdin=subprocess.PIPE,  # the cell, then nothing: it closes when this process dies
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, killed whole on timeout
            env=worker_environment(environment),
        )
        register_running(self)
        self.tail: collections.deque[str] = collections.deque(maxlen=OUTPUT_TAIL_LINES)
        self.report: LineReporter = lambda line: None  # until it has its cell
        self.reader = threading.Thread(
            target=_relay, args=(self.process, lambda line: self.report(line), self.tail),
            daemon=True,
        )  # fmt: skip
        self.reader.start()

    def run(self, spec: CellSpec, timeout: float | None, report: LineReporter) -> CellOutcome:
        """Hand ``spec`` over and wait for its outcome; progress lines go to ``report`` as
        they come. ``timeout`` and the outcome's wall time count from the hand-over.

        Safe to call from several threads at once (each on its own worker), once per
        worker. If the wait is interrupted (Ctrl-C), the worker is killed before the
        interruption propagates: it never outlives its caller.
        """
        self.report = report
        started = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="rnn-harness-cell-") as scratch:
                result_path = Path(scratch, "result.json")
                self._hand_over(spec, result_path)
                try:
                    _wait_for(self.process, timeout)
                except subprocess.TimeoutExpired:
                    self.kill()
                    self.reader.join(timeout=5)
                    return CellOutcome(
                        Status.TIMEOUT,
                        f"killed after the per-cell timeout of {timeout:g} s",
                        None,
                        {},
                        time.perf_counter() - started,
                    )
                self.reader.join(timeout=5)
                wall = time.perf_counter() - started
                if result_path.exists():
                    result = json.loads(result_path.read_text())
                    return CellOutcome(**result, wall_seconds=wall)
                reason = death_reason(self.process.returncode, self.tail)
                return CellOutcome(Status.CRASH, reason, None, {}, wall)
        finally:
            self.kill()  # reaps it, and drops it from the register

    def _hand_over(self, spec: CellSpec, result_path: Path) -> None:
        """Write the cell and where its result goes as one JSON line; a worker that died
        before it (a failed import) shows as its exit code."""
        assert self.process.stdin is not None
        line = json.dumps({"spec": asdict(spec), "result": str(result_path)}, default=str)
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()

    def kill(self) -> None:
        """Kill the worker's whole process group (if it still runs) and reap it."""
        _kill(self.process)
        unregister_running(self)
        with contextlib.suppress(OSError):  # a cell line it never read is dropped
            assert self.process.stdin is not None
            self.process.stdin.close()


def run_in_worker(
    spec: CellSpec,
    timeout: float | None,
    report: LineReporter,
    environment: dict[str, str] | None = None,
) -> CellOutcome:
    """Run ``spec`` in a fresh process started for it (see :class:`WorkerProcess`): its
    timeout and wall time include the worker's start."""
    return WorkerProcess(environment).run(spec, timeout, report)


def _wait_for(worker: subprocess.Popen, timeout: float | None) -> None:
    """Wait until ``worker`` exits; raise ``TimeoutExpired`` after ``timeout`` seconds.

    Python runs signal handlers in the main thread only. Without a timeout, ``Popen.wait``
    blocks in ``waitpid``, and a Ctrl-C that the operating system hands to another thread
    is not seen until the worker ends; with one, it polls and sees it within 50 ms.
    """
    worker.wait(timeout=math.inf if timeout is None else timeout)


def kill_running_workers() -> None:
    """Kill every worker still running (fork servers included), for a caller that stops
    waiting on them (Ctrl-C)."""
    with _running_workers_lock:
        workers = list(_running_workers)
    for worker in workers:
        worker.kill()


def _kill(worker: subprocess.Popen) -> None:
    """Kill the worker's whole process group, unless it has been reaped, and reap it."""
    if worker.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def run_in_process(spec: CellSpec, report: LineReporter) -> CellOutcome:
    """Run ``spec`` here, for debugging and fast tests: no isolation, no timeout, and the
    device settings of the first cell hold for the whole process."""
    started = time.perf_counter()
    result = train_cell(spec, report)
    return CellOutcome(**result, wall_seconds=time.perf_counter() - started)


_configured_device: dict[str, Any] | None = None
COMPILATION_CACHE = "jax-compilation"  # JAX's compiled programs, in the harness's cache folder


def configure_this_process(
    device: DeviceConfig, backend: str = DEFAULT_BACKEND, compilation_cache: Path | None = None
) -> dict[str, Any]:
    """Apply ``device`` to Keras's ``backend`` in this process and return what was set up
    (see :func:`harness.execution.devices.configure`).

    A backend takes its device settings once a process, before it first runs an op, so
    only the first call applies its settings; later calls return the first's.
    """
    global _configured_device
    if _configured_device is None:
        from harness.execution.devices import configure

        _configured_device = configure(device, backend, compilation_cache)
    return _configured_device


def compilation_cache_of(spec: CellSpec) -> Path | None:
    """Where a JAX cell keeps its compiled programs: beside the data cache it reads, when
    this machine holds that folder; None for the other backends."""
    folder = Path(spec.data_cache_path).parent
    if spec.backend != "jax" or not folder.is_dir():
        return None
    return folder / COMPILATION_CACHE


def train_cell(
    spec: CellSpec,
    report: LineReporter,
    data: VectorizedData | None = None,
    plans: CellPlans | None = None,
) -> dict[str, Any]:
    """Configure the device, load the cell's plugin and the data (``data``, or the cached copy at
    ``spec.data_cache_path`` with its aligned vectors when the cell uses them), train (on its
    batch ``plans``, else those of the data cache, on another backend than TensorFlow);
    never raises."""
    device: dict[str, Any] = {}
    try:
        import_training(spec.backend)
        from harness.data.cache import embeddings_path, load_embeddings, load_prepared
        from harness.plugin.manager import load_cell_plugins
        from harness.training.fit import Diverged, backend_facts, train_and_score

        device = configure_this_process(spec.device, spec.backend, compilation_cache_of(spec))
        device = {**device, **backend_facts(spec.backend)}
        if data is None:
            data = load_prepared(Path(spec.data_cache_path))
            if spec.embeddings:
                path = embeddings_path(
                    data.cache_path, spec.embeddings["fingerprint"],
                    spec.embeddings["random_rows_seed"],
                )  # fmt: skip
                data = dataclasses.replace(data, embeddings=load_embeddings(path))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            registry = load_cell_plugins(spec.plugin.get("name", ""), spec.padding)
            measurements = train_and_score(spec, data, registry, report, plans)
        status, reason = Status.DONE, None
    except Diverged as diverged:
        status, reason, measurements = Status.DIVERGED, str(diverged), None
    except Exception as error:  # a failing cell is a row, not a crash
        where = traceback.extract_tb(error.__traceback__)[-1]
        reason = f"{type(error).__name__}: {error} (at {Path(where.filename).name}:{where.lineno})"
        status, measurements = Status.ERROR, None
    if device:  # whether this worker imported TensorFlow: only its backend's cells need it
        device["tensorflow_imported"] = sys.modules.get("tensorflow") is not None
    return {"status": status, "reason": reason, "measurements": measurements, "device": device}


def progress_message(line: str) -> str:
    """A worker's progress line (an epoch's numbers) as the JSON line its parent reads."""
    return json.dumps({MESSAGE_KEY: "progress", "line": line})


def _relay(worker: subprocess.Popen, report: LineReporter, tail: collections.deque[str]) -> None:
    """Hand each progress message of ``worker`` to ``report``; keep the last lines of all
    its output (messages as their text) in ``tail``, for the reason if it dies."""
    assert worker.stdout is not None
    for line in worker.stdout:
        message = message_of(line)
        if message is None:
            tail.append(line.rstrip())
        elif message[MESSAGE_KEY] == "progress":
            tail.append(message["line"])
            report(message["line"])


def message_of(line: str) -> dict[str, Any] | None:
    """The worker's message on ``line``, or None for other output (TensorFlow, a plugin)."""
    if not line.startswith("{"):
        return None
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) and MESSAGE_KEY in message else None


def death_reason(returncode: int, tail: collections.deque[str]) -> str:
    """Why a worker ended without a result: how it exited, and its last lines of output."""
    if returncode < 0:
        how = f"worker killed by {signal.Signals(-returncode).name}"
        if -returncode == signal.SIGKILL:
            how += " (out of memory?)"
    else:
        how = f"worker exited with code {returncode} and no result"
    last = [line for line in tail if line.strip()][-3:]
    return how + (f"; last output: {' / '.join(last)}" if last else "")


def main() -> None:
    """The worker: import what every cell of its backend needs (Keras's, from its
    environment), then run the cell its parent sends."""
    cells: queue.SimpleQueue[str] = queue.SimpleQueue()
    threading.Thread(target=_serve_parent, args=(cells,), daemon=True).start()
    import_training(backend_of_this_process())
    message = json.loads(cells.get())
    spec = CellSpec.from_dict(message["spec"])
    result = train_cell(spec, lambda line: print(progress_message(line), flush=True))
    Path(message["result"]).write_text(json.dumps(result, default=float))


def backend_of_this_process() -> str:
    """The Keras backend this worker was started for (``KERAS_BACKEND``, which its parent set)."""
    return os.environ.get("KERAS_BACKEND", DEFAULT_BACKEND)


def import_training(backend: str = DEFAULT_BACKEND) -> None:
    """Import Keras on ``backend`` and the training stage, without starting the backend's
    runtime: its threads and devices can still be set once the cell is known. With another
    backend than TensorFlow, TensorFlow cannot be imported in this process from then on, as
    on a machine without it (Keras then leaves it alone). Raises ``RuntimeError`` when
    Keras already runs on another backend here."""
    os.environ["KERAS_BACKEND"] = backend
    if backend != DEFAULT_BACKEND:
        sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]
    import keras

    if keras.backend.backend() != backend:
        raise RuntimeError(
            f"this process's Keras runs on {keras.backend.backend()}, not on {backend}"
        )
    import harness.plugin.manager
    import harness.training.fit  # noqa: F401
    from harness.execution import devices  # noqa: F401


def _serve_parent(cells: queue.SimpleQueue[str]) -> None:
    """Pass on the cell, the first line of stdin; then kill this worker's process group
    once the parent's end of stdin closes, whether or not a cell came: a harness killed
    by SIGKILL leaves no worker training, or waiting, behind it."""
    line = sys.stdin.readline()
    if line:
        cells.put(line)
    sys.stdin.read()
    os.killpg(os.getpgrp(), signal.SIGKILL)


if __name__ == "__main__":
    main()
