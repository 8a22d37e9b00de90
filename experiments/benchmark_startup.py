"""A job's fixed cost: the wall time of `make train-debug` (the tiny model's 8 steps, with every default callback:
checkpoints, confusion matrices, reliability diagrams, the UMAP map), the same run without the UMAP callback and
without any figure callback (what the job costs when nothing is drawn), and a bare import of the training job
(`emotion.training.job`: Lightning, transformers, datasets, torchmetrics), each the median of `--runs` runs
(interleaved) after an untimed warm-up (which also fills numba's on-disk cache, as the first job on a machine does).

    python -m experiments.benchmark_startup [--runs 3]

Writes `experiments/results/startup.{md,csv}`. Target: `make train-debug` <= 15 s on the 2-core CPU.
"""

from __future__ import annotations

import statistics
import sys

from experiments.study import Study
from experiments.sweep_jobs import run_child

COMMANDS = {
    "make train-debug": ["make", "train-debug"],
    "make train-debug, no UMAP": ["make", "train-debug", "ARGS=~callbacks.umap"],
    "make train-debug, no figure callbacks": [
        "make",
        "train-debug",
        "ARGS=~callbacks.umap ~callbacks.confusion_matrix ~callbacks.reliability",
    ],
    "import emotion.training.job": [sys.executable, "-c", "import emotion.training.job"],
}
TARGET_S = 15.0


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--runs", type=int, default=3)
    args = study.start()
    for name, argv in COMMANDS.items():
        run_child(name, argv)  # warm-up: page cache, numba's cache
    seconds: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for run in range(1, args.runs + 1):  # interleaved, so that a slow spell of the machine hits every command
        for name, argv in COMMANDS.items():
            seconds[name].append(run_child(name, argv)[0])
            print(f"run {run} {name}: {seconds[name][-1]:.1f} s", flush=True)
    rows = [
        {
            "command": name,
            "runs": args.runs,
            "median s": statistics.median(times),
            "min s": min(times),
            "max s": max(times),
        }
        for name, times in seconds.items()
    ]
    debug = rows[0]["median s"]
    verdict = "met" if debug <= TARGET_S else "not met"
    notes = (
        f"Median wall time of {args.runs} interleaved runs after one untimed warm-up each. Target: "
        f"`make train-debug` <= {TARGET_S:.0f} s: **{verdict}** ({debug:.1f} s)."
    )
    study.write("startup", rows, "A job's fixed cost", notes)


if __name__ == "__main__":
    main()
