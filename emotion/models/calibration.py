"""Temperature scaling (Guo et al., 2017): one scalar T, fitted on validation, that divides the logits.

Folded into the classifier's last linear layer (weight and bias divided by T), it travels with the model: the HF
folder, the ONNX and int8 files and a stock `transformers.pipeline` all return calibrated probabilities, and the
top label never changes.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from transformers import PreTrainedModel


def fit_temperature(log_probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The T > 0 that minimises the NLL of softmax(z / T). Log-probabilities serve as z: they differ from the
    logits by a per-row constant, which softmax ignores at any T."""
    z = torch.as_tensor(log_probabilities, dtype=torch.float64)
    y = torch.as_tensor(labels, dtype=torch.long)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def nll() -> torch.Tensor:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(z / log_t.exp(), y)
        loss.backward()
        return loss

    optimizer.step(nll)
    return float(log_t.detach().exp())


def log_probabilities(probabilities: np.ndarray) -> np.ndarray:
    """log p, with p clipped away from 0 (float32 softmax can round tiny probabilities to 0)."""
    return np.log(np.clip(probabilities, 1e-12, None))


def rescaled(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T): the probabilities the model gives once T is folded in."""
    z = log_probabilities(probabilities) / temperature
    z -= z.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def output_layer(model: PreTrainedModel) -> nn.Linear:
    """The linear layer that produces the class logits (DistilBERT's `classifier`, BERT's, RoBERTa's `out_proj`)."""
    layers = [m for m in model.modules() if isinstance(m, nn.Linear) and m.out_features == model.config.num_labels]
    if not layers:
        raise ValueError(f"{type(model).__name__}: no linear layer with {model.config.num_labels} outputs")
    return layers[-1]


@torch.no_grad()
def fold_temperature(model: PreTrainedModel, temperature: float) -> None:
    """Divide the output layer's weight and bias by T, in place: logits become logits / T."""
    layer = output_layer(model)
    layer.weight.div_(temperature)
    if layer.bias is not None:
        layer.bias.div_(temperature)
