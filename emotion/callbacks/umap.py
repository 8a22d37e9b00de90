"""UMAP map of the validation `[CLS]` embeddings of the fine-tuned encoder, at the end of training."""

from __future__ import annotations

import lightning as L

from emotion.callbacks.publish import plots_dir, publish
from emotion.models.outputs import hidden_states
from emotion.reporting.figures import umap_panels_figure
from emotion.analysis.projection import umap_coordinates


class UmapPlot(L.Callback):
    """Shows how fine-tuning separates the emotions, to compare with the frozen encoder's map."""

    def __init__(self, pooling: str = "cls", max_points: int | None = 2000, seed: int = 42) -> None:
        self.pooling = pooling
        self.max_points = max_points
        self.seed = seed

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.fast_dev_run:
            return
        loader = trainer.datamodule.eval_dataloader("validation")
        features, labels = hidden_states(pl_module.model.base_model, loader, self.pooling)
        pl_module.model.train()  # hidden_states switched the encoder to eval mode
        coords, labels = umap_coordinates(features, labels, self.seed, self.max_points)
        fig = umap_panels_figure(coords, labels, f"UMAP of validation embeddings after fine-tuning ({self.pooling})")
        publish(trainer, fig, "val/umap", plots_dir(trainer) / "umap_val.png")
