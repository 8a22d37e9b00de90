"""A run's models as wandb artifacts (`log_models=true`): the best checkpoint and the hf_model/ folder, so either can
be fetched by name (`run.use_artifact("<name>:best")`) and compared across a sweep.

Lightning's own `log_model` refuses offline runs, this project's default; these artifacts are logged offline too,
and `wandb sync` uploads them with the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lightning.pytorch.loggers import Logger, WandbLogger
from omegaconf import DictConfig

from emotion.utils.resolvers import artifact_name


def log_models(cfg: DictConfig, loggers: Sequence[Logger], best: str, folder: Path | None, metrics: dict) -> None:
    """Each as a `model` artifact aliased `best` and `latest` (the folder holds the best checkpoint's weights), with
    the run's metrics as metadata."""
    wandb_loggers = [logger for logger in loggers if isinstance(logger, WandbLogger)]
    if not (cfg.get("log_models") and wandb_loggers):
        return
    import wandb

    metadata = {key: value for key, value in metrics.items() if isinstance(value, (int, float, str))}
    for logger in wandb_loggers:
        if best:
            checkpoint = wandb.Artifact(artifact_name("checkpoint"), type="model", metadata=metadata)
            checkpoint.add_file(best, name="model.ckpt")
            logger.experiment.log_artifact(checkpoint, aliases=["best", "latest"])
        if folder is not None:
            model = wandb.Artifact(
                artifact_name("hf_model"),
                type="model",
                description="A Hugging Face model folder: pipeline('text-classification', model=<its dir>)",
                metadata=metadata,
            )
            model.add_dir(str(folder))
            logger.experiment.log_artifact(model, aliases=["best", "latest"])
