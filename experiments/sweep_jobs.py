"""What the study scripts share: run a child command (timed, stopping the study with the child's error), run a
Hydra multirun of `emotion.train`, and read back its sweep summary.

Each sweep lives in `logs/experiments/<name>/` (one subdir per job, plus the `jobs.csv` and `summary.csv` that the
sweep-summary callback writes) with its console output in `logs/experiments/<name>.log`. `reuse=True` tables a
sweep that already finished instead of running it again (its wall time is read from the job files).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from emotion.reporting.sweep_summary import aggregate_seeds, finished_jobs

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = ROOT / "logs" / "experiments"
# What every study job shares: plain CSV logs (no wandb run per job).
COMMON = ["logger=csv"]
# In each job's metrics.json: the job's peak resident memory.
PEAK = "resources/peak_rss_gib"
# The shipped MPNet teacher logits over the training split, and the `model.teacher=` values the studies use.
TEACHERS = Path(__file__).resolve().parent / "teachers"


def shipped_teachers(*names: str) -> str:
    """`model.teacher=` for shipped MPNet teachers, named as in experiments/teachers/mpnet_<name>.npz (`seed1`): one
    logits file, or a list (an ensemble)."""
    files = [str(TEACHERS / f"mpnet_{name}.npz") for name in names]
    return files[0] if len(files) == 1 else f"[{','.join(files)}]"


ONE_TEACHER, TWO_TEACHERS = shipped_teachers("seed1"), shipped_teachers("seed1", "seed2")
# data.max_length of every recipe (conf/data/emotion.yaml): the scripts that write teacher logits key them by it.
MAX_LENGTH = 128


def run_child(
    what: str, argv: list[str], log: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, str]:
    """Runs `argv` from the repository root; returns its wall seconds and its stdout (empty when it went to `log`,
    stdout and stderr together). A child that fails stops the study, naming it with its exit code and the end of
    its stderr (or the log to read)."""
    began = time.perf_counter()
    environment = {**os.environ, **(env or {})}
    if log is None:
        child = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False, env=environment)
        output, detail = child.stdout, child.stderr[-3000:]
    else:
        with open(log, "w") as handle:
            child = subprocess.run(
                argv, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, check=False, env=environment
            )
        output, detail = "", f"see {log}"
    if child.returncode != 0:
        raise SystemExit(f"{what} failed (exit {child.returncode}):\n{detail}")
    return time.perf_counter() - began, output


def reusable(sweep_dir: Path) -> bool:
    """What `run_sweep(reuse=True)` tables instead of running: a sweep with a summary or a finished job."""
    return (sweep_dir / "summary.csv").is_file() or bool(list(sweep_dir.glob("*/metrics.json")))


def run_sweep(name: str, overrides: list[str], reuse: bool = False, fresh: bool = False) -> Path:
    """Runs `python -m emotion.train -m <overrides>` into logs/experiments/<name>; returns that sweep dir.
    `fresh` deletes an earlier sweep there first (a study would otherwise continue from its journal)."""
    sweep_dir = SWEEPS / name
    if reuse and reusable(sweep_dir):
        print(f"{name}: reusing {sweep_dir}", flush=True)
        return sweep_dir
    if fresh and sweep_dir.exists():
        shutil.rmtree(sweep_dir)
    SWEEPS.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "emotion.train", "-m", *COMMON, *overrides, f"hydra.sweep.dir={sweep_dir}"]
    print(f"{name}: {' '.join(argv[1:])}  (log: {SWEEPS / name}.log)", flush=True)
    seconds, _ = run_child(f"sweep {name}", argv, log=SWEEPS / f"{name}.log")
    if not (sweep_dir / "summary.csv").is_file():
        raise SystemExit(f"sweep {name} wrote no summary.csv; see {SWEEPS / name}.log")
    print(f"{name}: done in {seconds / 60:.1f} min", flush=True)
    return sweep_dir


def wall_seconds(sweep_dir: Path) -> float:
    """From the first job's start (its composed config) to the summary (or the last finished job): its wall time."""
    starts = [path.stat().st_mtime for path in sweep_dir.glob("*/.hydra/config.yaml")]
    ends = [
        path.stat().st_mtime
        for path in [sweep_dir / "summary.csv", *sweep_dir.glob("*/metrics.json")]
        if path.is_file()
    ]
    return max(ends) - min(starts)


def job_minutes(sweep_dir: Path, job: str) -> float:
    """One job's wall time: its composed config to its metrics.json."""
    job_dir = sweep_dir / str(job)
    return ((job_dir / "metrics.json").stat().st_mtime - (job_dir / ".hydra" / "config.yaml").stat().st_mtime) / 60


def jobs(sweep_dir: Path) -> pd.DataFrame:
    """Every finished job: its overrides, metrics and minutes (a sweep stopped early has no jobs.csv)."""
    if (sweep_dir / "jobs.csv").is_file():
        table = pd.read_csv(sweep_dir / "jobs.csv", dtype={"job": str})
    else:
        table = finished_jobs(sweep_dir)[0]
    table["minutes"] = [job_minutes(sweep_dir, job) for job in table["job"]]
    return table


def summary(sweep_dir: Path) -> pd.DataFrame:
    """The sweep's summary; for a sweep stopped before its end, the same aggregation over the jobs that finished
    (so `n` says how many seeds the row really has)."""
    if (sweep_dir / "summary.csv").is_file():
        return pd.read_csv(sweep_dir / "summary.csv")
    return aggregate_seeds(*finished_jobs(sweep_dir))
