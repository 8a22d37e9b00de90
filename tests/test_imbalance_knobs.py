"""Class-weighted cross-entropy and label smoothing, the two knobs for the rare classes (love, surprise)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F

from emotion.data import EmotionDataModule
from emotion.models.classifier import EmotionClassifier, balanced_class_weights


def test_balanced_weights_give_every_class_the_same_total() -> None:
    labels = [1] * 6 + [0] * 3 + [2] * 2 + [3, 4, 5]
    weights = balanced_class_weights(labels, 6)
    totals = torch.bincount(torch.tensor(labels), minlength=6).float() * weights
    torch.testing.assert_close(totals, torch.full((6,), len(labels) / 6))
    assert weights[2] > weights[0] > weights[1]


def test_fit_weighs_classes_by_their_training_frequency(data_dir: Path, tiny_model: Path) -> None:
    datamodule = EmotionDataModule(
        str(data_dir), str(tiny_model), batch_size=16, max_samples={"train": 300, "validation": 32, "test": 32}
    )
    model = EmotionClassifier(str(tiny_model), lr=1e-3, class_weighting=True, label_smoothing=0.1)
    L.Trainer(
        fast_dev_run=1, logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False
    ).fit(model, datamodule=datamodule)
    expected = balanced_class_weights(datamodule.raw["train"]["label"], 6)
    torch.testing.assert_close(model.class_weights, expected)
    assert expected[2] > 1 > expected[1]  # love is rarer than average, joy commoner

    logits, labels = torch.randn(8, 6), torch.tensor([0, 1, 2, 3, 4, 5, 2, 5])
    torch.testing.assert_close(
        model.training_loss(logits, labels), F.cross_entropy(logits, labels, weight=expected, label_smoothing=0.1)
    )
    assert not torch.allclose(model.training_loss(logits, labels), F.cross_entropy(logits, labels))


def test_defaults_are_plain_cross_entropy(tiny_model: Path) -> None:
    model = EmotionClassifier(str(tiny_model))
    logits, labels = torch.randn(8, 6), torch.tensor([0, 1, 2, 3, 4, 5, 2, 5])
    torch.testing.assert_close(model.training_loss(logits, labels), F.cross_entropy(logits, labels))
