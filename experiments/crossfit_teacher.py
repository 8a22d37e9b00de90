"""Cross-fitted MPNet teacher logits for the student: `python experiments/crossfit_teacher.py [--folds 2] [--reuse]`.

Splits the shipped training split into `--folds` stratified folds; fine-tunes the teacher recipe
(`experiment=teacher_mpnet`, `make mpnet` first) once per fold on the other folds, in one sweep selected on
validation only (`test=false`); scores each fold with the teacher that left it out (emotion/distillation/crossfit.py)
and writes `experiments/teachers/mpnet_crossfit<folds>.npz`, which `model.teacher=` reads. Results
`crossfit_teacher.{md,csv}`: each fold teacher's validation figures, minutes and peak RSS, and how often the
held-out logits' argmax matches the training labels, beside the full-data teacher's (`mpnet_seed1.npz`).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sweeps import MAX_LENGTH, ONE_TEACHER, PEAK, SWEEPS, TEACHERS, jobs, run_sweep, wall_seconds

from emotion.data.local_files import write_training_dir
from emotion.data.splits import CARER_DIR, load_splits
from emotion.distillation import fold_of, out_of_fold_logits, save_logits, teacher_logits
from emotion.reporting.results import write_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1, help="the folds' shuffle and the teachers' seed")
    parser.add_argument("--reuse", action="store_true", help="table a sweep that already finished instead of rerunning")
    args = parser.parse_args()
    train = load_splits(str(CARER_DIR))["train"]
    texts, labels = train["text"], train["label"]
    fold = fold_of(labels, args.folds, args.seed)
    data_dirs = [str(write_training_dir(CARER_DIR, texts, labels, SWEEPS / "crossfit_data" / f"fold{index}",
                                        rows=np.flatnonzero(fold != index)))  # teacher `index` leaves its fold out
                 for index in range(args.folds)]
    sweep_dir = run_sweep(f"crossfit_teacher{args.folds}", ["experiment=teacher_mpnet", f"seed={args.seed}",
                                                            "test=false", f"data.source={','.join(data_dirs)}"],
                          reuse=args.reuse)
    table = jobs(sweep_dir).set_index("data.source").loc[data_dirs]  # fold order
    began = time.perf_counter()
    logits = out_of_fold_logits([str(sweep_dir / job) for job in table["job"]], texts, labels, fold, MAX_LENGTH,
                                SWEEPS / "crossfit_logits")
    scoring = time.perf_counter() - began
    out = TEACHERS / f"mpnet_crossfit{args.folds}.npz"
    save_logits(out, logits, texts, labels, MAX_LENGTH,
                f"{args.folds} cross-fitted experiment=teacher_mpnet runs, seed {args.seed}")
    right = logits.argmax(-1) == np.asarray(labels)
    full = teacher_logits(ONE_TEACHER, texts, labels, MAX_LENGTH, SWEEPS / "crossfit_logits")
    rows = [{"teacher": f"fold {index}: trained on the other {args.folds - 1}", "train rows": int((fold != index).sum()),
             "scored rows": int((fold == index).sum()), "scored acc": float(right[fold == index].mean()),
             "val/acc": row["val/acc"], "val/f1_macro": row["val/f1_macro"], "minutes": row["minutes"],
             "peak RSS GiB": row.get(PEAK, "")}
            for index, (_, row) in enumerate(table.iterrows())]
    rows.append({"teacher": "full data (mpnet_seed1.npz, scoring its own training rows)", "train rows": len(texts),
                 "scored rows": len(texts), "scored acc": float((full.argmax(-1) == np.asarray(labels)).mean())})
    notes = (f"{args.folds} folds of the shipped training split, stratified by label (shuffle seed {args.seed}); "
             f"each fold teacher is `experiment=teacher_mpnet seed={args.seed}` on the other folds, selected on the "
             f"full validation split (`test=false`). `scored acc`: the held-out logits' argmax against the training "
             f"labels. Scoring all {len(texts)} rows took {scoring / 60:.1f} min. Written: "
             f"`experiments/teachers/{out.name}`.")
    write_results("crossfit_teacher", rows, wall_seconds(sweep_dir) + scoring, "Cross-fitted teacher logits", notes)


if __name__ == "__main__":
    main()
