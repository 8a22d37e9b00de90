"""ONNX export of a sequence classifier, and its dynamic int8 quantization."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

INPUTS = ("input_ids", "attention_mask")


class _Logits(torch.nn.Module):
    """Positional inputs, logits out: the signature the ONNX graph gets."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export_onnx(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, path: Path, opset: int = 17) -> Path:
    """fp32 graph with dynamic batch and sequence axes (TorchScript exporter: no extra dependency)."""
    wrapper = _Logits(model.cpu()).eval()
    sample = tokenizer(["a short one", "and a somewhat longer example text"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUTS} | {"logits": {0: "batch"}}
    torch.onnx.export(
        wrapper,
        tuple(sample[name] for name in INPUTS),
        str(path),
        dynamo=False,
        input_names=list(INPUTS),
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=opset,
    )
    model.eval()
    return path


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 on the MatMul weights only, one scale per output channel: activations stay float, which keeps
    accuracy (static int8 of every layer does not; per-tensor scales cost about a point of agreement).

    Weights use 7 of their 8 bits (`reduce_range`): on x86 CPUs without VNNI (AVX2, AVX-512 before Cascade Lake)
    ONNX Runtime sums pairs of uint8 x int8 products in int16, which full-range weights overflow. MiniLM got away
    with it, MPNet did not; the file runs on whatever CPU it is copied to."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        reduce_range=True,
    )
    return target
