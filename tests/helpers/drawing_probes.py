"""Functions the drawing process runs in tests: they must be importable there (it is a fresh interpreter)."""

from __future__ import annotations

import sys

HEAVY = ("torch", "lightning", "transformers", "datasets")


def heavy_modules_loaded() -> list[str]:
    return [name for name in HEAVY if name in sys.modules]


def broken_figure(title: str):
    raise ValueError(f"cannot draw {title}")
