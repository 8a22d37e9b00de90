"""The final recipes over seeds 1, 2, 3 on the offline encoders: mean and std of every metric.

    python -m experiments.seeds [--reuse] [--seeds 1,2,3] [--teacher-seeds 1]
        [--recipes main,book,teacher,distill,distill_ensemble,distill_alpha08] [--only main|book|...]
        [--carry main,book]

Each recipe is one multirun over seeds; its sweep summary (grouped by every override except the seed) gives `n`,
`<metric>_mean` and `<metric>_std`. This is the one place the final recipes read the test split. The distilled
student learns from the teacher row's first job (`model.teacher=logs/experiments/seeds_teacher/0`), so the teacher
runs first (`--teacher-seeds`: one MPNet run costs about 8 MiniLM runs on a CPU). `distill_ensemble` learns from
two MPNet teachers at once (seeds 1 and 2), from their shipped logits in experiments/teachers/.
Writes `experiments/results/seeds.{md,csv}`: one row per recipe, `make train`'s (the student) first.
`--carry` keeps the committed rows of recipes this run does not repeat, each with its own stamp (a `measured`
column then says which row comes from which run).
"""

from __future__ import annotations

from experiments.stamping import committed_rows, measured
from experiments.study import Study
from experiments.sweep_jobs import ONE_TEACHER, PEAK, SWEEPS, TWO_TEACHERS, jobs, run_sweep, summary, wall_seconds

RECIPES = {  # name: (what the table calls it, its overrides)
    # The plain fine-tune (make train's recipe until the student beat it on validation).
    "main": ("fine-tune: experiment=finetune_minilm", ["experiment=finetune_minilm"]),
    # The book's hyperparameters (2 epochs, lr 2e-5, batch 64, wd 0.01) on the same encoder and precision.
    "book": ("book: experiment=book_minilm", ["experiment=book_minilm"]),
    # Distillation: the MPNet teacher (`make mpnet` first), then the MiniLM student of its first job.
    "teacher": ("teacher: experiment=teacher_mpnet", ["experiment=teacher_mpnet"]),
    "distill": (
        "student (make train): experiment=distill_minilm",
        ["experiment=distill_minilm", f"model.teacher={SWEEPS / 'seeds_teacher' / '0'}"],
    ),
    # The student of an ensemble of two MPNet teachers, above the one-teacher student on seed 1's validation
    # (distill_recipes.md).
    "distill_ensemble": (
        "student, 2 teachers: experiment=distill_minilm model.teacher=[MPNet seeds 1, 2]",
        ["experiment=distill_minilm", f"model.teacher={TWO_TEACHERS}"],
    ),
    # The distillation search's winner on one seed (distill_recipes.md): more weight on the labels.
    "distill_alpha08": (
        "student, alpha 0.8: experiment=distill_minilm model.distill_alpha=0.8",
        ["experiment=distill_minilm", f"model.teacher={ONE_TEACHER}", "model.distill_alpha=0.8"],
    ),
}
MAKE_TRAIN = "distill"  # its row comes first
STUDENT_TARGET = {"test/acc": 0.935, "test/f1_macro": 0.900}
TARGETS = {
    "main": {"test/acc": 0.930, "test/f1_macro": 0.890},
    "distill": STUDENT_TARGET,
    "distill_ensemble": STUDENT_TARGET,
    "distill_alpha08": STUDENT_TARGET,
}
SHOWN = [
    "test/acc",
    "test/f1_macro",
    "test/f1_weighted",
    "test/f1_love",
    "test/f1_surprise",
    "test/ece",
    "val/acc",
    "val/f1_macro",
]


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--reuse", action="store_true", help="table sweeps that already finished instead of rerunning")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--teacher-seeds", default="1", help="the teacher's seeds (its first job teaches the student)")
    parser.add_argument("--recipes", default=",".join(RECIPES), help="the recipes to run and table, in this order")
    parser.add_argument(
        "--only", choices=RECIPES, help="run one recipe's sweep and stop (table them later with --reuse)"
    )
    parser.add_argument("--carry", default="", help="recipes whose committed rows (and stamps) the table keeps")
    args = study.start()

    def seeds(name: str) -> str:
        return f"seed={args.teacher_seeds if name == 'teacher' else args.seeds}"

    if args.only:
        run_sweep(f"seeds_{args.only}", [*RECIPES[args.only][1], seeds(args.only)])
        return
    wall, ran = 0.0, args.recipes.split(",")
    carry = [name for name in args.carry.split(",") if name]
    kept = carried(carry)
    names = [*ran, *[name for name in carry if name not in ran]]  # run in this order (the teacher before its student)
    rows = []
    for name in names:
        if name in kept:
            rows.append(kept[name])
            continue
        recipe, overrides = RECIPES[name]
        sweep_dir = run_sweep(f"seeds_{name}", [*overrides, seeds(name)], reuse=args.reuse)
        wall += wall_seconds(sweep_dir)
        group, table = summary(sweep_dir).iloc[0].to_dict(), jobs(sweep_dir)
        rows.append(
            {"recipe": recipe, "n": int(group["n"])}
            | {key: value for key, value in group.items() if key.endswith(("_mean", "_std"))}
            | {
                "minutes per run": float(table["minutes"].mean()),
                "peak RSS GiB": float(table[PEAK].max()) if PEAK in table else "",
            }
        )
    order = sorted(range(len(names)), key=lambda i: names[i] != MAKE_TRAIN)  # tabled with make train's first
    names, rows = [names[i] for i in order], [rows[i] for i in order]
    shown = [
        {"recipe": row["recipe"], "n": row["n"]}
        | {
            name: f"{row[f'{name}_mean']:.4f}" + ("" if row["n"] < 2 else f" ± {row[f'{name}_std']:.4f}")
            for name in SHOWN
        }
        | {"minutes per run": row["minutes per run"], "peak RSS GiB": row.get("peak RSS GiB", "")}
        | ({"measured": measured(row)} if kept else {})
        for row in rows
    ]
    provenance = (
        [
            f"Rows of {', '.join(carry)}: carried from the committed table (their own stamp in seeds.csv and "
            "the `measured` column)."
        ]
        if kept
        else []
    )
    verdicts = []
    for name, target in TARGETS.items():
        if name in names:
            row = rows[names.index(name)]
            met = all(row[f"{metric}_mean"] >= floor for metric, floor in target.items())
            verdicts.append(
                f"Target for {name} (mean test accuracy >= {target['test/acc']} and mean test macro F1 >= "
                f"{target['test/f1_macro']}): **{'met' if met else 'not met'}** "
                f"({row['test/acc_mean']:.4f} and {row['test/f1_macro_mean']:.4f})."
            )
    notes = (
        f"Seeds {args.seeds} (teacher: {args.teacher_seeds}; `n`: how many finished); mean ± sample std over "
        "seeds; test read once per recipe. Every metric's mean and std is in seeds.csv. "
        + " ".join([*provenance, *verdicts])
    )
    study.write(
        "seeds", rows, "Seeds: mean ± std of the final recipes", notes, shown=shown, wall_s=wall if args.reuse else None
    )


def carried(names: list[str]) -> dict[str, dict]:
    """The committed seeds.csv rows of recipes `names`, each with its stamp: what a run of the other recipes keeps."""
    if not names:
        return {}
    unknown = sorted(set(names) - set(RECIPES))
    if unknown:
        raise SystemExit(f"--carry: {', '.join(unknown)} is not a recipe (expected some of {', '.join(RECIPES)})")
    rows = {row["recipe"]: row for row in committed_rows("seeds")}
    missing = [name for name in names if RECIPES[name][0] not in rows]
    if missing:
        raise SystemExit(f"--carry: the committed seeds.csv has no row for {', '.join(missing)}")
    return {name: rows[RECIPES[name][0]] for name in names}


if __name__ == "__main__":
    main()
