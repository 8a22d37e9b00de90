"""Reliability diagram of the evaluated checkpoint (validation and test), drawn once per evaluation, not per epoch."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.trainer.states import TrainerFn

from emotion.callbacks.publish import plots_dir, publish
from emotion.reporting.figures import reliability_figure


class ReliabilityDiagram(L.Callback):
    """Uses the class probabilities that `validation_step`/`test_step` return; skipped during fitting."""

    def __init__(self) -> None:
        self.probabilities: list[torch.Tensor] = []
        self.labels: list[torch.Tensor] = []

    def _collect(self, trainer: L.Trainer, outputs: Any) -> None:
        if trainer.state.fn != TrainerFn.FITTING and not trainer.sanity_checking:
            self.probabilities.append(outputs["probabilities"].detach().float().cpu())
            self.labels.append(outputs["labels"].detach().cpu())

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._collect(trainer, outputs)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._collect(trainer, outputs)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer, "val")

    def on_test_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer, "test")

    def _draw(self, trainer: L.Trainer, stage: str) -> None:
        probabilities, labels = self.probabilities, self.labels
        self.probabilities, self.labels = [], []
        if not probabilities or not trainer.is_global_zero:
            return
        publish(
            trainer,
            reliability_figure,
            (torch.cat(probabilities).numpy(), torch.cat(labels).numpy(), f"Reliability ({stage})"),
            f"{stage}/reliability",
            plots_dir(trainer) / f"reliability_{stage}.png",
        )
