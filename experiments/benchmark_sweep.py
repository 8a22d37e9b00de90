"""Wall time of one hyperparameter study, run as before (one trial at a time, no pruning) and with pruning and two
parallel workers, one after the other in one invocation.

    python -m experiments.benchmark_sweep [--trials 12] [--reuse]

Both arms are the same `hparams_search=optuna` study of MiniLM (lr, weight decay, warm-up, batch size),
`--trials` trials each, short trials on a seeded subset (2000 training and 500 validation texts, 2 epochs,
validation every quarter epoch), optimizing validation macro F1 (test is never read). The sampler's seeded
start-up phase covers every trial (`sampler.n_startup_trials` = `--trials`), so both arms try the same parameter
sets whatever order their trials end in and whichever are pruned: the best-value gap is what pruning loses, not
the sampler's luck.
- `sequential`: the basic launcher, one trial after another in one process, `hydra.sweeper.pruner=none`;
- `pruned, 2 workers`: `hydra/launcher=workers` (two joblib worker processes, each with one thread of the two cores,
  each running trial after trial), `hydra.sweeper.n_workers=2`, the median pruner: from its second validation on, a
  trial below the median of the finished trials at the same validation stops; the first 3 trials (a quarter of the
  study) always finish. (With `hydra/launcher=local`, submitit's fresh process per trial, each trial paid about 15 s
  of interpreter start, imports and exit, and the arm took 6.02 min against the sequential arm's 11.65: 1.93x.)
  (Successive halving from the second validation, tried first, stopped the best trial there: its 0.376 at half an
  epoch trailed another trial's 0.417, and it ended 0.765 against 0.693.)
Wall time is the sweep command's, start to end (kept in the sweep dir, so an arm tabled with `--reuse` keeps its own).
Writes `experiments/results/sweep.{md,csv}`: wall time, trials complete/pruned/failed, best validation macro F1.
"""

from __future__ import annotations

import time

import optuna

from emotion.sweeps.report import trials_table
from emotion.sweeps.study import make_storage
from experiments.study import Study
from experiments.sweep_jobs import SWEEPS, reusable, run_sweep

STUDY = [
    "hparams_search=optuna",
    "experiment=finetune_minilm",
    "test=false",
    "export_hf=false",
    "optimized_metric=val/f1_macro",
    "data.max_samples={train: 2000, validation: 500}",
    "trainer.max_epochs=2",
    "trainer.val_check_interval=0.25",
    "hydra.sweeper.study_name=benchmark",
]
# Each arm's overrides; joblib gives each of the parallel arm's processes one of the two cores' threads.
ARMS = {
    "sequential": ["hydra.sweeper.pruner=none"],
    "pruned, 2 workers": [
        "hydra.sweeper.pruner=median",
        "hydra.sweeper.pruner_args={n_startup_trials: 3, n_warmup_steps: 1}",
        "hydra.sweeper.n_workers=2",
        "hydra/launcher=workers",
    ],
}
TARGET_SPEEDUP, TARGET_GAP = 2.0, 0.005


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--reuse", action="store_true", help="table arms whose study already finished")
    args = study.start()
    rows, tried, reused_arms = [], [], []
    size = [f"hydra.sweeper.n_trials={args.trials}", f"hydra.sweeper.sampler.n_startup_trials={args.trials}"]
    for arm, overrides in ARMS.items():
        name = "sweep_" + arm.replace(",", "").replace(" ", "_")
        record = SWEEPS / name / "command_seconds.txt"  # the sweep command's wall time, for --reuse
        reused = args.reuse and reusable(SWEEPS / name)
        start = time.perf_counter()
        sweep_dir = run_sweep(name, [*STUDY, *size, *overrides], reuse=args.reuse, fresh=not args.reuse)
        if reused:
            reused_arms.append(arm)
        else:
            record.write_text(f"{time.perf_counter() - start:.1f}\n")
        if not record.is_file():
            raise SystemExit(f"{sweep_dir} did not finish in a run of this script ({record.name} missing): rerun it")
        study = optuna.load_study(study_name="benchmark", storage=make_storage(str(sweep_dir / "study.journal")))
        table = trials_table(study)
        tried.append(sorted(str(sorted(trial.params.items())) for trial in study.trials))
        states = table["state"].value_counts().to_dict()
        rows.append(
            {
                "arm": arm,
                "wall min": float(record.read_text()) / 60,
                "trial min (sum)": table["minutes"].sum(),
                "complete": states.get("complete", 0),
                "pruned": states.get("pruned", 0),
                "failed": states.get("fail", 0),
                "best val/f1_macro": study.best_value,
                "best trial": study.best_trial.number,
                **{f"best {key}": value for key, value in study.best_params.items()},
            }
        )
        print(f"{arm}: {rows[-1]['wall min']:.1f} min, best {study.best_value:.4f}", flush=True)
    sequential, parallel = rows
    speedup = sequential["wall min"] / parallel["wall min"]
    gap = sequential["best val/f1_macro"] - parallel["best val/f1_macro"]
    met = speedup >= TARGET_SPEEDUP and gap <= TARGET_GAP
    same = "the same parameter sets in both" if tried[0] == tried[1] else "**not** the same parameter sets"
    notes = (
        f"{args.trials} trials per arm (`{' '.join([*STUDY, *size])}`), {same}; wall min: the sweep "
        "command's, start to end; trial min (sum) adds each trial's own minutes. "
        f"Speed-up {speedup:.2f}x, best-value gap {gap:+.4f} "
        f"(target: >= {TARGET_SPEEDUP}x and <= {TARGET_GAP}): **{'met' if met else 'not met'}**. Study tables "
        "and plots: `logs/experiments/sweep_*/study.md`."
        + (f" Tabled from an earlier run of this script (`--reuse`): {', '.join(reused_arms)}." if reused_arms else "")
    )
    study.write("sweep", rows, "Sweep wall time: sequential vs pruned + 2 workers", notes)


if __name__ == "__main__":
    main()
