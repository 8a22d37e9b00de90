"""Plain Markdown tables for the text reports (no extra dependency)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emotion.storage import atomic_file


def _cell(value: Any) -> str:
    text = _number(value) if isinstance(value, float) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _number(value: float) -> str:
    """Counts as integers (17, not 17.0000); rates and timings to 1-2 decimals; scores to 4; tiny values in g."""
    if value.is_integer():
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    if abs(value) < 0.01:  # learning rates and the like: 2e-05, not 0.0000
        return f"{value:.3g}"
    return f"{value:.4f}"


def write_json(data: Any, path: Path) -> Path:
    """Indented, key-sorted JSON, so runs diff cleanly."""
    path = Path(path)
    with atomic_file(path) as partial:
        partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "(none)\n"
    header = list(dict.fromkeys(key for row in rows for key in row))  # every column, in first-seen order
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(row.get(key, "")) for key in header) + " |" for row in rows]
    return "\n".join(lines) + "\n"
