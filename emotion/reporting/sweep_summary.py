"""A Hydra callback that tables every job of a multirun (grid or Optuna) once the sweep ends."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from emotion.storage.tables import markdown_table
from emotion.utils.hub import first_line

log = logging.getLogger(__name__)


def job_overrides(job_dir: Path) -> dict[str, str]:
    overrides_file = job_dir / ".hydra" / "overrides.yaml"
    overrides = yaml.safe_load(overrides_file.read_text()) if overrides_file.is_file() else []
    return dict(item.split("=", 1) for item in overrides if "=" in item)


# Overrides that differ between runs of one recipe: its seed, and the checkpoint a resumed job went on from (the
# resume command a stopped job prints adds `ckpt_path=last`).
RUN_KEYS = ("seed", "ckpt_path")


def finished_jobs(sweep_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """Every job of the sweep that wrote metrics.json (its dir name, overrides and metrics), and the overrides that
    tell its recipes apart: those that differ between the jobs, except `RUN_KEYS`."""
    metrics = {path.parent: _metrics(path) for path in sorted(sweep_dir.glob("*/metrics.json"))}
    job_dirs = [job_dir for job_dir, read in metrics.items() if read is not None]
    overrides = [job_overrides(job_dir) for job_dir in job_dirs]
    recipe_keys = sorted(
        {key for job in overrides for key in job if key not in RUN_KEYS and len({o.get(key) for o in overrides}) > 1}
    )
    jobs = pd.DataFrame(
        [{"job": job_dir.name} | job | metrics[job_dir] for job_dir, job in zip(job_dirs, overrides, strict=True)]
    )
    return jobs, recipe_keys


def _metrics(path: Path) -> dict[str, Any] | None:
    """A job's metrics.json: names to finite numbers or texts. A damaged one (a disk that filled, a copy cut short)
    leaves its job out of the summary with one warning naming it, rather than ending the sweep or skewing a mean."""
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(metrics, dict):
            raise ValueError(f"a JSON {type(metrics).__name__}, not an object of metrics")
        for name, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, int | float | str) or value != value:
                raise ValueError(f"{name}: {value!r} is not a number or a text")
            if isinstance(value, float) and value in (float("inf"), float("-inf")):
                raise ValueError(f"{name}: {value!r} is not finite")
    except (OSError, UnicodeDecodeError, ValueError) as err:
        log.warning("%s: %s; this job is left out of the summary", path, first_line(err)[:200])
        return None
    return metrics


class SweepSummary(Callback):
    """At the end of a multirun, in the sweep dir: `jobs.csv` (every job's overrides and metrics, best first), and
    `summary.csv`/`summary.md` (jobs grouped by every swept override except `RUN_KEYS`: `n` and `<metric>_mean` /
    `<metric>_std` of each val/test metric, best group first), so a multirun over seeds reads as mean +- std."""

    def __init__(self, columns: list[str] | None = None) -> None:
        self.columns = list(columns or [])

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        jobs, recipe_keys = finished_jobs(sweep_dir)
        if jobs.empty:
            log.warning("No job of %s wrote metrics.json; no summary", sweep_dir)
            return
        metric = config.get("optimized_metric")
        if metric in jobs:
            jobs = jobs.sort_values(metric, ascending=False)
        jobs.to_csv(sweep_dir / "jobs.csv", index=False)
        summary = aggregate_seeds(jobs, recipe_keys)
        if f"{metric}_mean" in summary:
            summary = summary.sort_values(f"{metric}_mean", ascending=False)
        summary.to_csv(sweep_dir / "summary.csv", index=False)
        (sweep_dir / "summary.md").write_text(f"# Sweep {sweep_dir}\n\n" + summary_table(summary, metric, self.columns))
        log.info("Sweep summary of %d jobs in %d groups: %s", len(jobs), len(summary), sweep_dir / "summary.csv")


def aggregate_seeds(jobs: pd.DataFrame, group_keys: list[str]) -> pd.DataFrame:
    """One row per group of jobs that differ only in their seed: `n`, then mean and std of every val/test metric."""
    metrics = [c for c in jobs if c.startswith(("val/", "test/")) and pd.api.types.is_numeric_dtype(jobs[c])]
    grouped = jobs.groupby(group_keys, sort=False, dropna=False) if group_keys else [((), jobs)]
    rows = []
    for key, group in grouped:
        values = key if isinstance(key, tuple) else (key,)
        row = dict(zip(group_keys, values, strict=True)) | {"n": len(group)}
        for name in metrics:
            row[f"{name}_mean"] = float(group[name].mean())
            row[f"{name}_std"] = float(group[name].std(ddof=1)) if len(group) > 1 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def summary_table(summary: pd.DataFrame, metric: str | None, columns: list[str]) -> str:
    """The group keys, n, and `mean +- std` of the optimized metric and the chosen columns."""
    keys = [c for c in summary if c != "n" and not c.endswith(("_mean", "_std"))]
    rows = []
    for record in summary.to_dict("records"):
        row = {key: record[key] for key in keys} | {"n": record["n"]}
        for name in dict.fromkeys([metric, *columns]):
            if f"{name}_mean" in record:
                std = record[f"{name}_std"]
                row[name] = f"{record[f'{name}_mean']:.4f}" + ("" if pd.isna(std) else f" ± {std:.4f}")
        rows.append(row)
    return markdown_table(rows)
