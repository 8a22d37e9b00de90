"""Loading the emotion splits and serving them as padded batches.

The names below load their modules on first use, so that `emotion.data.labels` (the class names every figure and
table needs) does not import datasets, transformers and Lightning with it."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emotion.data.datamodule import EmotionDataModule
    from emotion.data.errors import DataError
    from emotion.data.splits import CARER_DIR, load_splits

_HOMES = {"CARER_DIR": "splits", "DataError": "errors", "EmotionDataModule": "datamodule", "load_splits": "splits"}

__all__ = ["CARER_DIR", "DataError", "EmotionDataModule", "load_splits"]  # what _HOMES loads


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
