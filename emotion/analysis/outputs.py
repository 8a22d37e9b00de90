"""Batched forward passes over a data loader, for analysis, feature extraction and export checks."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Literal

import numpy as np
import torch
from tqdm import tqdm
from transformers import PreTrainedModel

Pooling = Literal["cls", "mean"]


def _batches(model: PreTrainedModel, loader: Iterable[dict[str, torch.Tensor]], progress: str | None = None):
    """Inputs on the model's device and gold labels; `progress` names a progress bar (on stderr) for long loops."""
    model.eval()
    for batch in tqdm(loader, desc=progress, unit="batch", disable=progress is None, file=sys.stderr):
        labels = batch.pop("labels")
        yield {name: tensor.to(model.device) for name, tensor in batch.items()}, labels


@torch.inference_mode()
def predict_logits(model: PreTrainedModel, loader: Iterable[dict[str, torch.Tensor]]) -> tuple[np.ndarray, np.ndarray]:
    """Logits and gold labels of every example, in loader order."""
    logits, labels = [], []
    for inputs, gold in _batches(model, loader):
        logits.append(model(**inputs).logits.float().cpu())
        labels.append(gold)
    return torch.cat(logits).numpy(), torch.cat(labels).numpy()


@torch.inference_mode()
def hidden_states(
    encoder: PreTrainedModel,
    loader: Iterable[dict[str, torch.Tensor]],
    pooling: Pooling = "cls",
    progress: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Last-layer `[CLS]` vectors (the book's features), or the attention-masked mean, with gold labels."""
    if pooling not in ("cls", "mean"):
        raise ValueError(f"pooling: expected 'cls' or 'mean', got {pooling!r}")
    features, labels = [], []
    for inputs, gold in _batches(encoder, loader, progress):
        features.append(pool(encoder(**inputs).last_hidden_state, inputs["attention_mask"], pooling))
        labels.append(gold)
    return torch.cat(features).numpy(), torch.cat(labels).numpy()


def pool(last_hidden_state: torch.Tensor, attention_mask: torch.Tensor, pooling: Pooling) -> torch.Tensor:
    """One vector per text (float32, on the CPU): the `[CLS]` position, or the mean over real tokens."""
    if pooling == "cls":
        pooled = last_hidden_state[:, 0]
    else:
        mask = attention_mask.unsqueeze(-1).to(last_hidden_state.dtype)
        pooled = (last_hidden_state * mask).sum(dim=1) / mask.sum(dim=1)
    return pooled.detach().float().cpu()
