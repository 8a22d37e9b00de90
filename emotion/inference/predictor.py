"""Batched prediction from an exported model folder, with PyTorch or ONNX Runtime underneath.

Texts are sorted by token length and cut into batches of at most `batch_size` texts and `max_tokens` padded
tokens (results come back in input order): each batch pads little, and on CPU that matters as much as the runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from transformers import AutoTokenizer

from emotion.data.texts import text_problem
from emotion.inference.hf_folder import model_labels
from emotion.utils.errors import ConfigError
from emotion.utils.hub import SourceError

Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[str, ...] = ("torch", "onnx", "onnx-int8")
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model_int8.onnx"}


@dataclass
class Prediction:
    text: str
    label: str
    score: float
    probabilities: dict[str, float]
    truncated: bool = field(default=False)

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "label": self.label,
            "score": self.score,
            "probabilities": self.probabilities,
            "truncated": self.truncated,
        }


class Predictor:
    """Loads `model_dir` (a `save_pretrained` folder, plus model.onnx / model_int8.onnx for the ONNX backends)."""

    def __init__(
        self,
        model_dir: str | Path,
        backend: Backend = "torch",
        batch_size: int = 32,
        max_length: int = 128,
        max_tokens: int = 512,
        threads: int | None = None,
        device: str = "cpu",
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
        self.model_dir = Path(model_dir)
        self.labels = model_labels(self.model_dir)  # checks the folder is complete first
        self.backend = backend
        self.batch_size = batch_size
        self.max_length = max_length
        self.max_tokens = max_tokens
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        limit = self.tokenizer.model_max_length
        if not 1 <= max_length <= limit:
            raise ConfigError(f"max_length={max_length}: expected 1 to {limit} (the model's limit)")
        if batch_size < 1:
            raise ConfigError(f"batch_size={batch_size}: expected at least 1")
        self._logits = self._torch_logits(threads, device) if backend == "torch" else self._onnx_logits(threads)

    def _torch_logits(self, threads: int | None, device: str) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
        import torch
        from transformers import AutoModelForSequenceClassification

        if threads:
            torch.set_num_threads(threads)
        model = AutoModelForSequenceClassification.from_pretrained(self.model_dir).eval().to(device)

        @torch.inference_mode()
        def logits(inputs: dict[str, np.ndarray]) -> np.ndarray:
            batch = {name: torch.from_numpy(array).to(device) for name, array in inputs.items()}
            return model(**batch).logits.float().cpu().numpy()

        return logits

    def _onnx_logits(self, threads: int | None) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
        import onnxruntime as ort

        path = self.model_dir / ONNX_FILES[self.backend]
        if not path.is_file():
            raise SourceError(f"{path}: not found; the ONNX backends need `python -m emotion.export` output")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        names = [node.name for node in session.get_inputs()]
        return lambda inputs: session.run(None, {name: inputs[name] for name in names})[0]

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities (rows in input order) and whether each text was truncated."""
        logits, truncated = self.logits(texts)
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True), truncated

    def logits(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The output layer's scores (rows in input order, float32) and whether each text was truncated."""
        for index, text in enumerate(texts):
            problem = text_problem(text)
            if problem:
                raise ValueError(f"text {index + 1}: {problem}")
        encoded = self.tokenizer(list(texts), truncation=False)["input_ids"]
        truncated = np.array([len(ids) > self.max_length for ids in encoded], dtype=bool)
        # Keep the closing [SEP] of an over-long text, as truncation=True would.
        clipped = [ids if len(ids) <= self.max_length else ids[: self.max_length - 1] + ids[-1:] for ids in encoded]
        logits = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for rows in self._batches([len(ids) for ids in clipped]):
            logits[rows] = self._logits(self._padded([clipped[i] for i in rows]))
        return logits, truncated

    def _padded(self, sequences: list[list[int]]) -> dict[str, np.ndarray]:
        """Right-padded int64 input_ids and attention_mask, built directly: `tokenizer.pad` costs more than an int8
        forward pass of a short batch."""
        width = max(len(ids) for ids in sequences)
        input_ids = np.full((len(sequences), width), self.tokenizer.pad_token_id, dtype=np.int64)
        attention_mask = np.zeros((len(sequences), width), dtype=np.int64)
        for row, ids in enumerate(sequences):
            input_ids[row, : len(ids)] = ids
            attention_mask[row, : len(ids)] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask}

    def _batches(self, lengths: list[int]) -> Iterator[list[int]]:
        """Indices in length order, cut so no batch exceeds `batch_size` texts or `max_tokens` padded tokens."""
        batch: list[int] = []
        for index in np.argsort(lengths, kind="stable").tolist():
            if batch and (len(batch) == self.batch_size or (len(batch) + 1) * lengths[index] > self.max_tokens):
                yield batch
                batch = []
            batch.append(index)
        if batch:
            yield batch

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        probabilities, truncated = self.probabilities(texts)
        return [
            Prediction(
                text,
                self.labels[int(row.argmax())],
                float(row.max()),
                {name: float(p) for name, p in zip(self.labels, row, strict=True)},
                bool(cut),
            )
            for text, row, cut in zip(texts, probabilities, truncated, strict=True)
        ]
