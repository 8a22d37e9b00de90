"""MPNet teacher logits over perturbed copies of the training texts: `python experiments/augment_teacher.py
[--copies 1] [--seed 1] [--teacher RUN_DIR]`.

Writes the augmented training split (the shipped rows, then `--copies` perturbed copies of each with its label:
emotion/distillation/augment.py) beside the shipped validation and test files, as the data directory
logs/experiments/augmented_data/copies<k>: the same rows for the same `--seed`. With `--teacher` (a run dir of
`experiment=teacher_mpnet seed=1`, the recipe behind experiments/teachers/mpnet_seed1.npz), it scores every row and
writes experiments/teachers/mpnet_seed1_augmented<k>.npz, which the distillation search's `distill_augmented` trial
reads (`experiments/recipes.py --search distill`), and tables `augment_teacher.{md,csv}`: how often the teacher's
argmax keeps the label on the shipped rows and on the copies, and on the shipped rows how often it agrees with the
shipped logits (1.0 for a bit-for-bit rerun; a bf16 rerun of the fp32 teacher differs a little). Without
`--teacher` it writes the data directory only, for the shipped logits.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.special import softmax
from sweeps import MAX_LENGTH, ONE_TEACHER, PEAK, SWEEPS, TEACHERS, job_minutes

from emotion.data.local_files import write_training_dir
from emotion.data.splits import CARER_DIR, load_splits
from emotion.distillation import DELETE, augmented, save_logits, teacher_logits
from emotion.reporting.results import write_results


def augmented_data(copies: int) -> Path:
    """Where the augmented data directory with `copies` copies lives (the search's trial reads it from there)."""
    return SWEEPS / "augmented_data" / f"copies{copies}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=1, help="perturbed copies of each training row")
    parser.add_argument("--seed", type=int, default=1, help="the perturbations' seed")
    parser.add_argument("--teacher", help="the teacher's run dir or model folder, to score the rows with")
    args = parser.parse_args()
    train = load_splits(str(CARER_DIR))["train"]
    texts, labels = augmented(train["text"], train["label"], args.copies, args.seed)
    data_dir = write_training_dir(CARER_DIR, texts, labels, augmented_data(args.copies))
    print(f"{len(texts)} training rows in {data_dir}", flush=True)
    if args.teacher is None:
        return
    began = time.perf_counter()
    logits = teacher_logits(args.teacher, texts, labels, MAX_LENGTH, SWEEPS / "augmented_logits")
    scoring = time.perf_counter() - began
    out = TEACHERS / f"mpnet_seed1_augmented{args.copies}.npz"
    save_logits(out, logits, texts, labels, MAX_LENGTH,
                f"{Path(args.teacher).name} over the training split and {args.copies} perturbed copies, "
                f"seed {args.seed}")
    shipped = len(train)
    kept = logits.argmax(-1) == np.asarray(labels)
    confidence = softmax(logits, axis=-1).max(-1)
    same = teacher_logits(ONE_TEACHER, texts[:shipped], labels[:shipped], MAX_LENGTH, SWEEPS / "augmented_logits")
    rows = [{"rows": "shipped training rows", "n": shipped, "argmax = label": float(kept[:shipped].mean()),
             "mean top probability": float(confidence[:shipped].mean()),
             "argmax = mpnet_seed1.npz": float((logits[:shipped].argmax(-1) == same.argmax(-1)).mean()),
             "largest logit change from mpnet_seed1.npz": float(np.abs(logits[:shipped] - same).max())},
            {"rows": f"perturbed copies ({args.copies} per row)", "n": len(texts) - shipped,
             "argmax = label": float(kept[shipped:].mean()),
             "mean top probability": float(confidence[shipped:].mean())}]
    notes = (f"Each copy drops each word with probability {DELETE} (one stays) and swaps two words, seed {args.seed} "
             f"(emotion/distillation/augment.py); the teacher, `{args.teacher}`, scored all {len(texts)} rows in "
             f"{scoring / 60:.1f} min. Written: `experiments/teachers/{out.name}`.{_teacher_run(Path(args.teacher))}")
    write_results("augment_teacher", rows, scoring, "Teacher logits over perturbed training texts", notes)


def _teacher_run(teacher: Path) -> str:
    """What a teacher run dir's metrics.json says of it (nothing for a model folder)."""
    if not (teacher / "metrics.json").is_file():
        return ""
    metrics = json.loads((teacher / "metrics.json").read_text())
    return (f" The teacher's own run: val accuracy {metrics['val/acc']:.4f}, macro F1 {metrics['val/f1_macro']:.4f}, "
            f"{job_minutes(teacher.parent, teacher.name):.1f} min, peak RSS {metrics[PEAK]:.2f} GiB.")


if __name__ == "__main__":
    main()
