"""The standard Hugging Face model folder that `pipeline("text-classification", model=DIR)` loads: written whole or
not at all, and checked complete before anything loads it.

A kill during a save, or an interrupted copy, used to leave a folder under its final name without its weights, and
loading it gave transformers' 26-line OSError. Folders are now built beside their target and renamed into place,
and a folder that lacks a part is refused in one line naming the part.
"""

from __future__ import annotations

from pathlib import Path

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from emotion.storage import atomic_folder
from emotion.utils.hub import SourceError

HF_FOLDER = "hf_model"  # where a training run dir keeps its model folder

# Each part of a model folder, and the files any one of which provides it.
PARTS = {
    "config.json": ("config.json",),
    "a weights file": (
        "model.safetensors",
        "model.safetensors.index.json",
        "pytorch_model.bin",
        "pytorch_model.bin.index.json",
    ),
    "a tokenizer": ("tokenizer.json", "vocab.txt", "tokenizer.model", "vocab.json"),
}


def save_hf_folder(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out_dir: Path) -> Path:
    """Model and tokenizer side by side; `id2label`/`label2id` already carry the emotion names."""
    with atomic_folder(out_dir) as partial:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
    return Path(out_dir)


def check_model_folder(folder: Path) -> None:
    """One line naming what a model folder lacks (a killed export or an interrupted copy), before loading it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"no such model folder: {folder}")
    missing = [part for part, files in PARTS.items() if not any((folder / name).is_file() for name in files)]
    if missing:
        raise SourceError(
            f"{folder}: not a complete model folder: no {' and no '.join(missing)} "
            f"({', '.join(name for part in missing for name in PARTS[part][:2])}); an interrupted "
            "export or copy? export it again"
        )
