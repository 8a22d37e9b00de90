"""Puts the committed results into the pages that show them: `python -m experiments.update_readme [--check]`.

Every block between `<!-- results:<study> -->` and `<!-- /results:<study> -->` in README.md, experiments/README.md
and docs/*.md is replaced by `experiments/results/<study>.md` (less its title; `headline`: the README's headline
table, from the seeds study), so no figure in those tables is typed by hand. `--check` only reports which pages are
behind (exit 1 if any).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from experiments.stamping import ROOT, fill_blocks


def pages() -> list[Path]:
    """Every page that may hold results blocks."""
    return [ROOT / "README.md", ROOT / "experiments" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def stale_pages() -> list[Path]:
    return [page for page in pages() if fill_blocks(page.read_text()) != page.read_text()]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m experiments.update_readme", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report pages that are behind the results files")
    args = parser.parse_args()
    if args.check:
        stale = stale_pages()
        if stale:
            names = ", ".join(str(page.relative_to(ROOT)) for page in stale)
            raise SystemExit(f"{names}: behind experiments/results/; run python -m experiments.update_readme")
        return
    for page in pages():
        page.write_text(fill_blocks(page.read_text()))


if __name__ == "__main__":
    main()
