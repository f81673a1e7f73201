"""``harness tune``: the same tuning budget for every architecture, then its best re-run.

For each architecture x padding strategy, one Optuna study (:mod:`harness.tune.study`)
proposes ``--trials`` configurations from the architecture's space
(:mod:`harness.tune.space`). Every trial is a cell scored on the validation split only
(``score_test`` False), run by the ordinary executors, trials in parallel. Then each
study's best configuration is trained again over ``--seeds`` seeds and scored on the test
split, beside the architecture's defaults (the untuned cells, as ``harness run`` trains
them), so that the report ranks tuned architectures and says what tuning changed.

Every outcome is a row of ``OUT/results.jsonl`` before the study hears of it; a trial left
running by a killed tune is run again with its stored values, and one whose row is written
but was never told is told from its row. So the same command resumes: no finished trial is
lost or run twice, and each study ends with exactly ``--trials`` trials.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from harness.api import Architecture
from harness.config import CellSpec, Params, RunOptions, TrainingConfig
from harness.data.embeddings import coverage_line, with_embeddings
from harness.data.vectorize import prepare
from harness.errors import HarnessError
from harness.execution.batch_plans import make_batch_plans
from harness.execution.cost import estimate_line, estimate_run, longest_first
from harness.execution.executor import open_executor
from harness.execution.local import LocalExecutor
from harness.execution.preflight import check_output_directory
from harness.execution.runner import (
    Say,
    cell_embeddings,
    cell_of,
    result_row,
    select,
    utc_now,
)
from harness.execution.worker import CellOutcome
from harness.plugin.manager import load_registry
from harness.results.log import RESULTS_FILE, append_row, read_rows
from harness.results.schema import FINISHED, ResultRow, Status
from harness.training.progress import epoch_validation_accuracy
from harness.tune.capacity import ParameterCounter
from harness.tune.space import TuningSpace, tuning_spaces
from harness.tune.study import (
    PRUNERS,
    SAMPLERS,
    STUDY_FILE,
    STUDY_ID_ATTR,
    Proposer,
    check_study,
    existing_study,
    make_pruner,
    open_storage,
    open_study,
    study_identity,
    study_name,
)

if TYPE_CHECKING:
    import optuna

TRIAL_SEED_BASE = 1000  # trial n trains with seed 1000 + n; re-runs use 0..--seeds-1
TRIAL, RERUN, UNTUNED = "trial", "rerun", "untuned"


@dataclass(frozen=True)
class TuneOptions:
    """Everything ``harness tune`` was asked to do; ``run.seeds`` is the re-runs' seeds."""

    run: RunOptions
    trials: int = 12
    spaces: tuple[str, ...] = ()
    max_params: int | None = None
    exclude_embedding: bool = False
    sampler: str = "random"
    sampler_seed: int = 0
    prune: str = "none"
    untuned: bool = True

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise HarnessError(f"--trials must be at least 1, not {self.trials}")
        if self.sampler not in SAMPLERS:
            raise HarnessError(f"--sampler takes {' or '.join(SAMPLERS)}, not {self.sampler!r}")
        if self.prune not in PRUNERS:
            raise HarnessError(f"--prune takes {', '.join(PRUNERS)}, not {self.prune!r}")
        if self.max_params is not None and self.max_params < 1:
            raise HarnessError(f"--max-params must be at least 1, not {self.max_params}")
        if self.exclude_embedding and self.max_params is None:
            raise HarnessError("--exclude-embedding counts for --max-params: give --max-params N")
        if len(self.run.backends) > 1:
            raise HarnessError("harness tune trains on one --backend at a time")
        if self.prune != "none" and (self.run.in_process or self.run.executor.executor != "local"):
            raise HarnessError(
                "--prune needs local worker processes: a Ray task or an --in-process cell "
                "cannot be stopped at an epoch"
            )


@dataclass
class Plan:
    """One study: an architecture under a padding strategy, its space and its Optuna study."""

    name: str
    architecture: Architecture
    padding: str
    space: TuningSpace
    proposer: Proposer
    study: optuna.Study
    study_id: str
    trials: dict[int, optuna.trial.Trial] = field(default_factory=dict)  # running, by number


@dataclass(frozen=True)
class Job:
    """What a cell is run for: a study's trial (``number``), a re-run of its best trial, or
    the untuned defaults; ``values`` are the sampled values it trains with."""

    plan: Plan
    role: str
    number: int | None
    values: dict[str, Any]


class Tuner:
    """Runs a tune from its options: checks, studies, waves of cells, rows, tells."""

    def __init__(self, options: TuneOptions, say: Say) -> None:
        self.options = options
        self.run_options = options.run
        self.say = say
        self.results = options.run.out_dir / RESULTS_FILE
        self.lock = threading.Lock()  # every call into the studies (SQLite) holds it
        self.pruned: dict[str, tuple[int, float]] = {}  # config hash: (epoch, best so far)
        self.failed_now: set[str] = set()  # cells that ended in error this time: not again
        self.written: list[ResultRow] = []

    def run(self) -> list[ResultRow]:
        """Check everything, then run waves of cells until every study is done; the rows
        written this time."""
        options, run = self.options, self.run_options
        registry = load_registry()
        for plugin in registry.failed_plugins:
            self.say(f"warning: {plugin.describe()} failed to load and is left out: {plugin.error}")
        selection = select(run, registry)
        architectures = {
            name: registered.item for name, registered in registry.architectures.items()
        }
        spaces = tuning_spaces(
            architectures, tuple(selection.params), options.spaces, run.training,
            pretrained=run.embeddings is not None,
        )  # fmt: skip
        check_output_directory(run.out_dir)
        self.rows = read_rows(self.results)
        executor = open_executor(run.executor, run.device, run.timeout, run.in_process)
        data = prepare(run.data, registry, run.cache_dir)
        if run.embeddings is not None:  # the model's width follows the vectors'
            data = with_embeddings(run.embeddings, data)
            assert data.embeddings is not None
            self.say(coverage_line(data.embeddings.description, run.embeddings.trainable))
            training = replace(run.training, embedding_dim=data.embeddings.dimension)
            run = self.run_options = replace(run, training=training)
        self.registry, self.data, self.executor = registry, data, executor
        self.machine, self.device = executor.machine(), executor.device()
        storage = open_storage(run.out_dir)
        counter = ParameterCounter(data) if options.max_params is not None else None
        identities = {
            (name, padding): study_identity(
                spaces[name], {**data.describe(), "embeddings": cell_embeddings(run, data)},
                run.training, options.sampler,
                options.sampler_seed, options.prune, options.max_params, options.exclude_embedding,
            )
            for name in selection.params
            for padding in selection.paddings
        }  # fmt: skip
        where = run.out_dir / STUDY_FILE
        if not run.force:  # every study checked before any is changed
            for (name, padding), identity in identities.items():
                study = existing_study(storage, study_name(name, padding))
                if study is not None:
                    check_study(study, identity, options.trials, where)
        proposers = {
            name: Proposer(
                spaces[name], architectures[name], run.training, options.sampler,
                options.sampler_seed, counter, options.max_params, options.exclude_embedding,
            )
            for name in selection.params
        }  # fmt: skip
        if options.max_params is not None:  # a limit no configuration meets, before any study
            for proposer in proposers.values():
                proposer.propose(0, [])
        pruner = make_pruner(options.prune, run.training.max_epochs)
        self.plans = []
        for (name, padding), identity in identities.items():
            study = open_study(storage, study_name(name, padding), identity, run.force, pruner)
            proposer = proposers[name]
            self.plans.append(
                Plan(
                    study.study_name,
                    architectures[name],
                    padding,
                    spaces[name],
                    proposer,
                    study,
                    study.user_attrs[STUDY_ID_ATTR],
                )
            )
        self.say(
            f"tuning {len(self.plans)} stud{'y' if len(self.plans) == 1 else 'ies'}, "
            f"{options.trials} trials each "
            f"({options.sampler} sampler, pruning: {options.prune}); data: {run.data.source} "
            f"({len(data.train)} train / {len(data.validation)} validation / {len(data.test)} "
            f"test rows); studies: {where}; results: {self.results}"
        )
        self.run_started = utc_now()
        self.clock_started = time.perf_counter()
        with executor:
            first = True
            while wave := self.next_wave():
                self.run_wave(wave, say_estimate=first)
                first = False
        return self.written

    # -- planning ---------------------------------------------------------------------------

    def next_wave(self) -> list[tuple[CellSpec, Job]]:
        """The cells to run next: trials to (re)run and new ones (all at once with the random
        sampler, a few at a time with TPE, which learns from the finished ones), the untuned
        cells, and the re-runs of every study whose trials are all finished."""
        wave: list[tuple[CellSpec, Job]] = []
        for plan in self.plans:
            trial_jobs = self._trial_jobs(plan)
            wave += [(self._cell(job), job) for job in trial_jobs]
            if self.options.untuned:
                wave += self._role_cells(plan, UNTUNED, None, {})
            if not trial_jobs and self._finished_trials(plan) == self.options.trials:
                best = self._best(plan)
                if best is not None:
                    wave += self._role_cells(plan, RERUN, best.number, best.params)
        return wave

    def _trial_jobs(self, plan: Plan) -> list[Job]:
        """The trials of ``plan`` to run now: those left running or waiting (by a killed
        tune: those whose row is written are told from it), then new ones up to the budget."""
        import optuna

        state = optuna.trial.TrialState
        jobs: list[Job] = []
        with self.lock:
            trials = plan.study.get_trials(deepcopy=False)
            for frozen in trials:
                number = frozen.number
                if frozen.state == state.WAITING:
                    asked = plan.study.ask(plan.space.distributions())
                    assert asked.number == number, (asked.number, number)
                    plan.trials[number] = asked
                elif frozen.state == state.RUNNING and number not in plan.trials:
                    plan.trials[number] = optuna.trial.Trial(plan.study, frozen._trial_id)
                elif frozen.state != state.RUNNING:
                    continue
                row = self._trial_row(plan, number)
                if row is not None and row["status"] in FINISHED:
                    self._tell(plan, number, row)
                else:
                    job = Job(plan, TRIAL, number, plan.trials[number].params)
                    if self._cell(job).config_hash() not in self.failed_now:
                        jobs.append(job)
            room = self.options.trials - len(trials)
            if self.options.sampler == "tpe":
                room = min(room, max(1, self.executor.cells_at_a_time() // len(self.plans)))
            history = [t for t in trials if t.state.is_finished()]
            for number in range(len(trials), len(trials) + room):
                values = plan.proposer.propose(number, history)
                plan.study.enqueue_trial(values)
                asked = plan.study.ask(plan.space.distributions())
                assert asked.number == number, (asked.number, number)
                plan.trials[number] = asked
                jobs.append(Job(plan, TRIAL, number, asked.params))
        return jobs

    def _role_cells(
        self, plan: Plan, role: str, number: int | None, values: dict[str, Any]
    ) -> list[tuple[CellSpec, Job]]:
        """The re-run (or untuned) cells of ``plan`` not yet finished for it, over the seeds;
        a cell already finished for another purpose (e.g. by ``harness run``) is recorded
        for this one from its row, not trained again."""
        job = Job(plan, role, number, values)
        cells = []
        for seed in range(self.run_options.seeds):
            cell = self._cell(job, seed)
            if cell.config_hash() in self.failed_now:
                continue
            if self._role_row(plan, role, cell.config_hash()) is not None:
                continue
            finished = self._finished_row(cell.config_hash())
            if finished is not None and not self.run_options.force:
                self._append({**finished, "tuning": self._tuning(job, finished)})
            else:
                cells.append((cell, job))
        return cells

    def _cell(self, job: Job, seed: int | None = None) -> CellSpec:
        plan = job.plan
        embeddings = cell_embeddings(self.run_options, self.data)
        if job.role == UNTUNED:
            training: TrainingConfig = self.run_options.training
            params: Params = plan.architecture.defaults()
        else:
            training, params = plan.space.configuration(
                job.values, self.run_options.training, plan.architecture
            )
            if embeddings:
                embeddings["trainable"] = plan.space.embeddings_trainable(job.values)
        if job.role == TRIAL:
            assert job.number is not None
            seed = TRIAL_SEED_BASE + job.number
        assert seed is not None
        return cell_of(
            self.registry, plan.architecture.name, params, plan.padding, seed, training,
            self.device, self.data, self.machine, score_test=job.role != TRIAL,
            embeddings=embeddings,
            backend=self.run_options.backends[0],
        )  # fmt: skip

    # -- running ----------------------------------------------------------------------------

    def run_wave(self, wave: list[tuple[CellSpec, Job]], say_estimate: bool) -> None:
        jobs = {cell.config_hash(): job for cell, job in wave}
        strategies = {
            plan.padding: self.registry.padding_strategy(plan.padding).item for plan in self.plans
        }
        planned = [cell for cell, _ in wave]
        cells, estimate = longest_first(
            planned,
            estimate_run(
                planned, self.data, self.rows, strategies, self.machine,
                self.executor.cells_at_a_time(),
            ),
        )  # fmt: skip
        if say_estimate:
            self.say(estimate_line(estimate) + "; then each study's re-runs")
        make_batch_plans(cells, self.data, self.registry, self.say)
        expected = {
            cell.config_hash(): cost.seconds
            for cell, cost in zip(cells, estimate.costs, strict=True)
        }

        def report(cell: CellSpec, line: str) -> None:
            if not self.run_options.quiet:
                self.say(f"  {self._label(cell, jobs[cell.config_hash()])}: {line}")
            if self.options.prune != "none":
                self._maybe_prune(cell, jobs[cell.config_hash()], line)

        with closing(self.executor.outcomes(cells, self.data, report)) as outcomes:
            for number, (cell, outcome) in enumerate(outcomes, start=1):
                key = cell.config_hash()
                self._record(cell, jobs[key], outcome, expected[key], estimate.wall_seconds)
                elapsed = time.perf_counter() - self.clock_started
                self.say(
                    f"[{number}/{len(cells)}, {elapsed / 60:.1f} min elapsed] "
                    f"{self._label(cell, jobs[key])}: {self._summary(self.written[-1])}"
                )

    def _maybe_prune(self, cell: CellSpec, job: Job, line: str) -> None:
        """Report an epoch's validation accuracy to the trial; stop its worker if the pruner
        says so (runs in the thread that reads the worker's output)."""
        epoch = epoch_validation_accuracy(line)
        if job.role != TRIAL or epoch is None or job.number is None:
            return
        step, accuracy = epoch
        with self.lock:
            trial = job.plan.trials[job.number]
            trial.report(accuracy, step)
            prune = trial.should_prune()
        if prune and isinstance(self.executor, LocalExecutor):
            best = max(accuracy, self.pruned.get(cell.config_hash(), (0, accuracy))[1])
            self.pruned[cell.config_hash()] = (step, best)
            self.executor.stop(cell)

    def _record(
        self, cell: CellSpec, job: Job, outcome: CellOutcome, expected: float, run: float
    ) -> None:
        """Append the cell's row, then tell its study (a trial)."""
        pruned = self.pruned.pop(cell.config_hash(), None)
        if pruned is not None and outcome.status == Status.CRASH:
            epoch, best = pruned
            reason = f"pruned after epoch {epoch} (best validation accuracy {best:.4f})"
            outcome = replace(outcome, status=Status.PRUNED, reason=reason)
        row = result_row(
            cell, outcome, self.run_options.command, self.run_started, self.results,
            {"cell_seconds": round(expected, 1), "run_seconds": round(run, 1)},
        )  # fmt: skip
        value = None
        if outcome.measurements is not None:
            value = outcome.measurements["best_val_accuracy"]
        elif pruned is not None:
            value = pruned[1]
        row["tuning"] = self._tuning(job, row, value)
        self._append(row)
        if row["status"] not in FINISHED:
            self.failed_now.add(row["config_hash"])
        elif job.role == TRIAL and job.number is not None:
            with self.lock:
                self._tell(job.plan, job.number, row)

    def _tell(self, plan: Plan, number: int, row: ResultRow) -> None:
        """Tell trial ``number`` its outcome from its row (the caller holds the lock)."""
        import optuna

        state = optuna.trial.TrialState
        tuning = row["tuning"] or {}
        if row["status"] == Status.DONE:
            plan.study.tell(number, tuning["value"], skip_if_finished=True)
        elif row["status"] == Status.PRUNED:
            plan.study.tell(number, state=state.PRUNED, skip_if_finished=True)
        else:  # diverged: the configuration's own outcome, counted against the budget
            plan.study.tell(number, state=state.FAIL, skip_if_finished=True)
        plan.trials.pop(number, None)

    def _tuning(self, job: Job, row: ResultRow, value: float | None = None) -> dict[str, Any]:
        """The row's ``tuning`` field (docs/results.md)."""
        plan, options = job.plan, self.options
        measurements: Mapping[str, Any] = row["measurements"] or {}
        return {
            "study": plan.name,
            "study_id": plan.study_id,
            "role": job.role,
            "trial": job.number,
            "sampled": job.values,
            "value": value if value is not None else measurements.get("best_val_accuracy"),
            "budget": options.trials,
            "space": plan.space.describe(),
            "sampler": options.sampler,
            "sampler_seed": options.sampler_seed,
            "prune": options.prune,
            "max_params": options.max_params,
            "exclude_embedding": options.exclude_embedding,
        }

    def _append(self, row: ResultRow) -> None:
        append_row(self.results, row)
        self.rows.append(row)
        self.written.append(row)

    # -- reading the rows -------------------------------------------------------------------

    def _trial_row(self, plan: Plan, number: int) -> ResultRow | None:
        """The latest row of trial ``number`` of ``plan``'s study."""
        found = None
        for row in self.rows:
            tuning = row.get("tuning") or {}
            if (tuning.get("study_id"), tuning.get("role"), tuning.get("trial")) == (
                plan.study_id, TRIAL, number,
            ):  # fmt: skip
                found = row
        return found

    def _role_row(self, plan: Plan, role: str, config_hash: str) -> ResultRow | None:
        """The latest finished row of ``role`` for ``plan``'s study and this cell."""
        found = None
        for row in self.rows:
            tuning = row.get("tuning") or {}
            if (tuning.get("study_id"), tuning.get("role"), row["config_hash"]) == (
                plan.study_id, role, config_hash,
            ):  # fmt: skip
                found = row
        return found if found is not None and found["status"] in FINISHED else None

    def _finished_row(self, config_hash: str) -> ResultRow | None:
        found = None
        for row in self.rows:
            if row["config_hash"] == config_hash:
                found = row
        return found if found is not None and found["status"] in FINISHED else None

    def _finished_trials(self, plan: Plan) -> int:
        with self.lock:
            return sum(t.state.is_finished() for t in plan.study.get_trials(deepcopy=False))

    def _best(self, plan: Plan) -> optuna.trial.FrozenTrial | None:
        """The study's best trial (the first of the highest), None when none completed."""
        import optuna

        with self.lock:
            complete = plan.study.get_trials(
                deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)
            )
        if not complete:
            self.say(f"note: {plan.name}: no trial completed, so nothing to re-run")
            return None
        return max(complete, key=lambda trial: (trial.value, -trial.number))

    @staticmethod
    def _label(cell: CellSpec, job: Job) -> str:
        what = f"trial {job.number}" if job.role == TRIAL else f"{job.role} seed {cell.seed}"
        return f"{job.plan.name} {what}"

    @staticmethod
    def _summary(row: ResultRow) -> str:
        text = str(row["status"])
        measurements = row["measurements"]
        if measurements is not None:
            text += f", validation accuracy {measurements['best_val_accuracy']:.4f}"
            if measurements["test_accuracy"] is not None:
                text += f", test accuracy {measurements['test_accuracy']:.4f}"
            text += f", {measurements['epochs_run']} epochs"
        if row["reason"]:
            text += f" ({row['reason']})"
        return text + f" [{row['cell_wall_seconds']:.0f} s]"


def tune(options: TuneOptions, say: Say = print) -> list[ResultRow]:
    """Run ``options``' tune; return the rows written."""
    return Tuner(options, say).run()
