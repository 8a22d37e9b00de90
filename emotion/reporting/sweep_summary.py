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

from emotion.reporting.tables import markdown_table

log = logging.getLogger(__name__)


def job_overrides(job_dir: Path) -> dict[str, str]:
    overrides_file = job_dir / ".hydra" / "overrides.yaml"
    overrides = yaml.safe_load(overrides_file.read_text()) if overrides_file.is_file() else []
    return dict(item.split("=", 1) for item in overrides if "=" in item)


class SweepSummary(Callback):
    """Writes `summary.csv` (every override and metric) and `summary.md` (what the sweep varied and the chosen
    metric columns) into the sweep dir, best job first."""

    def __init__(self, columns: list[str] | None = None) -> None:
        self.columns = list(columns or [])

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        job_dirs = sorted(path.parent for path in sweep_dir.glob("*/metrics.json"))
        if not job_dirs:
            log.warning("No job of %s wrote metrics.json; no summary", sweep_dir)
            return
        overrides = [job_overrides(job_dir) for job_dir in job_dirs]
        swept = sorted({key for job in overrides for key in job if len({o.get(key) for o in overrides}) > 1})
        frame = pd.DataFrame(
            [
                {"job": job_dir.name} | job | json.loads((job_dir / "metrics.json").read_text())
                for job_dir, job in zip(job_dirs, overrides, strict=True)
            ]
        )
        metric = config.get("optimized_metric")
        if metric in frame:
            frame = frame.sort_values(metric, ascending=False)
        frame.to_csv(sweep_dir / "summary.csv", index=False)
        shown = list(dict.fromkeys(c for c in ["job", *swept, metric, *self.columns] if c in frame))
        (sweep_dir / "summary.md").write_text(f"# Sweep {sweep_dir}\n\n" + markdown_table(frame[shown].to_dict("records")))
        log.info("Sweep summary of %d jobs: %s", len(frame), sweep_dir / "summary.csv")
