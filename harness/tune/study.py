"""One Optuna study per architecture x padding strategy, in ``OUT/study.db`` (SQLite).

The harness process is the only writer: it asks for trials, runs them as cells, and tells
each outcome after its row is in the results file. A study remembers what it was made for
(:func:`study_identity`: data, search space, sampler, fixed training settings); a later
tune that asks for something else is refused, naming the difference, unless ``--force``
starts a new study.

Trials are proposed outside the study and then enqueued into it, so that a configuration
over ``--max-params`` is refused before it takes a trial number: the study's trials are
numbered 0..N-1 without gaps. Each trial's proposal comes from a sampler seeded by the
study's seed, its name and the trial's number, so a resumed tune proposes what the
interrupted one would have.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.api import Architecture
from harness.config import TrainingConfig
from harness.errors import HarnessError
from harness.hashing import digest
from harness.tune.capacity import ParameterCounter
from harness.tune.space import TuningSpace

if TYPE_CHECKING:
    import optuna

STUDY_FILE = "study.db"
SAMPLERS = ("random", "tpe")
PRUNERS = ("none", "halving", "hyperband")
MAX_REJECTED = 200  # sampled configurations over --max-params before a study gives up
IDENTITY_ATTR = "rnn_harness_identity"
STUDY_ID_ATTR = "rnn_harness_study_id"


def storage_url(out_dir: Path) -> str:
    return f"sqlite:///{(out_dir / STUDY_FILE).resolve()}"


def open_storage(out_dir: Path) -> optuna.storages.BaseStorage:
    """The SQLite storage of ``out_dir`` (made now, once the run's checks have passed),
    Optuna's own log lines kept to warnings."""
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    out_dir.mkdir(parents=True, exist_ok=True)
    return optuna.storages.RDBStorage(storage_url(out_dir))


def study_name(architecture: str, padding: str) -> str:
    return f"{architecture}/{padding}"


def study_identity(
    space: TuningSpace,
    data: Mapping[str, Any],
    training: TrainingConfig,
    sampler: str,
    seed: int,
    prune: str,
    max_params: int | None,
    exclude_embedding: bool,
) -> dict[str, Any]:
    """What a study's trials depend on, besides the budget (``--trials`` may grow)."""
    fixed = {
        key: value
        for key, value in training.__dict__.items()
        if key not in {d.name for d in space.dimensions if d.shared}
    }
    identity = {
        "data": dict(data),
        "space": space.describe(),
        "training": fixed,
        "sampler": f"{sampler} (seed {seed})",
        "prune": prune,
        "max_params": None
        if max_params is None
        else f"{max_params}{' without the embedding' if exclude_embedding else ''}",
    }
    return json.loads(json.dumps(identity, default=str))  # as the study stores it


def difference(then: Any, now: Any, path: str = "") -> str | None:
    """The first setting that differs between two identities, as ``NAME: THEN then, NOW now``."""
    if isinstance(then, dict) and isinstance(now, dict):
        for key in sorted(set(then) | set(now), key=str):
            found = difference(then.get(key), now.get(key), f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if then != now:
        return f"{path}: {then} then, {now} now"
    return None


def existing_study(storage: optuna.storages.BaseStorage, name: str) -> optuna.Study | None:
    import optuna

    names = {summary.study_name for summary in optuna.get_all_study_summaries(storage)}
    return optuna.load_study(study_name=name, storage=storage) if name in names else None


def open_study(
    storage: optuna.storages.BaseStorage,
    name: str,
    identity: dict[str, Any],
    force: bool,
    pruner: optuna.pruners.BasePruner,
) -> optuna.Study:
    """The study ``name`` (already checked by :func:`check_study`), or a new one made for
    ``identity``; ``force``: always a new one."""
    import optuna

    if existing_study(storage, name) is not None:
        if not force:
            return optuna.load_study(study_name=name, storage=storage, pruner=pruner)
        optuna.delete_study(study_name=name, storage=storage)
    study = optuna.create_study(
        storage=storage, study_name=name, direction="maximize", pruner=pruner
    )
    study.set_user_attr(IDENTITY_ATTR, identity)
    study.set_user_attr(STUDY_ID_ATTR, uuid.uuid4().hex[:12])
    return study


def make_pruner(prune: str, max_epochs: int) -> optuna.pruners.BasePruner:
    """``--prune``: successive halving or Hyperband over epochs (rungs from 2 epochs, a
    third kept at each), or none."""
    import optuna

    if prune == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3)
    if prune == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=2, max_resource=max(max_epochs, 2), reduction_factor=3
        )
    return optuna.pruners.NopPruner()


def check_study(study: optuna.Study, identity: dict[str, Any], trials: int, where: Path) -> None:
    """Refuse ``study`` when it was made for another identity or holds more than ``trials``."""
    then = study.user_attrs.get(IDENTITY_ATTR)
    if then is None:
        raise HarnessError(
            f"{where}: study {study.study_name!r} was not made by harness tune; "
            "use another --out, or --force to start a new study"
        )
    changed = difference(then, identity)
    if changed:
        raise HarnessError(
            f"{where}: study {study.study_name!r} was made for another tune ({changed}); "
            "run the same command as before, or --force to start a new study"
        )
    held = len(study.get_trials(deepcopy=False))
    if held > trials:
        raise HarnessError(
            f"{where}: study {study.study_name!r} already holds {held} trials, more than "
            f"--trials {trials}; give --trials {held} or more, or --force to start a new study"
        )


@dataclass(frozen=True)
class Proposer:
    """Proposes the sampled values of a study's next trial, under ``--max-params``."""

    space: TuningSpace
    architecture: Architecture
    training: TrainingConfig
    sampler: str
    seed: int
    counter: ParameterCounter | None = None
    max_params: int | None = None
    exclude_embedding: bool = False

    def propose(self, number: int, history: list[optuna.trial.FrozenTrial]) -> dict[str, Any]:
        """Values for trial ``number``, given the study's finished trials (``history``, which
        only the ``tpe`` sampler reads); a :class:`HarnessError` when none of
        :data:`MAX_REJECTED` samples fits ``--max-params``."""
        import optuna

        seed = int(digest([self.seed, self.space.architecture, number], 8), 16)
        sampler: optuna.samplers.BaseSampler = (
            optuna.samplers.TPESampler(seed=seed)
            if self.sampler == "tpe"
            else optuna.samplers.RandomSampler(seed=seed)
        )
        scratch = optuna.create_study(sampler=sampler, direction="maximize")
        if self.sampler == "tpe":
            scratch.add_trials(history)
        distributions = self.space.distributions()
        smallest: int | None = None
        for _ in range(MAX_REJECTED):
            trial = scratch.ask(distributions)
            counted = self.counted(trial.params)
            if counted is None or self.max_params is None or counted <= self.max_params:
                return trial.params
            smallest = counted if smallest is None else min(smallest, counted)
            scratch.tell(trial, state=optuna.trial.TrialState.FAIL)
        deciding = [
            d.name
            for d in self.space.sampled()
            if not d.shared or (d.name == "embedding_dim" and not self.exclude_embedding)
        ]
        raise HarnessError(
            f"--max-params {self.max_params:,}: none of {MAX_REJECTED} configurations sampled "
            f"for {self.space.architecture} fits (the smallest had {smallest:,} parameters); "
            f"narrow {', '.join(deciding) or 'the space'} with --space"
        )

    def counted(self, values: Mapping[str, Any]) -> int | None:
        """The parameters ``--max-params`` counts for ``values``; None without a counter."""
        if self.counter is None:
            return None
        training, params = self.space.configuration(values, self.training, self.architecture)
        total, embedding = self.counter.count(self.architecture, params, training)
        return total - embedding if self.exclude_embedding else total
