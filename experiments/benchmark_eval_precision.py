"""Evaluation in fp32 against bf16 autocast on the CPU: speed, and whether any label or score moves.

    python -m experiments.benchmark_eval_precision --model <a run's hf_model/ or an export's model/> [--rounds 2]

The job's validation and test loops run in the trainer's precision (bf16 autocast where the CPU computes bf16:
`${fast_precision:...}`). This measures what that costs the reported metrics against fp32, on a trained model, with
the loops' own batching (texts sorted by length, 128 a batch), both precisions interleaved over `--rounds`. Writes
`experiments/results/eval_precision.{md,csv}`.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from emotion.data import CARER_DIR, load_splits
from experiments.study import Study

BATCH = 128  # the data module's eval_batch_size


def logits(model, tokenizer, texts: list[str], order: np.ndarray, bf16: bool) -> np.ndarray:
    out = np.zeros((len(texts), model.config.num_labels), dtype=np.float32)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(texts), BATCH):
            rows = order[start : start + BATCH]
            batch = tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True, max_length=128, return_tensors="pt"
            )
            out[rows] = model(**batch).logits.float().numpy()
    return out


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--model", required=True, help="a save_pretrained folder of a trained classifier")
    parser.add_argument("--rounds", type=int, default=2)
    args = study.start()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSequenceClassification.from_pretrained(args.model).eval()
    splits = load_splits(str(CARER_DIR))
    rows = []
    for split in ("validation", "test"):
        texts, labels = list(splits[split]["text"]), np.array(splits[split]["label"])
        lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=128)["input_ids"]]
        order = np.argsort(lengths, kind="stable")
        seconds: dict[str, list[float]] = {"fp32": [], "bf16": []}
        results: dict[str, np.ndarray] = {}
        for _ in range(args.rounds):
            for precision in seconds:
                start = time.perf_counter()
                results[precision] = logits(model, tokenizer, texts, order, bf16=precision == "bf16")
                seconds[precision].append(time.perf_counter() - start)
        reference = results["fp32"]
        for precision, result in results.items():
            predicted = result.argmax(axis=1)
            rows.append(
                {
                    "split": split,
                    "precision": precision,
                    "texts": len(texts),
                    "median s": statistics.median(seconds[precision]),
                    "x fp32": statistics.median(seconds["fp32"]) / statistics.median(seconds[precision]),
                    "accuracy": accuracy_score(labels, predicted),
                    "macro F1": f1_score(labels, predicted, average="macro"),
                    "labels unlike fp32": int((predicted != reference.argmax(axis=1)).sum()),
                    "max abs logit change": float(np.abs(result - reference).max()),
                }
            )
    notes = (
        f"Model `{args.model}`; each split's texts sorted by token length, batches of {BATCH}, as the job's "
        f"validation and test loops; {args.rounds} interleaved rounds, median seconds."
    )
    study.write("eval_precision", rows, "Evaluation precision on the CPU: fp32 against bf16 autocast", notes)


if __name__ == "__main__":
    main()
