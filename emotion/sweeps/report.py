"""What a person reads after a study: every trial by state with its value and parameters, the best trial, and
Optuna's optimization-history and parameter-importance plots, written into the sweep dir."""

from __future__ import annotations

import logging
from pathlib import Path

import optuna
import pandas as pd
import yaml
from optuna.trial import TrialState

from emotion.storage.tables import markdown_table

log = logging.getLogger(__name__)
STATE_ORDER = {
    TrialState.COMPLETE: 0,
    TrialState.PRUNED: 1,
    TrialState.FAIL: 2,
    TrialState.RUNNING: 3,
    TrialState.WAITING: 4,
}


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, value, minutes, what it retried, its parameters; complete trials first,
    best first, then pruned (best last value first), failed, running, waiting."""
    sign = -1 if study.direction == optuna.study.StudyDirection.MAXIMIZE else 1
    rows, order = [], {}
    for trial in study.get_trials(deepcopy=False):
        value = (
            trial.value
            if trial.value is not None
            else (trial.intermediate_values[max(trial.intermediate_values)] if trial.intermediate_values else None)
        )
        minutes = (
            (trial.datetime_complete - trial.datetime_start).total_seconds() / 60
            if trial.datetime_complete and trial.datetime_start
            else None
        )
        rows.append(
            {
                "trial": trial.number,
                "state": trial.state.name.lower(),
                "value": value,
                "validations": len(trial.intermediate_values),
                "minutes": minutes,
                "retry of": trial.user_attrs.get("retry_of"),
                **trial.params,
            }
        )
        order[trial.number] = (STATE_ORDER.get(trial.state, 5), sign * value if value is not None else 0.0)
    return pd.DataFrame(sorted(rows, key=lambda row: order[row["trial"]]))


def write_report(study: optuna.Study, sweep_dir: Path, metric: str | None) -> Path:
    """`trials.csv`, `study.md`, `optimization_results.yaml` (best value and parameters) and the two PNGs."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    table = trials_table(study)
    table.to_csv(sweep_dir / "trials.csv", index=False)
    counts = table["state"].value_counts().to_dict() if not table.empty else {}
    lines = [
        f"# Study {study.study_name}\n",
        f"Optimized: {metric or 'value'} ({study.direction.name.lower()}); "
        + ", ".join(f"{counts.get(state, 0)} {state}" for state in ("complete", "pruned", "fail", "running", "waiting"))
        + ".\n",
    ]
    best = _best(study)
    if best is not None:
        params = " ".join(f"{key}={value}" for key, value in best.params.items())
        lines.append(
            f"Best: trial {best.number}, {metric or 'value'} = {best.value:.4f}, `{params}` "
            f"(job dir `{best.number}/`).\n"
        )
        (sweep_dir / "optimization_results.yaml").write_text(
            yaml.safe_dump(
                {
                    "name": study.study_name,
                    "best_trial": best.number,
                    "best_value": float(best.value),
                    "best_params": dict(best.params),
                },
                sort_keys=False,
            )
        )
    lines.append(markdown_table(table.astype(object).where(table.notna(), "").to_dict("records")))
    for name, note in _plots(study, sweep_dir).items():
        lines.append(f"\n![{name}]({name}.png)\n" if note is None else f"\n{name}: not drawn ({note})\n")
    path = sweep_dir / "study.md"
    path.write_text("\n".join(lines))
    return path


def _best(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    try:
        return study.best_trial
    except ValueError:  # no complete trial yet
        return None


def _plots(study: optuna.Study, sweep_dir: Path) -> dict[str, str | None]:
    """Optuna's own matplotlib plots; a plot the study cannot support yet says why instead of failing the sweep."""
    from optuna.visualization import matplotlib as plots

    from emotion.reporting.figures import save

    notes: dict[str, str | None] = {}
    complete = [trial for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    for name, draw, needs in (
        ("optimization_history", plots.plot_optimization_history, 1),
        ("param_importances", plots.plot_param_importances, 2),
    ):
        if len(complete) < needs:
            notes[name] = f"needs {needs} complete trials"
            continue
        try:
            axes = draw(study)
            save(axes.figure, sweep_dir / f"{name}.png")
            notes[name] = None
        except (ValueError, RuntimeError) as err:  # e.g. importances when no parameter varied
            notes[name] = str(err).splitlines()[0]
            log.warning("%s: %s", name, notes[name])
    return notes
