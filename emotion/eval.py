"""Validation and test metrics of a checkpoint: `python -m emotion.eval ckpt_path=PATH [overrides]`."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig, open_dict

from emotion.data import DataError
from emotion.evaluation import evaluate, single_device_trainer, write_metrics
from emotion.models import EmotionClassifier
from emotion.utils.instantiate import instantiate_all


def evaluate_checkpoint(cfg: DictConfig) -> dict[str, float]:
    model = EmotionClassifier.load_from_checkpoint(cfg.ckpt_path, map_location="cpu")
    with open_dict(cfg):
        cfg.data.tokenizer = model.hparams.pretrained  # the checkpoint's own tokenizer
    datamodule = hydra.utils.instantiate(cfg.data)
    trainer = single_device_trainer(cfg, logger=instantiate_all(cfg.get("logger")))
    metrics = evaluate(trainer, model, datamodule, ckpt_path=None)
    metrics["ckpt_path"] = cfg.ckpt_path
    write_metrics(metrics, Path(cfg.paths.output_dir) / "metrics.json")
    return metrics


@hydra.main(version_base="1.3", config_path="../conf", config_name="eval.yaml")
def main(cfg: DictConfig) -> None:
    try:
        metrics = evaluate_checkpoint(cfg)
    except DataError as err:
        raise SystemExit(f"error: {err}") from None
    for name, value in sorted(metrics.items()):
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
