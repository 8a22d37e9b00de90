"""Small helpers shared by the argparse entry points."""

from __future__ import annotations

from collections.abc import Sequence


def accept_model_override(argv: Sequence[str]) -> list[str]:
    """Lets `model=DIR` (the Hydra style the rest of the project uses) stand for `--model DIR`."""
    return [item for arg in argv for item in (["--model", arg[len("model="):]] if arg.startswith("model=") else [arg])]
