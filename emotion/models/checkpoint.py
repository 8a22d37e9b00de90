"""A trained checkpoint, alone or with the data module that tokenizes for it."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from emotion.data import EmotionDataModule
from emotion.models.classifier import EmotionClassifier
from emotion.utils.errors import UserError


def load_classifier(ckpt_path: str) -> EmotionClassifier:
    """The classifier of a Lightning checkpoint, on the CPU."""
    if not Path(ckpt_path).is_file():
        raise UserError(f"no such checkpoint: {ckpt_path}")
    return EmotionClassifier.load_from_checkpoint(ckpt_path, map_location="cpu")


def load_classifier_and_data(cfg: DictConfig) -> tuple[EmotionClassifier, EmotionDataModule]:
    """`cfg.ckpt_path` and `cfg.data`; the tokenizer is always the checkpoint's own, whatever `cfg` says."""
    model = load_classifier(cfg.ckpt_path)
    datamodule: EmotionDataModule = hydra.utils.instantiate(cfg.data, tokenizer=model.hparams.pretrained)
    datamodule.setup()
    return model, datamodule
