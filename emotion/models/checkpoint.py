"""A trained checkpoint, alone or with the data module that tokenizes for it."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from emotion.data import EmotionDataModule
from emotion.models.classifier import EmotionClassifier
from emotion.storage.checkpoints import load_checked


def load_classifier(ckpt_path: str) -> EmotionClassifier:
    """The classifier of a Lightning checkpoint, on the CPU; a damaged or foreign file is one line, and nothing in
    it runs (a weights-only load)."""
    return load_checked(
        ckpt_path, lambda path: EmotionClassifier.load_from_checkpoint(path, map_location="cpu", weights_only=True)
    )


def load_classifier_and_data(cfg: DictConfig) -> tuple[EmotionClassifier, EmotionDataModule]:
    """`cfg.ckpt_path` and `cfg.data`; the tokenizer is always the checkpoint's own, whatever `cfg` says."""
    model = load_classifier(cfg.ckpt_path)
    datamodule: EmotionDataModule = hydra.utils.instantiate(cfg.data, tokenizer=model.hparams.pretrained)
    datamodule.setup()
    return model, datamodule
