"""The study behind a sweep: its storage, its pruner, and the trials a killed sweep left behind.

Storage is one string: a file path is an Optuna journal file (the default, in the sweep dir; it works on NFS, so
workers on several nodes can share it), anything with `://` an RDB URL (`sqlite:///study.db`,
`postgresql://user@host/db`), where Optuna's heartbeat also fails the trials of workers that died on other nodes.
"""

from __future__ import annotations

import functools
import os
import socket
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna
from optuna.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState

from emotion.utils.errors import ConfigError

PRUNERS: dict[str, type[BasePruner]] = {
    "median": MedianPruner,
    "percentile": PercentilePruner,
    "hyperband": HyperbandPruner,
    "successive_halving": SuccessiveHalvingPruner,
    "threshold": ThresholdPruner,
    "wilcoxon": WilcoxonPruner,
    "none": NopPruner,
}
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# The heartbeat, fail_stale_trials and the matplotlib plots have been "experimental" for years; used on purpose.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
# Who runs a trial: the sweep process that asked for it and will tell its result.
WORKER = "worker"


def make_pruner(name: str, arguments: Mapping[str, Any] | None = None) -> BasePruner:
    """`hydra.sweeper.pruner=<name>` with `hydra.sweeper.pruner_args` passed to its constructor."""
    if name not in PRUNERS:
        raise ConfigError(f"hydra.sweeper.pruner={name!r}: unknown pruner (one of {', '.join(PRUNERS)})")
    try:
        return PRUNERS[name](**dict(arguments or {}))
    except (TypeError, ValueError) as err:
        raise ConfigError(
            f"hydra.sweeper.pruner_args={dict(arguments or {})}: {err} "
            f"(arguments of optuna.pruners.{PRUNERS[name].__name__})"
        ) from err


def make_storage(url: str, heartbeat_interval: int | None = None, max_retries: int = 1) -> BaseStorage:
    """A journal file for a path, an RDB for a URL; a storage that cannot be opened is one line naming it."""
    try:
        if "://" in url:
            return RDBStorage(
                url,
                heartbeat_interval=heartbeat_interval,
                heartbeat_stale_trial_callback=functools.partial(retry, max_retries=max_retries)
                if heartbeat_interval
                else None,
            )
        path = Path(url).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    except Exception as err:  # SQLAlchemy's and the OS's errors alike: one line naming the storage
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"hydra.sweeper.storage={url!r}: cannot open it ({reason})") from err


def open_study(
    settings: Mapping[str, Any], *, create: bool, sampler: optuna.samplers.BaseSampler | None = None
) -> optuna.Study:
    """The sweeper's study (created if `create` and new) from its config keys: storage, study_name, direction,
    pruner, pruner_args, heartbeat_interval, max_retries."""
    storage = make_storage(
        str(settings["storage"]), settings.get("heartbeat_interval"), int(settings.get("max_retries", 1))
    )
    pruner = make_pruner(str(settings["pruner"]), settings.get("pruner_args"))
    name = str(settings["study_name"])
    if not create:
        return optuna.load_study(study_name=name, storage=storage, pruner=pruner, sampler=sampler)
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        direction=str(settings["direction"]),
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )
    if study.direction.name.lower() != str(settings["direction"]):
        raise ConfigError(
            f"hydra.sweeper.direction={settings['direction']}: study {name!r} in {settings['storage']} "
            f"was created to {study.direction.name.lower()}; use another study_name"
        )
    return study


def claim(trial: optuna.Trial) -> None:
    """Marks a trial as run by this process, so a later sweep can tell whether its worker died."""
    trial.set_user_attr(WORKER, {"host": socket.gethostname(), "pid": os.getpid()})


def retry(study: optuna.Study, trial: FrozenTrial, max_retries: int = 1) -> None:
    """Queue a failed trial's parameters again, at most `max_retries` times along one chain of retries."""
    retries = int(trial.user_attrs.get("retries", 0))
    if retries < max_retries:
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number, "retries": retries + 1})


def fail_orphans(study: optuna.Study, max_retries: int) -> list[int]:
    """Trials still RUNNING whose worker process on this host is gone (a killed sweep): marked failed and their
    parameters queued again. Workers on other hosts are left to the RDB heartbeat. Returns the trial numbers."""
    optuna.storages.fail_stale_trials(study)  # RDB storages with a heartbeat; nothing for a journal
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER) or {}
        if worker.get("host") == socket.gethostname() and not _alive(int(worker["pid"]), trial):
            study.tell(trial.number, state=TrialState.FAIL)
            retry(study, trial, max_retries)
            failed.append(trial.number)
    return failed


def progress(study: optuna.Study) -> tuple[int, int]:
    """(finished, running): complete + pruned trials, and trials running now."""
    states = [trial.state for trial in study.get_trials(deepcopy=False)]
    return sum(state in FINISHED for state in states), states.count(TrialState.RUNNING)


def _alive(pid: int, trial: FrozenTrial) -> bool:
    """The process exists and started before the trial (not a later process that got the same pid)."""
    import psutil

    try:
        started = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return False
    return trial.datetime_start is None or started <= trial.datetime_start.timestamp() + 1


@contextmanager
def heartbeat(study: optuna.Study, trial: optuna.Trial) -> Iterator[None]:
    """While a trial runs, tell an RDB storage with a heartbeat that its worker lives (Optuna's own thread, which
    `study.optimize` would start; ask/tell leaves it to the caller). Nothing for a journal."""
    from optuna.storages._heartbeat import get_heartbeat_thread

    with get_heartbeat_thread(trial._trial_id, study._storage):
        yield
