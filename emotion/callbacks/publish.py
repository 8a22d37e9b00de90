"""Saving a figure into the run dir and sending it to whichever active loggers take images."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger
from matplotlib.figure import Figure

from emotion.reporting.figures import save


def publish(trainer: L.Trainer, fig: Figure, key: str, path: Path) -> Path:
    """PNG on disk always; a wandb image or a TensorBoard figure when those loggers are active."""
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_figure(key, fig, global_step=trainer.global_step, close=False)
    save(fig, path)  # closes the figure
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[str(path)], step=trainer.global_step)
    return path


def plots_dir(trainer: L.Trainer) -> Path:
    return Path(trainer.default_root_dir) / "plots"
