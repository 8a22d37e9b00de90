"""Pruning from inside the training loop: after each validation a trial reports its optimized metric to the study,
and a trial the pruner gives up on stops at once."""

from __future__ import annotations

import logging

import lightning as L
import optuna

log = logging.getLogger(__name__)


class StudyPruning(L.Callback):
    """Reports `monitor` after every validation (each epoch, or every `trainer.val_check_interval` within one) as the
    trial's intermediate value at step 0, 1, 2...; raises `optuna.TrialPruned` when the study's pruner says so.

    The trial is the one this job runs for: the sweeper launches trial N as job N of the sweep, with the study's
    settings in `hydra.sweeper`, so a job in another process (submitit, SLURM) finds it in the shared storage."""

    def __init__(self, monitor: str) -> None:
        self.monitor = monitor
        self.trial: optuna.Trial | None = None
        self.step = 0

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage != "fit" or self.trial is not None or not trainer.is_global_zero:
            return
        from hydra.core.hydra_config import HydraConfig

        from emotion.sweeps.study import open_study

        hydra = HydraConfig.get()
        study = open_study(hydra.sweeper, create=False)
        trial_id = study._storage.get_trial_id_from_study_id_trial_number(study._study_id, hydra.job.num)
        self.trial = optuna.Trial(study, trial_id)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        prune = False
        if trainer.is_global_zero and self.trial is not None:
            value = trainer.callback_metrics.get(self.monitor)
            if value is None:
                log.warning("pruning: no %s after validation %d; not reported", self.monitor, self.step)
            else:
                self.trial.report(float(value), self.step)
                prune = self.trial.should_prune()
        step, self.step = self.step, self.step + 1
        if trainer.strategy.broadcast(prune, src=0):  # every rank stops together
            raise optuna.TrialPruned(f"pruned by the study after validation {step} ({self.monitor})")
