"""One training job: fit on however many devices the trainer config asks for, then (rank 0 only) evaluate the best
checkpoint on one device, write `metrics.json` and export a Hugging Face model folder into the run dir."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import hydra
import lightning as L
from huggingface_hub import ModelCard
from lightning.pytorch.callbacks import Checkpoint
from omegaconf import DictConfig, OmegaConf

from emotion.callbacks import publish
from emotion.inference.hf_folder import HF_FOLDER, save_hf_folder
from emotion.inference.model_card import model_card, text
from emotion.models import EmotionClassifier
from emotion.models.checkpoint import check_same_labels, checkpoint_labels
from emotion.storage.tables import write_json
from emotion.training import faults
from emotion.training.artifacts import log_models
from emotion.training.final_metrics import evaluate, peak_memory, release_distributed, single_device_trainer
from emotion.training.launch import check_launch, check_optimized_metric, finish_wandb_run
from emotion.training.resume import AtomicCheckpointIO, RandomState, resume_path
from emotion.utils.code_version import code_commit
from emotion.utils.instantiate import instantiate_all

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict[str, float]:
    """Runs one training job; returns the best checkpoint's metrics (validation only with `test=false`; empty on
    ranks other than 0)."""
    try:
        return _train(cfg)
    finally:
        publish.forget()
        finish_wandb_run()


def run_card(cfg: DictConfig, model: EmotionClassifier, metrics: dict[str, float]) -> ModelCard:
    """The card of the run's model folder, from the metrics its metrics.json records."""
    return model_card(
        cfg.model.pretrained,
        model.labels,
        str(cfg.data.source),
        metrics,
        f"Written by the training run {text(Path(cfg.paths.output_dir).name)} (`python -m emotion.train`) from "
        "its best checkpoint; its figures are those in the run's metrics.json (not calibrated: "
        "`python -m emotion.export` folds in a temperature).",
        usage=HF_FOLDER,
    )


def _train(cfg: DictConfig) -> dict[str, float]:
    check_launch(cfg)
    resume = resume_path(cfg.get("ckpt_path"), Path(cfg.paths.output_dir) / "checkpoints")
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True)
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.read()  # a bad data file stops the job before the model and the Trainer are built
    check_optimized_metric(cfg.get("optimized_metric"), datamodule.labels)
    if resume:
        check_same_labels(resume, checkpoint_labels(resume), datamodule.labels)
    # Which process ran the job: a sweep's launcher may run many jobs in one process, or each in its own on any host.
    log.info("process %d on %s", os.getpid(), socket.gethostname())
    model = hydra.utils.instantiate(cfg.model, labels=list(datamodule.labels))
    loggers = instantiate_all(cfg.get("logger"))
    callbacks = instantiate_all(cfg.get("callbacks"))
    output_dir = Path(cfg.paths.output_dir)
    watch = faults.RankWatch(faults.timeout_s(cfg), resume=faults.resume_command(cfg))
    preemption = faults.Preemption(output_dir / "checkpoints")
    trainer: L.Trainer = hydra.utils.instantiate(
        cfg.trainer,
        strategy=faults.strategy(cfg),
        callbacks=[*callbacks, RandomState(), watch, preemption],
        logger=loggers,
        plugins=[AtomicCheckpointIO()],
    )
    for logger in loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))

    with faults.faults_named(trainer, watch, preemption):
        trainer.fit(model, datamodule=datamodule, ckpt_path=resume)
    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    release_distributed()
    if not trainer.is_global_zero:
        return {}
    analysis_callbacks = [callback for callback in callbacks if not isinstance(callback, Checkpoint)]
    # After a spawned fit (ddp_spawn) this process's loggers never ran; their runs live in the children.
    spawned = getattr(trainer.strategy, "_start_method", None) in ("spawn", "fork", "forkserver")
    evaluator = single_device_trainer(cfg, logger=False if spawned else loggers, callbacks=analysis_callbacks)
    metrics = evaluate(evaluator, model, datamodule, best or None, test=bool(cfg.get("test")))
    metrics["best_model_path"] = best
    metrics["code_commit"] = code_commit()  # what made this model: a pushed model's commit message names it
    if cfg.get("export_hf"):
        save_hf_folder(model.model, datamodule.tokenizer, output_dir / HF_FOLDER, run_card(cfg, model, metrics))
    publish.finish()  # the figures still drawing (before their wandb run ends)
    metrics |= peak_memory()
    if not spawned:
        log_models(cfg, loggers, best, output_dir / HF_FOLDER if cfg.get("export_hf") else None, metrics)
    write_json(metrics, output_dir / "metrics.json")  # last: a run dir with metrics.json is a finished job
    return metrics
