"""A trained checkpoint with the data module that tokenizes for it."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig, open_dict

from emotion.data import EmotionDataModule
from emotion.models import EmotionClassifier


def load_classifier_and_data(cfg: DictConfig) -> tuple[EmotionClassifier, EmotionDataModule]:
    """`cfg.ckpt_path` and `cfg.data`; the tokenizer is always the checkpoint's own, whatever `cfg` says."""
    model = EmotionClassifier.load_from_checkpoint(cfg.ckpt_path, map_location="cpu")
    with open_dict(cfg):
        cfg.data.tokenizer = model.hparams.pretrained
    datamodule: EmotionDataModule = hydra.utils.instantiate(cfg.data)
    datamodule.setup()
    return model, datamodule
