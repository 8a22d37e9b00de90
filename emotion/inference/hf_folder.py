"""The standard Hugging Face model folder that `pipeline("text-classification", model=DIR)` loads: written whole or
not at all, and checked complete before anything loads it.

A kill during a save, or an interrupted copy, used to leave a folder under its final name without its weights, and
loading it gave transformers' 26-line OSError. Folders are now built beside their target and renamed into place,
and a folder that lacks a part is refused in one line naming the part.
"""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub import ModelCard
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from emotion.storage import atomic_folder
from emotion.utils.hub import SourceError, first_line

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


def save_hf_folder(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out_dir: Path, card: ModelCard | None = None
) -> Path:
    """Model and tokenizer side by side (`id2label`/`label2id` carry the class names), and its card if given."""
    with atomic_folder(out_dir) as partial:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        if card is not None:
            card.save(partial / "README.md")
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


def model_labels(folder: Path) -> tuple[str, ...]:
    """The class names a model folder's `config.json` gives (`id2label`, ids 0..n-1), in id order.

    A folder carries its own labels: a model trained on other data than CARER predicts its own classes. The names
    are strings from outside, so they are checked here (and shown as text wherever they appear).
    """
    check_model_folder(folder)
    path = Path(folder) / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        id2label = config["id2label"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise SourceError(f"{path}: no readable id2label ({type(err).__name__}: {first_line(err)})") from None
    if not isinstance(id2label, dict) or len(id2label) < 2:
        raise SourceError(f"{path}: id2label must map at least two class ids to names")
    if sorted(id2label) != sorted(str(i) for i in range(len(id2label))):
        raise SourceError(f"{path}: id2label's ids must be 0 to {len(id2label) - 1}, got {', '.join(id2label)}")
    labels = tuple(id2label[str(i)] for i in range(len(id2label)))
    for i, name in enumerate(labels):
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise SourceError(f"{path}: id2label[{i}] must be a name of 1 to 200 characters, got {name!r:.60}")
    if len(set(labels)) < len(labels):
        raise SourceError(f"{path}: id2label names a class twice: {', '.join(sorted(set(labels)))}")
    return labels
