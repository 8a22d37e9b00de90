"""Your own labels, worked through: CARER mapped to three classes (negative: sadness, anger, fear; positive: joy,
love; surprise), shipped as `data=carer3`, fine-tuned with the main MiniLM recipe over seeds.

    python -m experiments.own_labels --derive        # writes emotion/data/carer3/ from the shipped CARER copy
    python -m experiments.own_labels [--seeds 1,2,3] [--reuse]

The derived data is small on purpose: 4,000 training texts and 1,000 validation texts drawn (seed 0) from CARER's,
and all 2,000 test texts, so the three-class model is scored on the same texts as the six-class ones. `--derive`
writes the same bytes every time (a test derives them again and compares). The runs are one multirun over seeds
(`experiment=finetune_minilm data=carer3`); writes `experiments/results/own_labels.{md,csv}`.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

from emotion.data.labels import LABELS_FILE
from emotion.data.splits import CARER_DIR, label_names, load_splits
from experiments.study import Study
from experiments.sweep_jobs import PEAK, jobs, run_sweep, summary, wall_seconds

CARER3_DIR = CARER_DIR.parent / "carer3"
CLASSES = ("negative", "positive", "surprise")
MAPPING = {
    "sadness": "negative",
    "anger": "negative",
    "fear": "negative",
    "joy": "positive",
    "love": "positive",
    "surprise": "surprise",
}
SIZES = {"train": 4000, "validation": 1000, "test": None}  # None: the whole split
FILES = {"train": "train.txt.gz", "validation": "val.txt.gz", "test": "test.txt.gz"}
SHOWN = [
    "test/acc",
    "test/f1_macro",
    "test/f1_weighted",
    "test/f1_negative",
    "test/f1_positive",
    "test/f1_surprise",
    "test/ece",
    "val/acc",
    "val/f1_macro",
]


def derive(out_dir: Path = CARER3_DIR) -> dict[str, bytes]:
    """The three split files (`text;label` lines, gzipped without a timestamp) and labels.txt, written to
    `out_dir`; returns their bytes."""
    carer = load_splits(str(CARER_DIR))
    names = label_names(carer)
    written = {LABELS_FILE: "".join(f"{name}\n" for name in CLASSES).encode()}
    for split, size in SIZES.items():
        rows = list(zip(carer[split]["text"], carer[split]["label"], strict=True))
        if size is not None:
            rows = [rows[i] for i in sorted(random.Random(0).sample(range(len(rows)), size))]
        lines = "".join(f"{text};{MAPPING[names[label]]}\n" for text, label in rows)
        written[FILES[split]] = gzip.compress(lines.encode(), mtime=0)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in written.items():
        (out_dir / name).write_bytes(data)
    return written


def main() -> None:
    study = Study(__doc__, __file__)
    study.parser.add_argument("--derive", action="store_true", help="write emotion/data/carer3/ and stop")
    study.parser.add_argument("--seeds", default="1,2,3")
    study.parser.add_argument("--reuse", action="store_true", help="table a sweep that already finished")
    args = study.start()
    if args.derive:
        for name, data in derive().items():
            print(f"{CARER3_DIR / name}: {len(data)} bytes")
        return
    sweep_dir = run_sweep(
        "own_labels", ["experiment=finetune_minilm", "data=carer3", f"seed={args.seeds}"], reuse=args.reuse
    )
    group, table = summary(sweep_dir).iloc[0].to_dict(), jobs(sweep_dir)
    row = (
        {"recipe": "experiment=finetune_minilm data=carer3", "n": int(group["n"])}
        | {key: value for key, value in group.items() if key.endswith(("_mean", "_std"))}
        | {"minutes per run": float(table["minutes"].mean()), "peak RSS GiB": float(table[PEAK].max())}
    )
    shown = {"recipe": row["recipe"], "n": row["n"]} | {
        name: f"{row[f'{name}_mean']:.4f}" + ("" if row["n"] < 2 else f" ± {row[f'{name}_std']:.4f}") for name in SHOWN
    }
    notes = (
        f"Seeds {args.seeds} (`n`: how many finished); mean ± sample std over seeds; test read once. Three classes "
        "from CARER's six (negative: sadness, anger, fear; positive: joy, love; surprise), 4,000 training texts "
        "(a quarter of CARER's), all 2,000 test texts. Every metric's mean and std is in own_labels.csv."
    )
    study.write(
        "own_labels",
        [row],
        "Your own labels: CARER in three classes (data=carer3), MiniLM",
        notes,
        [shown | {"minutes per run": row["minutes per run"]}],
        wall_s=wall_seconds(sweep_dir),
    )


if __name__ == "__main__":
    main()
