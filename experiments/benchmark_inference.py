"""Inference speed and accuracy on the test split: the HF pipeline (what a user would pick) vs our paths.

    python -m experiments.benchmark_inference --model logs/export/runs/<time>/model
        [--data DIR (default: the shipped copy)]
        [--teacher DIR [--teacher-paths torch onnx-int8] | --carry-teacher]

The model folder comes from `python -m emotion.export` (it holds model.onnx and model_int8.onnx). Two modes:
- requests: consecutive chunks of the test split, in file order, of `batch` texts each, one call per chunk
  (a service's view): samples/s = texts / total time, p50/p95 are per-request latencies;
- bulk: the whole split in one call with batch size `batch` (a file's view): each path batches as it does; ours
  sorts by length first.
`--teacher` adds rows for a second export (a distillation teacher), so the table shows what the student's size
buys against the model it learnt from; `--carry-teacher` keeps the committed table's teacher rows instead, each with
its own stamp (a `measured` column says which run; their ratios are to their own run's pipeline). Accuracy is over
the texts each row saw. Writes `experiments/results/inference.{md,csv}`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from emotion.data import CARER_DIR, load_splits
from emotion.data.labels import LABEL2ID
from emotion.inference import Predictor
from experiments.stamping import STAMP_COLUMNS, committed_rows, measured
from experiments.study import Study


def pipeline_runner(model: str, batch_size: int, max_length: int) -> Callable[[Sequence[str]], np.ndarray]:
    from transformers import pipeline

    classify = pipeline("text-classification", model=model, top_k=None, device="cpu")

    def run(texts: Sequence[str]) -> np.ndarray:
        outputs = classify(list(texts), batch_size=batch_size, truncation=True, max_length=max_length)
        return np.array([LABEL2ID[max(scores, key=lambda s: s["score"])["label"]] for scores in outputs])

    return run


def predictor_runner(
    model: str, backend: str, batch_size: int, max_length: int
) -> Callable[[Sequence[str]], np.ndarray]:
    predictor = Predictor(model, backend=backend, batch_size=batch_size, max_length=max_length)
    return lambda texts: predictor.probabilities(texts)[0].argmax(axis=1)


def measure(run: Callable[[Sequence[str]], np.ndarray], texts: list[str], labels: np.ndarray, batch: int) -> dict:
    run(texts[:batch])  # warm-up
    latencies, predictions = [], []
    for start in range(0, len(texts), batch):
        began = time.perf_counter()
        predictions.append(run(texts[start : start + batch]))
        latencies.append(time.perf_counter() - began)
    predicted = np.concatenate(predictions)
    result = {
        "requests samples/s": len(texts) / sum(latencies),
        "p50 ms": 1000 * float(np.percentile(latencies, 50)),
        "p95 ms": 1000 * float(np.percentile(latencies, 95)),
        "accuracy": float(np.mean(predicted == labels[: len(predicted)])),
    }
    if batch > 1:
        began = time.perf_counter()
        bulk = run(texts)
        result["bulk samples/s"] = len(texts) / (time.perf_counter() - began)
        # Its own column, not a check: dynamic int8 scales activations per batch, so other batches can flip a label.
        result["bulk accuracy"] = float(np.mean(bulk == labels[: len(bulk)]))
    return result


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", default=str(CARER_DIR), help="data directory or Hub id (default: the shipped copy)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--limit", type=int, default=None, help="texts per row (default: the whole test split)")
    parser.add_argument("--batch1-limit", type=int, default=500, help="texts for batch-1 rows (slow)")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--paths", nargs="+", default=["pipeline", "torch", "onnx", "onnx-int8"])
    parser.add_argument("--teacher", help="a second exported model folder (the distillation teacher)")
    parser.add_argument("--teacher-paths", nargs="+", default=["torch", "onnx-int8"])
    parser.add_argument(
        "--carry-teacher",
        action="store_true",
        help="keep the committed table's teacher rows (with their stamps) instead of measuring them",
    )
    args = study.start()
    if args.carry_teacher and args.teacher:
        raise SystemExit("--carry-teacher and --teacher: measure the teacher or carry its committed rows, not both")
    carried = [row for row in committed_rows("inference") if row["model"] == "teacher"] if args.carry_teacher else []
    if args.carry_teacher and not carried:
        raise SystemExit("--carry-teacher: the committed inference.csv has no teacher rows")

    test = load_splits(args.data)["test"]
    texts, labels = list(test["text"])[: args.limit], np.array(test["label"])[: args.limit]
    rows = []
    models = [("model", args.model, args.paths)] + (
        [("teacher", args.teacher, args.teacher_paths)] if args.teacher else []
    )
    for batch in args.batch_sizes:
        n = min(len(texts), args.batch1_limit) if batch == 1 else len(texts)
        for which, model, paths in models:
            for path in paths:
                runner = (
                    pipeline_runner(model, batch, args.max_length)
                    if path == "pipeline"
                    else predictor_runner(model, path, batch, args.max_length)
                )
                result = measure(runner, texts[:n], labels, batch)
                rows.append({"model": which, "path": path, "batch": batch, "texts": n} | result)
                print(f"{which} {path:>10} batch {batch:>3}: {result['requests samples/s']:8.1f} samples/s", flush=True)
        rows += [row for row in carried if row["batch"] == batch]
    for row in rows:
        if row in carried:
            continue
        base = next(
            (r for r in rows if (r["model"], r["path"], r["batch"]) == ("model", "pipeline", row["batch"])), None
        )
        for mode in ("requests", "bulk"):
            if base and f"{mode} samples/s" in row:
                row[f"{mode} vs pipeline"] = f"{row[f'{mode} samples/s'] / base[f'{mode} samples/s']:.2f}x"
    teacher = f"; teacher `{args.teacher}`" if args.teacher else ""
    if carried:
        teacher = (
            f"; teacher rows carried from the committed table ({carried[0]['machine']}, {measured(carried[0])}; "
            "their ratios are to that run's pipeline)"
        )
    notes = (
        f"Model `{args.model}`{teacher}, {len(texts)} test texts (batch-1 rows: the first {args.batch1_limit}); "
        f"*requests*: one call per consecutive chunk of `batch` texts in file order; *bulk*: the whole split in "
        f"one call. Our paths sort by token length and cut batches at `batch` texts / 512 padded tokens; int8 is "
        f"dynamic, per-channel, MatMul weights only."
    )
    columns = [column for column in dict.fromkeys(key for row in rows for key in row) if column not in STAMP_COLUMNS]
    shown = (
        [{column: row.get(column, "") for column in columns} | {"measured": measured(row)} for row in rows]
        if carried
        else None
    )
    study.write("inference", rows, "Inference speed and accuracy", notes, shown=shown)


if __name__ == "__main__":
    main()
