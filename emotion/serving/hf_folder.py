"""The standard Hugging Face model folder that `pipeline("text-classification", model=DIR)` loads."""

from __future__ import annotations

from pathlib import Path

from transformers import PreTrainedModel, PreTrainedTokenizerBase


def save_hf_folder(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out_dir: Path) -> Path:
    """Model and tokenizer side by side; `id2label`/`label2id` already carry the emotion names."""
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir
