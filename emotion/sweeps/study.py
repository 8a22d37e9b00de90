"""The study behind a sweep: its storage, its pruner, and the trials a killed sweep left behind.

Storage is one string: a file path is an Optuna journal file (the default, in the sweep dir; it works on NFS, so
workers on several nodes can share it), anything with `://` an RDB URL (`sqlite:///study.db`,
`postgresql://user@host/db`), where Optuna's heartbeat also fails the trials of workers that died on other nodes.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
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
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock
from optuna.trial import FrozenTrial, TrialState

from emotion.utils.errors import ConfigError
from emotion.utils.hub import first_line

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
CLAIM_GRACE_S = 5.0  # a live worker records itself on the trial it asked for within this
log = logging.getLogger(__name__)


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
        lock = JournalFileSymlinkLock(str(path))
        lock.acquire()  # what appending workers hold: a tail seen under it was left by a writer that died
        try:
            cut_torn_tail(path)
        finally:
            lock.release()
        return JournalStorage(JournalFileBackend(str(path), lock_obj=lock))
    except ConfigError:
        raise
    except Exception as err:  # SQLAlchemy's and the OS's errors alike: one line naming the storage
        raise ConfigError(f"hydra.sweeper.storage={url!r}: cannot open it ({first_line(err)})") from err


def cut_torn_tail(journal: Path) -> None:
    """A journal whose last record a crash cut short (a kill during a write) loses that partial record, kept beside
    it as `<journal>.torn-<byte offset>`, with one warning: the study continues from the intact records (Optuna
    would otherwise glue the next record onto it and fail to read the file). A damaged record elsewhere is one
    line: that is not a torn write, and the study is not opened."""
    if not journal.is_file():
        return
    data = journal.read_bytes()
    whole = data.rfind(b"\n") + 1
    for number, line in enumerate(data[:whole].splitlines(), start=1):
        try:
            json.loads(line)
        except ValueError:
            raise ConfigError(
                f"hydra.sweeper.storage={journal}: record {number} is not a journal record (damaged, or not an "
                "Optuna journal); restore the file, or give a new hydra.sweeper.study_name and storage"
            ) from None
    if whole == len(data):
        return
    kept = journal.with_name(f"{journal.name}.torn-{whole}")
    kept.write_bytes(data[whole:])
    with journal.open("r+b") as handle:
        handle.truncate(whole)
    log.warning(
        "%s: its last record was cut short (%d bytes, a kill during a write?); continuing from the %d whole "
        "records, the partial one kept in %s",
        journal,
        len(data) - whole,
        data[:whole].count(b"\n"),
        kept,
    )


def check_search_space(study: optuna.Study, space: Mapping[str, BaseDistribution], storage: str) -> None:
    """A study rerun with another search space than its trials were drawn from is one line naming what differs:
    Optuna would fail the first trial with a distribution error, or mix two searches in one study."""
    searched: dict[str, BaseDistribution] = {}
    for trial in study.get_trials(deepcopy=False):
        searched.update(trial.distributions)
    if not searched:
        return
    differ = sorted(
        f"{name}: {_shown(searched.get(name))} in the study, {_shown(space.get(name))} now"
        for name in set(searched) | set(space)
        if searched.get(name) != space.get(name)
    )
    if differ:
        raise ConfigError(
            f"hydra.sweeper.params: study {study.study_name!r} in {storage} searched another space ("
            + "; ".join(differ)
            + "); rerun it with its own search space to continue, or give hydra.sweeper.study_name=<a new name> "
            "for a new study"
        )


def _shown(distribution: BaseDistribution | None) -> str:
    return "not searched" if distribution is None else repr(distribution)


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
    """Trials still RUNNING whose worker is gone (a killed sweep): marked failed and their parameters queued again.
    Gone: its process on this host no longer runs, or it never recorded itself on the trial (a kill between the
    ask and the claim; a live worker claims at once, and a trial that young is given `CLAIM_GRACE_S` to be).
    Workers on other hosts are left to the RDB heartbeat. Returns the trial numbers."""
    optuna.storages.fail_stale_trials(study)  # RDB storages with a heartbeat; nothing for a journal

    def running() -> list[FrozenTrial]:
        return study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))

    young = [_age_s(t) for t in running() if WORKER not in t.user_attrs and _age_s(t) < CLAIM_GRACE_S]
    if young:
        time.sleep(CLAIM_GRACE_S - min(young))
    failed = []
    for trial in running():
        worker = trial.user_attrs.get(WORKER)
        gone = worker is None or (worker.get("host") == socket.gethostname() and not _alive(int(worker["pid"]), trial))
        if gone:
            study.tell(trial.number, state=TrialState.FAIL)
            retry(study, trial, max_retries)
            failed.append(trial.number)
    return failed


def _age_s(trial: FrozenTrial) -> float:
    started = trial.datetime_start
    return float("inf") if started is None else time.time() - started.timestamp()


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
