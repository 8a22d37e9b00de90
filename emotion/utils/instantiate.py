"""Instantiating config groups that hold several objects (callbacks, loggers)."""

from __future__ import annotations

from typing import Any

import hydra
from omegaconf import DictConfig


def instantiate_all(group: DictConfig | None) -> list[Any]:
    """Every entry of `group` that has a `_target_`; a group set to null gives an empty list."""
    if not group:
        return []
    return [hydra.utils.instantiate(entry) for entry in group.values() if entry and "_target_" in entry]
