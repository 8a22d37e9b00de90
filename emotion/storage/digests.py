"""Content digests that key on-disk caches: a cached result is reused only for the same weights and the same data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

# The files of a model folder that decide what it computes (weights, config, tokenizer).
MODEL_SUFFIXES = (".json", ".safetensors", ".bin", ".txt", ".model")


def add_folder(digest: Any, folder: Path) -> None:
    """Each model file's name and bytes, read in blocks (a 440 MB weights file is not held in memory)."""
    for path in sorted(Path(folder).glob("*")):
        if path.is_file() and path.suffix in MODEL_SUFFIXES:
            digest.update(path.name.encode())
            with path.open("rb") as handle:
                while block := handle.read(1 << 22):
                    digest.update(block)


def add_split(digest: Any, name: str, texts: Sequence[str], labels: Sequence[int]) -> None:
    """A split's texts and labels, in order."""
    digest.update(name.encode() + "\n".join(texts).encode() + bytes(labels))
