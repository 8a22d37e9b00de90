"""Exact validation and test metrics of a checkpoint, on one device.

Under DDP, Lightning's DistributedSampler repeats samples to even out ranks, so metrics from a multi-device
test are slightly off. Training may use many devices; reported numbers always come from here.
"""

from __future__ import annotations

import resource
from typing import Any

import hydra
import lightning as L
import torch
from omegaconf import DictConfig

from emotion.data import EmotionDataModule
from emotion.reporting import drawing


def single_device_trainer(cfg: DictConfig, **kwargs: Any) -> L.Trainer:
    """The run's trainer config (accelerator, precision, fast_dev_run...) pinned to one device."""
    return hydra.utils.instantiate(
        cfg.trainer, devices=1, num_nodes=1, strategy="auto", enable_checkpointing=False, **kwargs
    )


def release_distributed() -> None:
    """Ends the process group after fit, so a single-device evaluation never waits on other ranks."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def evaluate(
    trainer: L.Trainer,
    model: L.LightningModule,
    datamodule: EmotionDataModule,
    ckpt_path: str | None,
    test: bool = True,
) -> dict[str, float]:
    """Val and (with `test`) test metrics of `ckpt_path` (or of `model` as it is, when None); loads those weights
    into `model`. A recipe search passes test=False: it selects on validation and never reads the test split."""
    metrics: dict[str, float] = {}
    for run in (trainer.validate, trainer.test) if test else (trainer.validate,):
        for results in run(model, datamodule=datamodule, ckpt_path=ckpt_path, verbose=False):
            metrics.update({name: float(value) for name, value in results.items()})
    return metrics


def peak_memory() -> dict[str, float]:
    """This process's peak resident memory, the drawing process's and, on a GPU, the peak allocation there (GiB):
    what a cluster job's memory request must cover."""
    peak = {"resources/peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}
    if (drawing_peak := drawing.peak_rss_gib()) is not None:
        peak["resources/drawing_peak_rss_gib"] = drawing_peak
    if torch.cuda.is_available():
        peak["resources/peak_gpu_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return peak
