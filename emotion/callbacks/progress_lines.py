"""Progress as log lines where no terminal shows a bar (nohup, SLURM, CI): without them such a log holds nothing
between the model summary and the end of training.

With stdout not a terminal the trainer's bar is off (`trainer.enable_progress_bar`, `${stdout_is_terminal:}`) and
this callback logs a line every `every_s` seconds or `every_n_steps` steps (step, epoch, loss, samples/s, time
left), and one per validation with its metrics. Beside a bar it stays silent.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

import lightning as L
from lightning.pytorch.trainer.states import TrainerFn

log = logging.getLogger(__name__)
SHOWN = ("val/acc", "val/f1_macro", "val/f1_weighted", "val/loss")


class ProgressLines(L.Callback):
    def __init__(self, every_s: float = 180.0, every_n_steps: int | None = None) -> None:
        self.every_s, self.every_n_steps = every_s, every_n_steps
        self.active = False

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.active = trainer.progress_bar_callback is None and trainer.is_global_zero
        self.started = self.last = time.monotonic()
        self.first_step, self.samples = trainer.global_step, 0

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if not self.active:
            return
        self.samples += len(batch["labels"]) * trainer.world_size
        now, step = time.monotonic(), trainer.global_step
        due = step % self.every_n_steps == 0 if self.every_n_steps else now - self.last >= self.every_s
        if not due:
            return
        self.last, elapsed, done = now, now - self.started, step - self.first_step
        loss = outputs["loss"] if isinstance(outputs, Mapping) else outputs
        total = trainer.estimated_stepping_batches
        left = (total - step) * elapsed / done if done and math.isfinite(total) else math.nan
        log.info(
            "step %d/%s (epoch %d/%d): loss %.4f, %.1f samples/s, %s left",
            step,
            total,
            trainer.current_epoch + 1,
            trainer.max_epochs,
            float(loss),
            self.samples / elapsed,
            _clock(left),
        )

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.active or trainer.sanity_checking or trainer.state.fn != TrainerFn.FITTING:
            return  # the job's final evaluation reports itself
        metrics = trainer.callback_metrics
        shown = ", ".join(f"{name} {float(metrics[name]):.4f}" for name in SHOWN if name in metrics)
        log.info("validation at step %d (epoch %d): %s", trainer.global_step, trainer.current_epoch + 1, shown)


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "unknown time"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
