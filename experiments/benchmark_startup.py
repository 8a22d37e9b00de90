"""A job's fixed cost: the wall time of `make train-debug` (the tiny model's 8 steps, with every default callback:
checkpoints, confusion matrices, reliability diagrams, the UMAP map), the same run without the UMAP callback, and a
bare `import emotion.train`, one after the other, each the median of `--runs` runs after an untimed warm-up (which
also fills numba's on-disk cache, as the first job on a machine does).

    python experiments/benchmark_startup.py [--runs 3]

Writes `experiments/results/startup.{md,csv}`. Target: `make train-debug` <= 15 s on the 2-core CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from sweeps import run_child

from emotion.reporting.results import write_results

COMMANDS = {
    "make train-debug": ["make", "train-debug"],
    "make train-debug, no UMAP": ["make", "train-debug", "ARGS=~callbacks.umap"],
    "import emotion.train": [sys.executable, "-c", "import emotion.train"],
}
TARGET_S = 15.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    began = time.perf_counter()
    rows = []
    for name, argv in COMMANDS.items():
        run_child(name, argv)  # warm-up: page cache, numba's cache
        seconds = [run_child(name, argv)[0] for _ in range(args.runs)]
        rows.append({"command": name, "runs": args.runs, "median s": statistics.median(seconds),
                     "min s": min(seconds), "max s": max(seconds)})
        print(f"{name}: {rows[-1]['median s']:.1f} s", flush=True)
    debug = rows[0]["median s"]
    notes = (f"Median wall time of {args.runs} runs after one untimed warm-up. Target: `make train-debug` <= "
             f"{TARGET_S:.0f} s: **{'met' if debug <= TARGET_S else 'not met'}** ({debug:.1f} s).")
    path = write_results("startup", rows, time.perf_counter() - began, "A job's fixed cost", notes)
    print(path.read_text())


if __name__ == "__main__":
    main()
