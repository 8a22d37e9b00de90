"""UMAP map of the validation `[CLS]` embeddings of the fine-tuned encoder (the best checkpoint), drawn from the
final evaluation's own forward pass."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.trainer.states import TrainerFn

from emotion.analysis.outputs import pool
from emotion.callbacks.publish import plots_dir, publish
from emotion.reporting.figures import umap_map_figure


class UmapPlot(L.Callback):
    """Shows how fine-tuning separates the emotions, to compare with the frozen encoder's map.

    The vectors come from a forward hook on the encoder while the run's final evaluation validates (not during
    training's validations): the map costs no pass over the data of its own, only the UMAP fit, which the drawing
    process does while the job goes on."""

    def __init__(
        self, pooling: str = "cls", max_points: int | None = 2000, n_epochs: int | None = 200, seed: int = 42
    ) -> None:
        self.pooling = pooling
        self.max_points = max_points
        self.n_epochs = n_epochs
        self.seed = seed
        self._features: list[torch.Tensor] = []
        self._labels: list[torch.Tensor] = []
        self._hook: Any = None

    def on_validation_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.state.fn != TrainerFn.VALIDATING or not trainer.is_global_zero or trainer.fast_dev_run:
            return
        self._features, self._labels = [], []
        self._hook = pl_module.model.base_model.register_forward_hook(self._collect, with_kwargs=True)

    def _collect(self, module: torch.nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        mask = kwargs.get("attention_mask", args[1] if len(args) > 1 else None)
        self._features.append(pool(output.last_hidden_state, mask, self.pooling))

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0) -> None:
        if self._hook is not None:
            self._labels.append(batch["labels"].cpu())

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._hook is None:
            return
        self._hook.remove()
        self._hook = None
        features, labels = torch.cat(self._features).numpy(), torch.cat(self._labels).numpy()
        self._features, self._labels = [], []
        title = f"UMAP of validation embeddings after fine-tuning ({self.pooling})"
        publish(
            trainer,
            umap_map_figure,
            (features, labels, tuple(pl_module.labels), self.seed, self.max_points, self.n_epochs, title),
            "val/umap",
            plots_dir(trainer) / "umap_val.png",
        )
