"""Small helpers shared by the argparse entry points."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def accept_model_override(argv: Sequence[str]) -> list[str]:
    """Lets `model=DIR` (the Hydra style the rest of the project uses) stand for `--model DIR`."""
    return [item for arg in argv for item in (["--model", arg[len("model=") :]] if arg.startswith("model=") else [arg])]


def positive_int(value: str) -> int:
    """An argparse type: a whole number >= 1 (argparse names the option in its error)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {number}")
    return number
