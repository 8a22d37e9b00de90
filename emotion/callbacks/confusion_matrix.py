"""Normalized confusion matrix (class names on the axes) after every validation epoch and on test."""

from __future__ import annotations

from typing import Any

import lightning as L
from lightning.pytorch.trainer.states import TrainerFn
from torchmetrics.classification import MulticlassConfusionMatrix

from emotion.callbacks.publish import plots_dir, publish
from emotion.reporting.figures import confusion_matrix_figure


class ConfusionMatrixPlot(L.Callback):
    """Counts come from the predictions `validation_step`/`test_step` return; torchmetrics syncs them across
    ranks, and only rank 0 draws."""

    def __init__(self) -> None:
        self.matrix: MulticlassConfusionMatrix | None = None
        self.names: tuple[str, ...] = ()

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        """The model's classes (its data's) size the matrix and name its axes."""
        if self.names != tuple(pl_module.labels) or self.matrix is None:
            self.names = tuple(pl_module.labels)
            self.matrix = MulticlassConfusionMatrix(len(self.names), normalize="true")
        self.matrix = self.matrix.to(pl_module.device)

    def _update(self, outputs: Any) -> None:
        self.matrix.update(outputs["preds"], outputs["labels"])

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._update(outputs)

    def on_test_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        self._update(outputs)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        fitting = trainer.state.fn == TrainerFn.FITTING
        name = f"val_epoch{trainer.current_epoch:02d}" if fitting else "val"
        self._draw(trainer, "val", name)

    def on_test_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer, "test", "test")

    def _draw(self, trainer: L.Trainer, stage: str, name: str) -> None:
        matrix = self.matrix.compute().cpu().numpy()  # collective: every rank takes part
        self.matrix.reset()
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        publish(
            trainer,
            confusion_matrix_figure,
            (matrix, self.names, f"Normalized confusion matrix ({name})"),
            f"{stage}/confusion_matrix",
            plots_dir(trainer) / f"confusion_matrix_{name}.png",
        )
