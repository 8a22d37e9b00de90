"""The sweep loop: N workers share one study, each asking for its next trial the moment its last one ends.

Each trial is an ordinary Hydra job (job dir `<sweep dir>/<trial number>`, `.hydra/config.yaml`, `metrics.json`,
checkpoints) launched through the configured Hydra launcher one job at a time: the basic launcher runs it in this
process, `hydra/launcher=workers` (joblib) in one of its persistent worker processes, `hydra/launcher=local`
(submitit) in a fresh process on this machine, `hydra/launcher=slurm` as a SLURM job.
With N workers, N launches are in flight at once (one thread each): there is no batch to wait for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import optuna
from hydra._internal.core_plugins.basic_launcher import BasicLauncher
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.launcher import Launcher
from omegaconf import DictConfig, OmegaConf
from optuna.trial import TrialState

from emotion.sweeps.report import write_report
from emotion.sweeps.search_space import check_keys, split_overrides, trial_overrides
from emotion.sweeps.study import check_search_space, claim, fail_orphans, heartbeat, open_study, progress
from emotion.utils.errors import ConfigError
from emotion.utils.schema import SweeperSchema, validate_node

log = logging.getLogger("emotion.sweeps")


class StudyRun:
    """One invocation of a sweep: resumes the study in its storage and runs trials until `n_trials` are finished
    (complete or pruned), counting those of earlier invocations."""

    def __init__(
        self,
        settings: DictConfig,
        config: DictConfig,
        launcher: Launcher,
        sampler: optuna.samplers.BaseSampler | None,
        arguments: Sequence[str],
    ) -> None:
        validate_node(settings, "hydra.sweeper.", SweeperSchema)
        self.settings = settings
        self.config = config
        self.launcher = launcher
        self.space, self.fixed = split_overrides(settings.params or {}, arguments)
        if not self.space:
            raise ConfigError(
                "hydra.sweeper.params: empty search space (e.g. model.lr: tag(log, interval(1e-5, 1e-3)))"
            )
        check_keys(self.space, config)
        self.n_workers = int(settings.n_workers)
        if self.n_workers > 1 and isinstance(launcher, BasicLauncher):
            raise ConfigError(
                f"hydra.sweeper.n_workers={self.n_workers}: the basic launcher runs one job at a time "
                "in this process; add hydra/launcher=workers (this machine) or hydra/launcher=slurm"
            )
        self.study = open_study(settings, create=True, sampler=sampler)
        check_search_space(self.study, self.space, str(settings.storage))
        self.lock = threading.Lock()
        self.failures: list[str] = []

    def run(self) -> optuna.Study:
        orphans = fail_orphans(self.study, int(self.settings.max_retries))
        if orphans:
            log.info(
                "Trials %s were left running by a sweep that is gone: marked failed, parameters queued again", orphans
            )
        finished, _ = progress(self.study)
        log.info(
            "Study %r in %s: %d of %d trials finished; %d worker(s)",
            self.study.study_name,
            self.settings.storage,
            finished,
            self.settings.n_trials,
            self.n_workers,
        )
        devices = slot_devices(self.n_workers, self.config)
        # One worker works in this thread: the basic launcher runs the job right here, and Lightning installs
        # signal handlers, which only the main thread may do.
        if self.n_workers == 1:
            self._work(devices[0])
        else:
            workers = [
                threading.Thread(target=self._work, args=(slot,), name=f"worker-{n}") for n, slot in enumerate(devices)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        write_report(self.study, Path(self.config.hydra.sweep.dir), self.config.get("optimized_metric"))
        if len(self.failures) >= int(self.settings.max_failures):
            raise ConfigError(f"{len(self.failures)} trials failed in this sweep, the last with: {self.failures[-1]}")
        return self.study

    def _work(self, device_overrides: list[str]) -> None:
        while len(self.failures) < int(self.settings.max_failures):
            with self.lock:  # the count and the ask together, so workers never overshoot n_trials
                finished, running = progress(self.study)
                if finished + running >= int(self.settings.n_trials):
                    return
                trial = self.study.ask(self.space)
                claim(trial)
            overrides = [*self.fixed, *trial_overrides(trial.params), *device_overrides]
            with heartbeat(self.study, trial):
                state, value, failure = self._launch(trial.number, overrides)
            self.study.tell(trial, value, state=state)
            log.info(
                "trial %d %s%s",
                trial.number,
                state.name.lower(),
                f": {value:.4f}" if value is not None else f" ({failure})" if failure else "",
            )
            if failure:
                self.failures.append(f"trial {trial.number}: {failure}")

    def _launch(self, number: int, overrides: list[str]) -> tuple[TrialState, float | None, str | None]:
        """Runs trial `number` as job `number` of the sweep: (state, value, why it failed)."""
        try:
            result: JobReturn = self.launcher.launch([overrides], initial_job_idx=number)[0]
        except SystemExit as err:  # a job's one-line error (the basic launcher runs it here)
            return TrialState.FAIL, None, str(err)
        except Exception as err:  # a job process that died (submitit), or a launcher error
            return TrialState.FAIL, None, str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)
        if result.status == JobStatus.COMPLETED:
            value = result.return_value
            if value is None:
                return TrialState.FAIL, None, "the job returned no value (is optimized_metric set?)"
            return TrialState.COMPLETE, float(value), None
        error = result._return_value  # the exception the job raised (JobReturn keeps it there)
        if isinstance(error, optuna.TrialPruned):
            return TrialState.PRUNED, None, None
        return TrialState.FAIL, None, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


def slot_devices(n_workers: int, config: DictConfig) -> list[list[str]]:
    """Per worker, the overrides that pin its trials to one GPU of this machine (worker k: GPU k), when there are
    GPUs for every worker and each trial uses one device; otherwise none."""
    if n_workers < 2 or config.trainer.get("devices") not in (1, "1", "auto"):
        return [[] for _ in range(n_workers)]
    import torch

    if config.trainer.get("accelerator") not in ("auto", "gpu", "cuda") or torch.cuda.device_count() < n_workers:
        return [[] for _ in range(n_workers)]
    return [[f"trainer.devices=[{slot}]"] for slot in range(n_workers)]


def settings_without_sampler(settings: Mapping[str, Any]) -> DictConfig:
    """The sweeper's keys as a config (the sampler is an object by then)."""
    return OmegaConf.create({key: value for key, value in settings.items() if key != "sampler"})
