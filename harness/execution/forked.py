"""Workers forked from a preloaded parent: each cell still runs in a process of its own, but
none pays for importing TensorFlow and Keras.

A fork server (:class:`ForkServer`, one per slot of the local executor and Keras backend) is
a fresh interpreter that imports Keras on its backend (TensorFlow, JAX or torch: a server of
another backend than TensorFlow never imports TensorFlow), the training stage and every
plugin, runs no op (so no runtime, thread pool or device context exists yet), then forks one
worker per cell it is sent. The worker is isolated as a fresh one is: it leads a session
and process group of its own (killed whole on timeout), it ends with its cell (so its memory,
leaked or not, goes with it), and it kills itself when the harness dies (it watches a
lifeline pipe whose only writer is the harness). The server reaps each worker and reports
how it ended.

The server reports each fork and each exit as a JSON line on a pipe of its own (EVENTS_FD);
the workers' output, progress lines included, comes on its standard output, where a line a
worker left unfinished cannot hide an event.

``python -m harness.execution.forked LIFELINE_FD EVENTS_FD`` is the server's entry point. Forking is
for Linux; where it is unsafe (another system, or a plugin that ran a TensorFlow op while
it was imported) the local executor starts fresh interpreters instead
(:class:`~harness.execution.worker.WorkerProcess`), and each row says which start it had.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from harness.config import CellSpec
from harness.execution.worker import (
    MESSAGE_KEY,
    OUTPUT_TAIL_LINES,
    CellOutcome,
    LineReporter,
    backend_of_this_process,
    death_reason,
    import_training,
    message_of,
    progress_message,
    register_running,
    train_cell,
    unregister_running,
    worker_environment,
)
from harness.results.schema import Status

FORK = "fork"  # a row's worker start: forked from a preloaded parent
SPAWN = "spawn"  # a fresh interpreter
WAKE_SECONDS = 0.05  # how often a wait checks the clock (and lets a Ctrl-C through)


def fork_is_possible() -> bool:
    """Whether this system forks workers: Linux only (macOS's system libraries are not safe
    to use in a child forked from a process that loaded them)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class ForkUnsafe(Exception):
    """The fork server cannot fork safely; the reason is the message."""


class ForkServer:
    """A preloaded interpreter that forks one worker per cell (see the module's text).

    Started at once, so that its imports overlap whatever the harness does meanwhile; its
    first cell waits for them. In the register that
    :func:`~harness.execution.worker.kill_running_workers` empties, with its worker.
    """

    def __init__(self, environment: dict[str, str] | None = None) -> None:
        """``environment`` adds variables to the server's, and so its workers' (e.g. their
        own ``CUDA_VISIBLE_DEVICES``, and the backend's: ``KERAS_BACKEND``...)."""
        lifeline, self._lifeline = os.pipe()  # the harness holds the only writing end
        events, events_out = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "harness.execution.forked", str(lifeline), str(events_out)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
                pass_fds=(lifeline, events_out),
                env=worker_environment(environment),
            )
        finally:
            os.close(lifeline)
            os.close(events_out)
        self.tail: collections.deque[str] = collections.deque(maxlen=OUTPUT_TAIL_LINES)
        self.report: LineReporter = lambda line: None
        self.events: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.worker: int | None = None  # the forked worker's pid while a cell runs
        register_running(self)
        threading.Thread(target=self._relay_output, daemon=True).start()
        threading.Thread(target=self._relay_events, args=(events,), daemon=True).start()

    def run(self, spec: CellSpec, timeout: float | None, report: LineReporter) -> CellOutcome:
        """Fork a worker for ``spec`` and wait for its outcome, as
        :meth:`~harness.execution.worker.WorkerProcess.run` does; raises :class:`ForkUnsafe`
        when the server cannot fork (nothing ran). ``timeout`` and the wall time count from
        the fork."""
        self.report = report
        self.tail.clear()
        with tempfile.TemporaryDirectory(prefix="rnn-harness-cell-") as scratch:
            result_path = Path(scratch, "result.json")
            line = json.dumps({"spec": asdict(spec), "result": str(result_path)}, default=str)
            with contextlib.suppress(BrokenPipeError):
                assert self.process.stdin is not None
                self.process.stdin.write(line + "\n")
                self.process.stdin.flush()
            forked = self._next_event(None)
            started = time.perf_counter()
            if forked["event"] == "unsafe":
                raise ForkUnsafe(forked["reason"])
            if forked["event"] == "forked":
                self.worker = forked["pid"]
                try:
                    ended = self._next_event(timeout)
                except TimeoutError:
                    self.kill_worker()
                    self._next_event(None)  # reaped by the server
                    return CellOutcome(
                        Status.TIMEOUT,
                        f"killed after the per-cell timeout of {timeout:g} s",
                        None,
                        {},
                        time.perf_counter() - started,
                    )
                if ended["event"] == "ended":  # the server died: its worker must not live on
                    self.kill_worker()
                self.worker = None
            else:
                ended = forked  # the server ended before it forked
            wall = time.perf_counter() - started
            if result_path.exists():
                return CellOutcome(**json.loads(result_path.read_text()), wall_seconds=wall)
            if ended["event"] == "exited":
                reason = death_reason(ended["returncode"], self.tail)
            else:
                reason = "the fork server died: " + death_reason(self.process.wait(), self.tail)
            return CellOutcome(Status.CRASH, reason, None, {}, wall)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the worker's process group, let the server reap the worker, then kill the
        server's process group and reap the server."""
        worker = self.worker
        self.kill_worker()
        if worker is not None:
            _wait_until_reaped(worker)
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        unregister_running(self)
        with contextlib.suppress(OSError):
            assert self.process.stdin is not None
            self.process.stdin.close()
        with contextlib.suppress(OSError):
            os.close(self._lifeline)

    def kill_worker(self) -> None:
        """Kill the running worker's process group, if a cell runs: its outcome comes as a
        ``crash``; the server lives on."""
        if self.worker is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.worker, signal.SIGKILL)

    def _next_event(self, timeout: float | None) -> dict[str, Any]:
        """The server's next event (forked, exited, unsafe, ended); ``TimeoutError`` after
        ``timeout`` seconds. Waits in short steps: Python runs signal handlers in the main
        thread only, between them."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = WAKE_SECONDS
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise TimeoutError
            with contextlib.suppress(queue.Empty):
                return self.events.get(timeout=wait)

    def _relay_output(self) -> None:
        """Hand the workers' progress lines to ``report``; keep the last lines of all output
        in ``tail``, for the reason when a worker dies."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            message = message_of(line)
            if message is None:
                self.tail.append(line.rstrip())
            elif message[MESSAGE_KEY] == "progress":
                self.tail.append(message["line"])
                self.report(message["line"])

    def _relay_events(self, events: int) -> None:
        """Hand the server's events to :meth:`run`; ``ended`` once the server is gone."""
        with open(events, encoding="utf-8") as lines:
            for line in lines:
                self.events.put(json.loads(line))
        self.events.put({"event": "ended"})


# -- the server's side ---------------------------------------------------------------------


def serve(lifeline: int, events_fd: int) -> None:
    """Preload, then fork a worker for each cell line of stdin, one at a time, and report
    on ``events_fd`` how each ended; die with the harness."""
    events = open(events_fd, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 (for life)
    backend = backend_of_this_process()
    import_training(backend)
    from harness.plugin.manager import load_registry

    load_registry()  # every plugin imported once, here, not in each worker
    unsafe = why_fork_is_unsafe(backend)
    worker: list[int] = []  # the running worker, for the lifeline's watcher
    threading.Thread(target=_die_with_harness, args=(lifeline, worker), daemon=True).start()
    for line in sys.stdin:
        if unsafe:
            _send(events, "unsafe", reason=unsafe)
            continue
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            os.close(events_fd)  # the events are the server's to send
            _work(json.loads(line), lifeline)
        worker[:] = [pid]
        _send(events, "forked", pid=pid)
        _, status = os.waitpid(pid, 0)
        worker.clear()
        _send(events, "exited", pid=pid, returncode=os.waitstatus_to_exitcode(status))


def why_fork_is_unsafe(backend: str = "tensorflow") -> str | None:
    """Why forking this process would be unsafe (the runtime of Keras's ``backend`` already
    started, with its threads and devices); None when it is safe."""
    if backend == "jax":
        from jax._src import xla_bridge

        started = xla_bridge.backends_are_initialized()
        return "JAX's runtime started while the plugins were imported" if started else None
    if backend == "torch":
        import torch

        started = torch.cuda.is_initialized()
        return "CUDA started while the plugins were imported" if started else None
    from tensorflow.python.eager import context

    started = context.context_safe()
    if started is not None and started._context_handle is not None:
        return "TensorFlow's runtime started while the plugins were imported"
    return None


def _work(message: dict[str, Any], lifeline: int) -> None:
    """The forked worker: lead a process group of its own, watch the lifeline, run the cell,
    write its result, and exit without the server's exit handlers."""
    code = 1
    try:
        os.setsid()
        threading.Thread(target=_die_with_harness, args=(lifeline, []), daemon=True).start()
        spec = CellSpec.from_dict(message["spec"])
        result = train_cell(spec, lambda line: print(progress_message(line), flush=True))
        Path(message["result"]).write_text(json.dumps(result, default=float))
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _die_with_harness(lifeline: int, worker: list[int]) -> None:
    """Block until the harness's end of the lifeline closes (it died, or is done), then kill
    the running ``worker``'s process group, if any, reap it, and kill this process's."""
    while os.read(lifeline, 1):
        pass
    for pid in worker:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):  # the server's loop may reap it first
            os.waitpid(pid, 0)
    os.killpg(os.getpgrp(), signal.SIGKILL)


def _wait_until_reaped(pid: int, seconds: float = 5.0) -> None:
    """Wait until process ``pid`` is gone, its exit collected by its parent (a worker killed
    with its server would otherwise stay a zombie of whatever adopts it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(WAKE_SECONDS)


def _send(events: TextIO, event: str, **fields: Any) -> None:
    events.write(json.dumps({"event": event, **fields}) + "\n")


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
