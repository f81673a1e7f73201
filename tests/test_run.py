"""``harness run`` end to end through the real command line, on a tiny data set of our own.

Real Keras training at tiny sizes; faults come from real plugins that raise, diverge,
hang or kill their own process, installed as a third-party distribution would be.
"""

from __future__ import annotations

import ctypes
import json
import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

import harness
from harness.config import DataConfig, DeviceConfig, RunOptions, TrainingConfig
from harness.data.vectorize import prepare
from harness.execution.forked import FORK, SPAWN, fork_is_possible
from harness.execution.local import LocalExecutor, prestarts
from harness.execution.runner import plan_cells, select
from harness.results.schema import Measurements, ResultRow
from harness.results.validation import row_problem

FAULTY_PLUGINS = {
    "exploding": """
from harness import Architecture, hookimpl

def build(embedded, params):
    raise RuntimeError("boom | <b>bad</b>\\nsecond line")

@hookimpl
def harness_architectures():
    return [Architecture(name="exploding", summary="Raises | when <built>.", build_encoder=build)]
""",
    "nan": """
from harness import Architecture, hookimpl

def build(embedded, params):
    import keras
    pooled = keras.layers.GlobalAveragePooling1D()(embedded)
    return keras.layers.Lambda(lambda x: x * float("nan"))(pooled)

@hookimpl
def harness_architectures():
    return [Architecture(name="nan-rnn", summary="Diverges at once.", build_encoder=build)]
""",
    "sleepy": """
import time
from harness import Architecture, hookimpl

def build(embedded, params):
    time.sleep(600)

@hookimpl
def harness_architectures():
    return [Architecture(name="sleepy", summary="Never finishes building.", build_encoder=build)]
""",
    "waiting": """
import os, time
from pathlib import Path
from harness import Architecture, hookimpl

def build(embedded, params):
    Path(os.environ["WORKER_PIDS"], str(os.getpid())).touch()
    time.sleep(600)

@hookimpl
def harness_architectures():
    return [Architecture(name="waiting", summary="Waits to be stopped.", build_encoder=build)]
""",
    "crashing": """
import os, signal
from harness import Architecture, hookimpl

def build(embedded, params):
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would

@hookimpl
def harness_architectures():
    return [Architecture(name="crashing", summary="Its process dies.", build_encoder=build)]
""",
}


def rows_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_end_to_end_rows_leaderboard_and_resume(harness_run):
    args = ("-a", "gru", "-a", "bag-of-embeddings", "-p", "none", "-p", "bucket", "--seeds", "2")
    first = harness_run(*args, "--in-process", "--threads", "1")
    rows = rows_of(harness_run.out)
    assert len(rows) == 8
    assert {row["status"] for row in rows} == {"done"}
    assert len({row["config_hash"] for row in rows}) == 8
    assert {(r["architecture"], r["padding"], r["seed"]) for r in rows} == {
        (a, p, s) for a in ("gru", "bag-of-embeddings") for p in ("none", "bucket") for s in (0, 1)
    }
    for row in rows:
        assert row_problem(row) is None  # what the harness writes, its reader takes whole
        assert set(row) == set(ResultRow.__annotations__)
        assert set(row["measurements"]) == set(Measurements.__annotations__)
        assert 0 <= row["measurements"]["test_accuracy"] <= 1
        assert row["measurements"]["train_examples_per_second"] > 0
        assert row["versions"]["tensorflow"] and row["versions"]["keras"]
        assert row["host"]["cores"] >= 1
        assert row["device"]["threads_used"] == 1  # set before the data's vectorisation
        assert row["data"]["rows"] == {"train": 144, "validation": 16, "test": 40}
        assert row["padding_plugin"] == {
            "name": "core", "distribution": "rnn-harness", "version": harness.__version__
        }  # fmt: skip
    bucket = [r for r in rows if r["padding"] == "bucket"]
    none = [r for r in rows if r["padding"] == "none"]
    assert max(r["measurements"]["padded_share"] for r in bucket) < min(
        r["measurements"]["padded_share"] for r in none
    )
    assert "8 cells (0 already finished, 8 to run)" in first.stdout

    board = (harness_run.out / "leaderboard.md").read_text()
    assert "harness run --data" in board and "--seeds 2" in board
    assert "## Ranking by mean test accuracy" in board
    assert "![Test accuracy against training throughput](leaderboard.png)" in board
    assert (harness_run.out / "leaderboard.png").stat().st_size > 10_000
    ranking = board.split("## Ranking by mean test accuracy")[1].split("\n## ")[0]
    table_rows = [
        line for line in ranking.splitlines() if line.startswith("| ") and "---" not in line
    ]
    assert len(table_rows) == 1 + 4  # header + (2 architectures x 2 paddings)
    assert "## Architecture x padding strategy" in board
    assert "None: every cell finished." in board

    again = harness_run(*args, "--in-process", "--threads", "1")
    assert "8 cells (8 already finished, 0 to run)" in again.stdout
    assert len(rows_of(harness_run.out)) == 8


@pytest.mark.slow
def test_same_seed_same_accuracy(harness_run):
    args = ("-a", "lstm", "-p", "mask", "--seeds", "1")
    harness_run(*args)
    harness_run(*args, "--force")
    first, second = rows_of(harness_run.out)
    assert first["config_hash"] == second["config_hash"]
    assert first["measurements"]["test_accuracy"] == second["measurements"]["test_accuracy"]
    assert (
        first["measurements"]["history"][0]["loss"] == second["measurements"]["history"][0]["loss"]
    )


@pytest.mark.slow
def test_failing_cells_are_rows_and_the_others_finish(harness_run, install_distribution):
    site = install_distribution("rnn-harness-faulty", FAULTY_PLUGINS)
    result = harness_run(
        *shlex.split("-a exploding -a nan-rnn -a crashing -a sleepy -a gru"),
        *shlex.split("-p mask --seeds 1 --timeout 25 --jobs 2"),
        env={"PYTHONPATH": site},
        check=False,
    )
    assert result.returncode == 1  # a cell ended in error or timeout
    rows = {row["architecture"]: row for row in rows_of(harness_run.out)}
    assert rows["gru"]["status"] == "done"
    assert rows["gru"]["device"]["parallel_cells"] == 2
    assert rows["gru"]["device"]["threads_used"] == max(1, os.cpu_count() // 2)
    assert rows["exploding"]["status"] == "error"
    assert "RuntimeError: boom | <b>bad</b>" in rows["exploding"]["reason"]
    assert rows["nan-rnn"]["status"] == "diverged"
    assert "loss became nan" in rows["nan-rnn"]["reason"]
    assert rows["crashing"]["status"] == "crash"
    assert "worker killed by SIGKILL" in rows["crashing"]["reason"]
    assert rows["sleepy"]["status"] == "timeout"
    assert "5 cells run, 4 not done" in result.stdout

    board = (harness_run.out / "leaderboard.md").read_text()
    failures = board.split("## Failures")[1]
    assert "boom \\| &lt;b&gt;bad&lt;/b&gt; second line" in failures
    assert "<b>" not in board
    assert "Raises \\| when &lt;built&gt;." in board
    for line in failures.strip().splitlines()[2:]:
        assert line.count(" | ") == 4, line  # five columns, the escaped pipe does not split

    rerun = harness_run(
        *shlex.split("-a exploding -a nan-rnn -a gru -p mask --seeds 1 --jobs 2"),
        env={"PYTHONPATH": site},
        check=False,
    )
    assert "3 cells (2 already finished, 1 to run)" in rerun.stdout  # done and diverged stay


@pytest.mark.slow
def test_sigkill_mid_run_then_the_same_command_finishes_only_the_rest(harness_run):
    args = ["-a", "bag-of-embeddings", "-p", "none", "-p", "mask", "--seeds", "2", "--in-process"]
    command = harness_run.command(*args)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = harness_run.out / "results.jsonl"
    deadline = time.monotonic() + 300
    while not (results.exists() and results.read_text().count("\n") >= 1):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = {row["config_hash"] for row in rows_of(harness_run.out)}
    assert 1 <= len(finished) < 4

    rerun = harness_run(*args)
    assert f"4 cells ({len(finished)} already finished, {4 - len(finished)} to run)" in rerun.stdout
    rows = rows_of(harness_run.out)
    assert len(rows) == 4 and len({row["config_hash"] for row in rows}) == 4


def started_as_from_a_terminal(command: list[str]) -> list[str]:
    """``command``, a ``python -m harness`` line, with SIGINT raising KeyboardInterrupt as in
    a terminal's foreground job. A test run in the background inherits an ignored SIGINT,
    and Python leaves an ignored SIGINT ignored."""
    python, module_flag, module, *arguments = command
    assert (module_flag, module) == ("-m", "harness")
    start = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv[0] = 'harness'; runpy.run_module('harness', run_name='__main__')"
    )
    return [python, "-c", start, *arguments]


def send_sigint_to_another_thread(pid: int) -> None:
    """Ctrl-C as the operating system may deliver it: to a thread other than the main one."""
    tgkill = getattr(ctypes.CDLL(None, use_errno=True), "tgkill", None)
    if tgkill is None:
        pytest.skip("needs Linux's tgkill (glibc 2.30 or later)")
    thread = min(int(task) for task in os.listdir(f"/proc/{pid}/task") if int(task) != pid)
    assert tgkill(pid, thread, signal.SIGINT) == 0, os.strerror(ctypes.get_errno())


@pytest.mark.parametrize(
    ("jobs", "receiver"), [(2, "main thread"), (2, "another thread"), (1, "another thread")]
)
@pytest.mark.slow
def test_ctrl_c_stops_the_run_and_its_workers(
    harness_run, install_distribution, tmp_path, jobs, receiver
):
    site = install_distribution("rnn-harness-waiting", FAULTY_PLUGINS)
    pids = tmp_path / "worker-pids"
    pids.mkdir()
    command = harness_run.command(*shlex.split(f"-a waiting -p mask --seeds 3 --jobs {jobs}"))
    env = {**os.environ, "PYTHONPATH": site, "WORKER_PIDS": str(pids)}
    process = subprocess.Popen(
        started_as_from_a_terminal(command),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while len(list(pids.iterdir())) < jobs:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    workers = psutil.Process(process.pid).children(recursive=True)
    if fork_is_possible():  # each slot's fork server besides its worker
        assert len(workers) == 2 * jobs
    else:  # a spare for the one cell waiting after those
        spares = prestarts(DeviceConfig(parallel_cells=jobs), os.cpu_count() or 1, gpus=[])
        assert len(workers) == jobs + spares
    if receiver == "main thread":
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    else:
        send_sigint_to_another_thread(process.pid)
    try:
        output = process.communicate(timeout=60)[0].decode()
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate()[0].decode()
        pytest.fail(f"the harness went on for 60 s after Ctrl-C; its output:\n{output}")
    assert process.returncode == 130, output  # interrupted, not "a cell failed"
    assert output.rstrip().endswith("interrupted")
    assert "Traceback" not in output
    for pid in (int(path.name) for path in pids.iterdir()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not [worker for worker in workers if _running(worker)]  # spares included
    assert len(list(pids.iterdir())) == jobs  # the cells after those running never started
    assert not (harness_run.out / "results.jsonl").exists()


@pytest.mark.slow
def test_workers_do_not_outlive_a_harness_killed_by_sigkill(
    harness_run, install_distribution, tmp_path
):
    site = install_distribution("rnn-harness-waiting", FAULTY_PLUGINS)
    pids = tmp_path / "worker-pids"
    pids.mkdir()
    command = harness_run.command(*shlex.split("-a waiting -p mask --seeds 2 --jobs 1"))
    env = {**os.environ, "PYTHONPATH": site, "WORKER_PIDS": str(pids)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not any(pids.iterdir()):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    worker = psutil.Process(int(next(pids.iterdir()).name))
    (spare,) = [p for p in psutil.Process(process.pid).children() if p.pid != worker.pid]
    process.kill()
    process.wait()
    deadline = time.monotonic() + 30
    while _running(worker) or _running(spare):
        assert time.monotonic() < deadline, "a worker outlived its harness"
        time.sleep(0.1)


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_an_estimate_comes_first_then_the_longest_cells_and_resuming_skips_finished_ones(
    harness_run,
):
    # gru this wide stands apart from the baseline in the estimates, recorded to 0.1 s
    wide = ("--set", "gru.units=256")
    args = ("-a", "bag-of-embeddings", "-a", "gru", *wide, "-p", "none", "--in-process")
    first = harness_run(*args, "--seeds", "1")
    lines = first.stdout.splitlines()
    (estimate,) = [number for number, line in enumerate(lines) if line.startswith("estimate:")]
    assert lines[estimate].startswith("estimate: 2 cells, ~")
    assert "with one at a time (a priori" in lines[estimate]
    assert estimate < min(number for number, line in enumerate(lines) if line.startswith("[1/2,"))
    rows = rows_of(harness_run.out)
    assert [row["architecture"] for row in rows] == ["gru", "bag-of-embeddings"]  # wider first
    assert rows[0]["estimate"]["cell_seconds"] > rows[1]["estimate"]["cell_seconds"]
    assert rows[0]["device"]["parallel_cells"] == 1  # --jobs auto with --in-process

    again = harness_run(*args, "--seeds", "2")
    assert "4 cells (2 already finished, 2 to run)" in again.stdout
    assert "estimate: 2 cells" in again.stdout and "(from 2 earlier rows" in again.stdout
    later = rows_of(harness_run.out)[2:]
    assert {row["seed"] for row in later} == {1}
    assert later[0]["estimate"]["cell_seconds"] >= later[1]["estimate"]["cell_seconds"]
    board = (harness_run.out / "leaderboard.md").read_text()
    assert "minutes from start to finish (estimated " in board


def three_cells_one_at_a_time(news_dir, tmp_path, registry, worker_start: str):
    """Three seeds of ``bag-of-embeddings``/``bucket``, one epoch each, and the executor that
    runs them one at a time, its workers started as ``worker_start`` says."""
    options = RunOptions(
        architectures=("bag-of-embeddings",),
        paddings=("bucket",),
        seeds=3,
        data=DataConfig(source=str(news_dir)),
        training=TrainingConfig(max_epochs=1, batch_size=16),
        device=DeviceConfig(parallel_cells=1),
    )
    data = prepare(options.data, registry, tmp_path / "cache")
    executor = LocalExecutor(options.device, None, in_process=False, worker_start=worker_start)
    cells = plan_cells(
        options, select(options, registry), registry, data, executor.machine(), executor.device()
    )
    return cells, data, executor


def children_while_cells_run(executor, cells, data) -> tuple[list, set[int]]:
    """The outcomes of ``cells``, and every process this one started while they ran."""
    this = psutil.Process()
    seen: set[int] = set()

    def note_workers(*_: object) -> None:
        seen.update(child.pid for child in this.children(recursive=True))

    with executor:
        outcomes = [outcome for _, outcome in executor.outcomes(cells, data, note_workers)]
    return outcomes, seen


@pytest.mark.slow
def test_spare_workers_end_with_the_run(news_dir, tmp_path, registry):
    """Spawned workers: a spare is started only for a cell still waiting; none outlives the
    run, whether it ends or is left early (an error)."""
    cells, data, executor = three_cells_one_at_a_time(news_dir, tmp_path, registry, SPAWN)
    outcomes, seen = children_while_cells_run(executor, cells, data)
    assert [outcome.status for outcome in outcomes] == ["done"] * 3
    assert {outcome.executor["worker_start"] for outcome in outcomes} == {SPAWN}
    this = psutil.Process()
    assert not [child for child in this.children(recursive=True) if _running(child)]
    assert len(seen) == 3  # one worker a cell: no spare beyond the last cell

    with executor:
        left_early = executor.outcomes(cells, data, lambda *_: None)
        next(left_early)
        spares = [child for child in this.children(recursive=True) if _running(child)]
        assert len(spares) == 1  # the next cell's, importing or waiting
        left_early.close()
    assert not [child for child in this.children(recursive=True) if _running(child)]


@pytest.mark.slow
@pytest.mark.skipif(not fork_is_possible(), reason="workers are forked on Linux only")
def test_forked_workers_come_from_one_server_a_slot_and_end_with_the_run(
    news_dir, tmp_path, registry
):
    cells, data, executor = three_cells_one_at_a_time(news_dir, tmp_path, registry, FORK)
    outcomes, seen = children_while_cells_run(executor, cells, data)
    assert [outcome.status for outcome in outcomes] == ["done"] * 3
    assert {outcome.executor["worker_start"] for outcome in outcomes} == {FORK}
    this = psutil.Process()
    assert not [child for child in this.children(recursive=True) if _running(child)]
    assert len(seen) == 1 + 3  # the slot's fork server, and one worker a cell

    with executor:
        left_early = executor.outcomes(cells, data, lambda *_: None)
        next(left_early)
        (server,) = [child for child in this.children() if _running(child)]
        left_early.close()
    assert not _running(server)
    assert not [child for child in this.children(recursive=True) if _running(child)]


def test_bad_options_are_clear_errors(harness_run):
    unknown = harness_run("-a", "lstn", check=False)
    assert unknown.returncode == 2
    assert "unknown architecture 'lstn'; did you mean 'lstm'?" in unknown.stderr
    bad_override = harness_run("-a", "lstm", "--set", "lstm.units=many", check=False)
    assert "lstm.units expects int, got 'many'" in bad_override.stderr
    in_process_jobs = harness_run("-a", "lstm", "--in-process", "--jobs", "2", check=False)
    assert "--in-process runs one cell at a time" in in_process_jobs.stderr
    nothing = harness_run(check=False)
    assert "choose architectures with --arch/-a NAME, or run them all with --all" in nothing.stderr


WORKER_ONLY_FAILURE = """
import __main__
from harness import Architecture, hookimpl

WORKERS = ("harness.execution.worker", "harness.execution.forked")  # spawned or forked
if getattr(getattr(__main__, "__spec__", None), "name", "") in WORKERS:
    raise RuntimeError("needs a driver the workers lack")

def build(embedded, params):
    import keras
    return keras.layers.GlobalAveragePooling1D()(embedded)

@hookimpl
def harness_architectures():
    return [Architecture(name="fussy", summary="Loads here, not in a worker.", build_encoder=build)]
"""


@pytest.mark.slow
def test_a_plugin_that_fails_only_in_its_worker_reports_its_own_error(
    harness_run, install_distribution
):
    site = install_distribution("rnn-harness-fussy", {"fussy": WORKER_ONLY_FAILURE})
    result = harness_run(
        "-a", "fussy", "-p", "none", "--seeds", "1", env={"PYTHONPATH": site}, check=False
    )
    assert result.returncode == 1
    (row,) = rows_of(harness_run.out)
    assert row["status"] == "error"
    assert "RuntimeError: needs a driver the workers lack" in row["reason"], row["reason"]
    assert "plugin 'fussy' (rnn-harness-fussy 1.0)" in row["reason"]


@pytest.mark.slow
@pytest.mark.skipif(not fork_is_possible(), reason="workers are forked on Linux only")
def test_a_deterministic_cell_scores_the_same_forked_as_spawned(news_dir, tmp_path, registry):
    options = RunOptions(
        architectures=("gru",),
        paddings=("bucket",),
        seeds=1,
        data=DataConfig(source=str(news_dir)),
        training=TrainingConfig(max_epochs=2, batch_size=16),
        device=DeviceConfig(parallel_cells=1, deterministic=True),
    )
    data = prepare(options.data, registry, tmp_path / "cache")
    measured = {}
    for start in (FORK, SPAWN):
        with LocalExecutor(options.device, None, in_process=False, worker_start=start) as runs:
            (cell,) = plan_cells(
                options, select(options, registry), registry, data, runs.machine(), runs.device()
            )
            ((_, outcome),) = list(runs.outcomes([cell], data, lambda *_: None))
        assert outcome.status == "done" and outcome.executor["worker_start"] == start
        measured[start] = outcome.measurements
    forked, spawned = measured[FORK], measured[SPAWN]
    assert forked["test_predictions"] == spawned["test_predictions"]
    assert forked["test_accuracy"] == spawned["test_accuracy"]
    assert [epoch["loss"] for epoch in forked["history"]] == [
        epoch["loss"] for epoch in spawned["history"]
    ]
