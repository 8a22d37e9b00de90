"""A trained checkpoint, alone or with the data module that tokenizes for it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import hydra
import torch
from omegaconf import DictConfig

from emotion.data import EmotionDataModule
from emotion.data.labels import EMOTIONS
from emotion.models.classifier import EmotionClassifier
from emotion.storage.checkpoints import CheckpointError, load_checked


def load_classifier(ckpt_path: str) -> EmotionClassifier:
    """The classifier of a Lightning checkpoint, on the CPU; a damaged or foreign file is one line, and nothing in
    it runs (a weights-only load)."""
    return load_checked(
        ckpt_path, lambda path: EmotionClassifier.load_from_checkpoint(path, map_location="cpu", weights_only=True)
    )


def checkpoint_labels(path: str) -> tuple[str, ...]:
    """The classes a checkpoint was trained on, in id order (checkpoints from before they were kept: CARER's)."""

    def labels(checked: Path) -> tuple[str, ...]:
        stored = torch.load(checked, map_location="cpu", weights_only=True, mmap=True)
        return tuple(stored["hyper_parameters"].get("labels") or EMOTIONS)

    return load_checked(path, labels)


def check_same_labels(path: str, trained: Sequence[str], data: Sequence[str]) -> None:
    """A checkpoint goes on with, or is scored on, data of its own classes only: one line when they differ."""
    if tuple(trained) != tuple(data):
        raise CheckpointError(
            f"ckpt_path={path}: trained on the classes {', '.join(trained)}; this data has {', '.join(data)} "
            "(data.labels, or the data's own): another task's checkpoint?"
        )


def load_classifier_and_data(cfg: DictConfig) -> tuple[EmotionClassifier, EmotionDataModule]:
    """`cfg.ckpt_path` and `cfg.data`; the tokenizer is always the checkpoint's own, whatever `cfg` says, and the
    data's classes must be the checkpoint's."""
    model = load_classifier(cfg.ckpt_path)
    datamodule: EmotionDataModule = hydra.utils.instantiate(cfg.data, tokenizer=model.hparams.pretrained)
    check_same_labels(cfg.ckpt_path, model.labels, datamodule.labels)
    datamodule.setup()
    return model, datamodule
