"""Validation and test metrics of a checkpoint: `python -m emotion.eval ckpt_path=PATH [overrides]`."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from emotion.models.checkpoint import load_classifier_and_data
from emotion.storage.tables import write_json
from emotion.training.final_metrics import evaluate, single_device_trainer
from emotion.utils.command import hydra_command
from emotion.utils.instantiate import instantiate_all


def evaluate_checkpoint(cfg: DictConfig) -> dict[str, float]:
    model, datamodule = load_classifier_and_data(cfg)
    trainer = single_device_trainer(
        cfg, logger=instantiate_all(cfg.get("logger")), callbacks=instantiate_all(cfg.get("callbacks"))
    )
    metrics = evaluate(trainer, model, datamodule, ckpt_path=None)
    metrics["ckpt_path"] = cfg.ckpt_path
    write_json(metrics, Path(cfg.paths.output_dir) / "metrics.json")
    return metrics


@hydra_command("eval")
def main(cfg: DictConfig) -> None:
    metrics = evaluate_checkpoint(cfg)
    for name, value in sorted(metrics.items()):
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
