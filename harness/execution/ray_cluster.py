"""The Ray executor: each cell is one Ray task, in a fresh worker process, on a node Ray picks.

The driver (this process) prepares the vectorised data once and puts it in Ray's object
store once; every task takes it as an argument, so Ray sends it to each node once and the
tasks on a node share that node's copy. The driver alone writes results: each task returns
its outcome, and the driver appends the row. It also enforces the per-cell timeout
(``ray.cancel(force=True)``), turns a worker or node that died into a ``crash`` outcome,
and cancels every running task when it stops early (Ctrl-C).

Only as many tasks as the cluster can run at once are submitted, so a task starts when it
is submitted and its timeout counts from then (a cluster busy with other jobs delays the
start, and the wait counts).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import deque
from collections.abc import Generator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from harness.config import DEFAULT_BACKEND, CellSpec, DeviceConfig, ExecutorConfig
from harness.errors import HarnessError
from harness.execution import environment
from harness.execution.devices import backend_environment
from harness.execution.worker import CellOutcome, CellReporter, train_cell
from harness.results.schema import Status

if TYPE_CHECKING:
    from harness.api import VectorizedData
    from harness.training.feed import CellPlans

INSTALL_HINT = "--executor ray needs Ray, which is not installed: pip install 'rnn-harness[ray]'"
WAKE_SECONDS = 0.5  # how often the driver checks timeouts (and sees a Ctrl-C)
REASON_CHARACTERS = 500


class RayExecutor:
    """Cells as Ray tasks on the cluster at ``config.ray_address`` (or a new local one)."""

    def __init__(self, config: ExecutorConfig, device: DeviceConfig, timeout: float | None) -> None:
        if device.parallel_cells not in (None, 1):
            raise HarnessError(
                "--jobs is for --executor local: on Ray, the cluster's free CPUs and GPUs "
                "decide how many cells run at once"
            )
        if ":" in device.device:
            raise HarnessError(
                f"--device {device.device} is for --executor local: on Ray, the scheduler "
                "gives each cell its GPU; use --device gpu"
            )
        try:
            import ray  # noqa: F401
        except ImportError:
            raise HarnessError(INSTALL_HINT) from None
        self.config = config
        self.asked = device
        self.timeout = timeout
        self.cpus = config.cpus_per_cell or 1
        self.gpus = 0
        self.cluster: dict[str, Any] = {}
        self.cells_at_once = 0
        self.connected_here = False
        self.running: dict[Any, tuple[CellSpec, float]] = {}
        self.data_ref: Any = None  # the data in the object store, once a run has put it there
        self._join()

    def _join(self) -> None:
        """Join the cluster (start one here without an address) and check its resources."""
        import ray

        if not ray.is_initialized():
            self._connect()
            self.connected_here = True
        try:
            nodes = [node["Resources"] for node in ray.nodes() if node["Alive"]]
            self.gpus = self._gpus_per_cell(nodes)
            self.cells_at_once = cells_at_once(nodes, self.cpus, self.gpus)
        except BaseException:
            self._disconnect()
            raise
        self.cluster = {
            "nodes": len(nodes),
            "cpus": sum(node.get("CPU", 0) for node in nodes),
            "gpus": sum(node.get("GPU", 0) for node in nodes),
        }

    def __enter__(self) -> RayExecutor:
        return self

    def _connect(self) -> None:
        import ray

        address = self.config.ray_address
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,  # a cell's output stays in Ray's worker logs
                logging_level=logging.WARNING,
            )
        except (ConnectionError, RuntimeError, ValueError) as error:
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            if address is None:
                raise HarnessError(f"starting a Ray cluster here: {first_line}") from None
            raise HarnessError(
                f"--ray-address {address}: {first_line} (a cluster with token authentication "
                "also needs RAY_AUTH_MODE=token and its token here: see docs/cluster.md)"
            ) from None

    def _gpus_per_cell(self, nodes: list[dict[str, float]]) -> int:
        kind = self.asked.device
        any_gpu = any(node.get("GPU", 0) for node in nodes)
        gpus = self.config.gpus_per_cell
        if gpus is None:
            gpus = 1 if kind == "gpu" or (kind == "auto" and any_gpu) else 0
        if kind == "cpu" and gpus:
            raise HarnessError(f"--device cpu and --gpus-per-cell {gpus}: choose one")
        if kind == "gpu" and not gpus:
            raise HarnessError("--device gpu and --gpus-per-cell 0: choose one")
        if gpus and not any_gpu:
            raise HarnessError(
                f"the Ray cluster at {self._where()} has no GPU, and the cells ask for "
                f"{gpus} each: add a GPU node, or run with --device cpu"
            )
        return gpus

    def _where(self) -> str:
        return self.config.ray_address or "this machine"

    def machine(self) -> dict[str, Any]:
        """The kind of place a cell asks for, not the node the scheduler picks: a resumed
        run skips a finished cell whichever node ran it (docs/results.md)."""
        return {"executor": "ray", "cpus_per_cell": self.cpus, "gpus_per_cell": self.gpus}

    def device(self) -> DeviceConfig:
        """A cell uses the GPU Ray gives it (Ray sets its ``CUDA_VISIBLE_DEVICES``), or the CPU
        when it asks for none; as many TensorFlow threads as it reserves CPUs."""
        return replace(
            self.asked,
            device=self.asked.device if self.gpus else "cpu",
            threads=self.asked.threads or self.cpus,
            parallel_cells=1,  # --jobs auto: the cluster decides, as before it existed
        )

    def cells_at_a_time(self) -> int:
        return self.cells_at_once

    def outcomes(
        self, cells: list[CellSpec], data: VectorizedData, report: CellReporter
    ) -> Generator[tuple[CellSpec, CellOutcome], None, None]:
        import ray

        self.data_ref = ray.put(data)  # once: each node fetches it once, its tasks share it
        task = ray.remote(max_calls=1, max_retries=0)(run_on_node)
        waiting = deque(cells)
        try:
            while waiting or self.running:
                while waiting and len(self.running) < self.cells_at_once:
                    cell = waiting.popleft()
                    self.running[self._submit(task, cell, data)] = (cell, time.perf_counter())
                ready, _ = ray.wait(list(self.running), num_returns=1, timeout=WAKE_SECONDS)
                for ref in ready:
                    cell, started = self.running.pop(ref)
                    yield cell, self._outcome(ref, started)
                yield from self._time_out()
        finally:
            self._cancel_running()

    def _submit(self, task: Any, cell: CellSpec, data: VectorizedData) -> Any:
        """Start ``cell``'s task; on another backend than TensorFlow, with that backend's
        environment and the cell's batch plans (a node need not hold the data cache)."""
        resources = {"num_cpus": self.cpus, "num_gpus": self.gpus}
        if cell.backend == DEFAULT_BACKEND:
            return task.options(**resources).remote(cell, self.data_ref)
        from harness.training.feed import load_cell_plans

        environment = backend_environment(cell.backend, self.device())
        plans = load_cell_plans(cell, data.cache_path)
        return task.options(**resources, runtime_env={"env_vars": environment}).remote(
            cell, self.data_ref, plans
        )

    def _time_out(self) -> Generator[tuple[CellSpec, CellOutcome], None, None]:
        import ray

        if self.timeout is None:
            return
        now = time.perf_counter()
        for ref, (cell, started) in list(self.running.items()):
            if now - started > self.timeout:
                ray.cancel(ref, force=True)
                del self.running[ref]
                reason = f"killed after the per-cell timeout of {self.timeout:g} s"
                outcome = CellOutcome(Status.TIMEOUT, reason, None, {}, now - started)
                yield cell, replace(outcome, executor=self._placement())

    def _outcome(self, ref: Any, started: float) -> CellOutcome:
        import ray
        from ray import exceptions

        try:
            result = ray.get(ref)
        except exceptions.RayTaskError as error:  # raised in the task, outside the training
            outcome = CellOutcome(Status.ERROR, _one_line(error), None, {}, 0.0)
        except exceptions.RayError as error:  # the worker or its node died
            outcome = CellOutcome(Status.CRASH, _one_line(error), None, {}, 0.0)
        else:
            node, placement = result.pop("node"), result.pop("placement")
            outcome = CellOutcome(**result, wall_seconds=0.0, node=node)
            return replace(
                outcome,
                wall_seconds=time.perf_counter() - started,
                executor=self._placement(**placement),
            )
        return replace(
            outcome, wall_seconds=time.perf_counter() - started, executor=self._placement()
        )

    def _placement(self, node_id: str | None = None, gpu_ids: list[str] | None = None) -> dict:
        return {
            "executor": "ray",
            "address": self.config.ray_address,
            "cpus_per_cell": self.cpus,
            "gpus_per_cell": self.gpus,
            "cluster": self.cluster,
            "node_id": node_id,
            "gpu_ids": gpu_ids or [],
        }

    def _cancel_running(self) -> None:
        import ray

        for ref in self.running:
            ray.cancel(ref, force=True)
        self.running.clear()

    def __exit__(self, *_: object) -> None:
        self._cancel_running()
        self._disconnect()

    def _disconnect(self) -> None:
        import ray

        if self.connected_here:
            ray.shutdown()
            self.connected_here = False


def cells_at_once(nodes: list[dict[str, float]], cpus: int, gpus: int) -> int:
    """How many cells of ``cpus`` CPUs and ``gpus`` GPUs the ``nodes`` hold at once;
    a clear error when no node holds one."""
    fits = sum(
        min(
            math.floor(node.get("CPU", 0) / cpus),
            math.floor(node.get("GPU", 0) / gpus) if gpus else math.inf,
        )
        for node in nodes
    )
    if fits == 0:
        sizes = ", ".join(
            f"{node.get('CPU', 0):g} CPUs + {node.get('GPU', 0):g} GPUs" for node in nodes
        )
        raise HarnessError(
            f"no node of the Ray cluster holds one cell of {cpus} CPUs + {gpus} GPUs "
            f"(--cpus-per-cell, --gpus-per-cell); its nodes: {sizes or 'none'}"
        )
    return int(fits)


def run_on_node(
    cell: CellSpec, data: VectorizedData, plans: CellPlans | None = None
) -> dict[str, Any]:
    """The Ray task: train ``cell`` on ``data`` (and its batch ``plans``) here; what
    happened, and where."""
    import ray

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    result = train_cell(cell, lambda line: print(line, flush=True), data, plans)
    result["node"] = environment.host()
    result["placement"] = {
        "node_id": ray.get_runtime_context().get_node_id(),
        "gpu_ids": [str(gpu) for gpu in ray.get_gpu_ids()],
    }
    return result


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:REASON_CHARACTERS]
