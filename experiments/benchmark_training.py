"""Training throughput of three batching schemes on the real data, and validation accuracy after a short run.

    python -m experiments.benchmark_training [--model minilm_offline | --pretrained DIR] [--steps 100]

(a) book: every batch padded to the longest text of the whole data set (`map(tokenize, batched=True,
    batch_size=None)` with padding=True does this); (b) dynamic padding per batch; (c) dynamic padding with
length-grouped batches. Each variant runs in its own process (fresh peak memory) from the same seed; samples/s
counts training batches only (no validation). Writes `experiments/results/training_batching.{md,csv}`.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import lightning as L

from emotion.data import CARER_DIR
from experiments.study import Study
from experiments.sweep_jobs import run_child

VARIANTS = {
    "a: pad to global longest (book)": ["data.padding=global"],
    "b: dynamic padding": ["data.padding=batch"],
    "c: dynamic padding + length grouping": ["data.padding=batch", "data.group_by_length=true"],
}


class Throughput(L.Callback):
    """Wall time and padded tokens of training batches only, after `skip` warm-up steps."""

    def __init__(self, skip: int) -> None:
        self.skip = skip
        self.seconds = 0.0
        self.samples = 0
        self.cells = 0
        self._began = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._began = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step <= self.skip:
            return
        self.seconds += time.perf_counter() - self._began
        self.samples += len(batch["labels"])
        self.cells += batch["input_ids"].numel()


def run_variant(overrides: list[str], out_dir: Path, skip: int) -> dict:
    """One training run in this process; returns its figures."""
    from emotion.training.final_metrics import evaluate, single_device_trainer
    from emotion.utils.command import compose_config

    cfg = compose_config("train", overrides, out_dir)
    L.seed_everything(cfg.seed, workers=True)
    import hydra

    datamodule = hydra.utils.instantiate(cfg.data)
    model = hydra.utils.instantiate(cfg.model)
    meter = Throughput(skip)
    trainer = hydra.utils.instantiate(
        cfg.trainer,
        callbacks=[meter],
        logger=False,
        enable_checkpointing=False,
        limit_val_batches=0,
        enable_progress_bar=False,
    )
    trainer.fit(model, datamodule=datamodule)
    validation = evaluate(single_device_trainer(cfg, logger=False), model, datamodule, None)
    return {
        "samples/s": meter.samples / meter.seconds,
        "padded tokens/sample": meter.cells / meter.samples,
        "peak RSS GiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "val acc": validation["val/acc"],
        "val F1 (w)": validation["val/f1_weighted"],
        "train s": meter.seconds,
    }


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--model", default="minilm_offline", help="a conf/model option")
    parser.add_argument("--pretrained", help="a model folder, overriding the model config's")
    parser.add_argument("--data", default=str(CARER_DIR), help="data directory or Hub id (default: the shipped copy)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup-steps", type=int, default=5, help="steps left out of the timing")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--val-samples", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("logs/benchmarks/train_throughput"))
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    args = study.start()

    common = [
        f"model={args.model}",
        f"data.source={args.data}",
        f"data.batch_size={args.batch_size}",
        f"model.lr={args.lr}",
        "model.warmup_ratio=0.1",
        f"trainer.max_steps={args.steps}",
        "trainer.max_epochs=-1",
        "trainer.accelerator=cpu",
        f"data.max_samples={{validation: {args.val_samples}, test: 64}}",
    ] + ([f"model.pretrained={args.pretrained}"] if args.pretrained else [])
    if args.variant:  # child process: one variant, figures as JSON on the last line
        result = run_variant(common + VARIANTS[args.variant], args.out / args.variant[0], args.warmup_steps)
        print(json.dumps(result))
        return

    rows = []
    for name in VARIANTS:
        child = [sys.executable, "-m", "experiments.benchmark_training", *sys.argv[1:], "--variant", name]
        _, stdout = run_child(f"variant {name!r}", child)
        rows.append({"variant": name} | json.loads(stdout.strip().splitlines()[-1]))
        print(f"{name}: {rows[-1]['samples/s']:.1f} samples/s", flush=True)
    for row in rows:
        row["speed-up vs a"] = f"{row['samples/s'] / rows[0]['samples/s']:.2f}x"

    notes = (
        f"{args.steps} steps of batch {args.batch_size} ({args.warmup_steps} untimed), lr {args.lr}, model "
        f"{args.pretrained or args.model}, fp32; validation on {args.val_samples} seeded validation "
        f"texts after the steps. samples/s counts training batches only (no logging, checkpoints or validation)."
    )
    study.write("training_batching", rows, "Training throughput by batching scheme", notes)


if __name__ == "__main__":
    main()
