"""The skeleton every study in experiments/ shares: its command line, its clock, and its stamped results.

Each study runs from the repository root as `python -m experiments.<study> [options]`; its results go to
`experiments/results/<name>.{md,csv}`, stamped with the machine, date, commit and wall time (stamping.py).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.stamping import write_results


class Study:
    """One run of a study: `parser` for its own options, `start()` parses them and starts the clock, `write()`
    stamps and writes its table with the wall time since `start()` (or the one given) and prints it."""

    def __init__(self, doc: str, script: str) -> None:
        self.module = Path(script).stem
        self.parser = argparse.ArgumentParser(
            prog=f"python -m experiments.{self.module}", description=doc.split("\n\n")[0]
        )
        self.began = time.perf_counter()

    def start(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        args = self.parser.parse_args(argv)
        self.began = time.perf_counter()
        return args

    def seconds(self) -> float:
        return time.perf_counter() - self.began

    def write(
        self,
        results: str,
        rows: Sequence[dict[str, Any]],
        title: str,
        notes: str = "",
        shown: Sequence[dict[str, Any]] | None = None,
        wall_s: float | None = None,
    ) -> Path:
        path = write_results(
            results,
            rows,
            self.seconds() if wall_s is None else wall_s,
            title,
            notes,
            shown,
            script=f"python -m experiments.{self.module}",
        )
        print(path.read_text())
        return path
