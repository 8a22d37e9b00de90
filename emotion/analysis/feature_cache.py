"""Frozen-encoder hidden states for the three splits, cached on disk: encoding 20k tweets takes minutes on a
CPU, and the feature-extraction study refits classifiers on the same vectors many times."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel

from emotion.analysis.outputs import hidden_states
from emotion.data import EmotionDataModule
from emotion.data.splits import SPLITS
from emotion.storage import atomic_file
from emotion.storage.arrays import ArchiveError, read_arrays
from emotion.storage.digests import add_folder, add_split
from emotion.utils.hub import from_pretrained

log = logging.getLogger(__name__)


def cache_key(pretrained: str, datamodule: EmotionDataModule, pooling: str) -> str:
    """Changes when the weights, the texts or labels, the tokenization or the pooling change."""
    digest = hashlib.sha256(f"{pooling}|{datamodule.hparams.max_length}|{pretrained}".encode())
    if Path(pretrained).is_dir():
        add_folder(digest, Path(pretrained))
    for split in SPLITS:
        add_split(digest, split, datamodule.raw[split]["text"], datamodule.raw[split]["label"])
    return digest.hexdigest()[:20]


def cached_hidden_states(
    pretrained: str, datamodule: EmotionDataModule, pooling: str, cache_dir: Path
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Hidden states and labels per split, computed once per cache key."""
    path = Path(cache_dir) / f"{cache_key(pretrained, datamodule, pooling)}.npz"
    if path.is_file():
        try:
            cached = _read(path, datamodule)
            log.info("Reusing cached hidden states %s", path)
            return cached
        except ArchiveError as err:  # a cache this run can make again
            log.warning("%s; encoding the splits again", err)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    encoder = from_pretrained(AutoModel.from_pretrained, pretrained).to(device)
    features = {
        split: hidden_states(encoder, datamodule.eval_dataloader(split), pooling, progress=f"Encoding {split}")
        for split in SPLITS
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as partial, partial.open("wb") as handle:
        np.savez(
            handle,
            **{f"{split}_{part}": arrays[i] for split, arrays in features.items() for i, part in enumerate("xy")},
        )
    log.info("Cached hidden states in %s", path)
    return features


def _read(path: Path, datamodule: EmotionDataModule) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A cache file's vectors and labels, checked against the splits they stand for: one float vector and one
    label per text."""
    stored = read_arrays(path, [f"{split}_{part}" for split in SPLITS for part in "xy"], f"feature cache {path}")
    for split in SPLITS:
        x, y = stored[f"{split}_x"], stored[f"{split}_y"]
        rows = len(datamodule.raw[split])
        if x.ndim != 2 or x.dtype.kind != "f" or y.shape != (rows,) or len(x) != rows or not np.isfinite(x).all():
            raise ArchiveError(f"feature cache {path}: its {split} arrays do not hold {rows} finite vectors and labels")
    return {split: (stored[f"{split}_x"], stored[f"{split}_y"]) for split in SPLITS}
