"""Rules for a training job inside a Hydra multirun or a DDP launch, checked before any work is done."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from emotion.models.metrics import metric_names
from emotion.utils.errors import ConfigError


def check_launch(cfg: DictConfig) -> None:
    """Plain `ddp` re-runs the command line once per extra process; inside a multirun that would start whole sweeps."""
    multirun = HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN
    if multirun and cfg.trainer.get("strategy") == "ddp" and cfg.trainer.get("devices") not in (1, "1"):
        raise ConfigError("trainer.strategy=ddp cannot run inside a Hydra multirun; use trainer.strategy=ddp_spawn")
    if int(os.environ.get("TORCHELASTIC_MAX_RESTARTS") or 0) and os.environ.get("TORCHELASTIC_RUN_ID") == "none":
        explicit = HydraConfig.initialized() and any(
            o.startswith("hydra.run.dir=") for o in HydraConfig.get().overrides.hydra
        )
        if not explicit:
            raise ConfigError(
                "torchrun --max-restarts needs --rdzv-id=<job name> (or hydra.run.dir=...): a restart "
                "resumes from the run dir, which is otherwise named for the time of each start"
            )


def check_optimized_metric(metric: str | None, labels: Sequence[str]) -> None:
    """A sweep's metric must be one the run reports; per-class ones are named by the data's classes."""
    names = metric_names(tuple(labels))
    if metric is not None and metric not in names:
        raise ConfigError(f"optimized_metric={metric!r}: not a metric this run reports (one of {', '.join(names)})")


def metric_value(metrics: dict[str, float], name: str | None) -> float | None:
    """The value a sweeper optimizes; a run that did not produce it is an error naming what it did produce.

    Ranks other than 0 report nothing (their sweeper value is unused)."""
    if name is None or not metrics:
        return None
    if name not in metrics:
        raise ConfigError(
            f"optimized_metric={name!r}: this run did not produce it (it has {', '.join(sorted(metrics))})"
        )
    return metrics[name]


def finish_wandb_run() -> None:
    """Each job of a multirun must be its own wandb run, and an offline run is only complete once finished."""
    wandb = sys.modules.get("wandb")
    if wandb is not None and wandb.run is not None:
        wandb.finish()
