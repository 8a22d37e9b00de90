"""Puts the committed results into the README: `python experiments/update_readme.py [--check]`.

Every block between `<!-- results:<study> -->` and `<!-- /results:<study> -->` is replaced by
`experiments/results/<study>.md` (less its title), so no figure in those tables is typed by hand. `--check` only
reports whether the README is current (exit 1 if not).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from emotion.reporting.results import fill_blocks

README = Path(__file__).resolve().parents[1] / "README.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    current = README.read_text()
    filled = fill_blocks(current)
    if args.check:
        raise SystemExit(0 if filled == current else "README.md is behind experiments/results/: run experiments/update_readme.py")
    README.write_text(filled)


if __name__ == "__main__":
    main()
