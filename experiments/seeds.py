"""The final recipes over seeds 1, 2, 3 on the offline encoders: mean and std of every metric.

    python experiments/seeds.py [--reuse] [--seeds 1,2,3] [--teacher-seeds 1] [--recipes main,book,teacher,distill]
        [--only main|book|teacher|distill]

Each recipe is one multirun over seeds; its sweep summary (grouped by every override except the seed) gives `n`,
`<metric>_mean` and `<metric>_std`. This is the one place the final recipes read the test split. The distilled
student learns from the teacher row's first job (`model.teacher=logs/experiments/seeds_teacher/0`), so the teacher
runs first (`--teacher-seeds`: one MPNet run costs about 8 MiniLM runs on a CPU).
Writes `experiments/results/seeds.{md,csv}`: one row per recipe, the main recipe (`make train`'s) first.
"""

from __future__ import annotations

import argparse
import time

from sweeps import SWEEPS, jobs, run_sweep, summary, wall_seconds

from emotion.reporting.results import write_results

RECIPES = {  # name: (what the table calls it, its overrides)
    "main": ("main: experiment=finetune_minilm", ["experiment=finetune_minilm"]),
    # The book's hyperparameters (2 epochs, lr 2e-5, batch 64, wd 0.01) on the same encoder and precision.
    "book": ("book: experiment=book_minilm", ["experiment=book_minilm"]),
    # Distillation: the MPNet teacher (`make mpnet` first), then the MiniLM student of its first job.
    "teacher": ("teacher: experiment=teacher_mpnet", ["experiment=teacher_mpnet"]),
    "distill": ("student: experiment=distill_minilm", ["experiment=distill_minilm",
                                                        f"model.teacher={SWEEPS / 'seeds_teacher' / '0'}"]),
}
PEAK = "resources/peak_rss_gib"  # in each job's metrics.json (the largest over a recipe's jobs is shown)
TARGETS = {"main": {"test/acc": 0.930, "test/f1_macro": 0.890}, "distill": {"test/acc": 0.935, "test/f1_macro": 0.900}}
SHOWN = ["test/acc", "test/f1_macro", "test/f1_weighted", "test/f1_love", "test/f1_surprise", "test/ece", "val/acc",
         "val/f1_macro"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="table sweeps that already finished instead of rerunning")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--teacher-seeds", default="1", help="the teacher's seeds (its first job teaches the student)")
    parser.add_argument("--recipes", default=",".join(RECIPES), help="the recipes to run and table, in this order")
    parser.add_argument("--only", choices=RECIPES, help="run one recipe's sweep and stop (table them later with --reuse)")
    args = parser.parse_args()

    def seeds(name: str) -> str:
        return f"seed={args.teacher_seeds if name == 'teacher' else args.seeds}"

    if args.only:
        run_sweep(f"seeds_{args.only}", [*RECIPES[args.only][1], seeds(args.only)])
        return
    began = time.perf_counter()
    rows, wall = [], 0.0
    names = args.recipes.split(",")
    for name in names:
        recipe, overrides = RECIPES[name]
        sweep_dir = run_sweep(f"seeds_{name}", [*overrides, seeds(name)], reuse=args.reuse)
        wall += wall_seconds(sweep_dir)
        group, table = summary(sweep_dir).iloc[0].to_dict(), jobs(sweep_dir)
        rows.append({"recipe": recipe, "n": int(group["n"])}
                    | {key: value for key, value in group.items() if key.endswith(("_mean", "_std"))}
                    | {"minutes per run": float(table["minutes"].mean()),
                       "peak RSS GiB": float(table[PEAK].max()) if PEAK in table else float("nan")})
    shown = [{"recipe": row["recipe"], "n": row["n"]}
             | {name: f"{row[f'{name}_mean']:.4f}" + ("" if row["n"] < 2 else f" ± {row[f'{name}_std']:.4f}")
                for name in SHOWN}
             | {"minutes per run": row["minutes per run"], "peak RSS GiB": row["peak RSS GiB"]} for row in rows]
    verdicts = []
    for name, target in TARGETS.items():
        if name in names:
            row = rows[names.index(name)]
            met = all(row[f"{metric}_mean"] >= floor for metric, floor in target.items())
            verdicts.append(f"Target for {name} (mean test accuracy >= {target['test/acc']} and mean test macro F1 >= "
                            f"{target['test/f1_macro']}): **{'met' if met else 'not met'}** "
                            f"({row['test/acc_mean']:.4f} and {row['test/f1_macro_mean']:.4f}).")
    notes = (f"Seeds {args.seeds} (teacher: {args.teacher_seeds}; `n`: how many finished); mean ± sample std over "
             "seeds; test read once per recipe. Every metric's mean and std is in seeds.csv. " + " ".join(verdicts))
    write_results("seeds", rows, wall if args.reuse else time.perf_counter() - began,
                  "Seeds: mean ± std of the final recipes", notes, shown=shown)


if __name__ == "__main__":
    main()
