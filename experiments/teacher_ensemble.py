"""MPNet teachers alone and together on the validation split: `python -m experiments.teacher_ensemble
--teachers RUN_DIR,RUN_DIR[,...]`.

A student learns from an ensemble of teachers (`model.teacher=[a,b]`) as the mean of their log-probabilities; this
scores each teacher run (`experiment=teacher_mpnet seed=<k> test=false`) and that mean on validation, so a reader
sees whether more teachers make a stronger one. Validation only: the test split is not read. Writes
`teacher_ensemble.{md,csv}`: accuracy, macro F1, love and surprise F1 of each, and how often the members' argmax
agree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from emotion.data.labels import EMOTIONS
from emotion.data.splits import CARER_DIR, load_splits
from emotion.distillation import ensemble_logits, teacher_logits
from emotion.models.metrics import scores
from experiments.study import Study
from experiments.sweep_jobs import MAX_LENGTH, SWEEPS


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--teachers", required=True, help="teacher run dirs or model folders, comma-separated")
    args = study.start()
    teachers = args.teachers.split(",")
    if len(teachers) < 2:
        raise SystemExit(f"--teachers: {args.teachers} names one teacher; an ensemble needs two or more")
    validation = load_splits(str(CARER_DIR))["validation"]
    labels = np.asarray(validation["label"])
    scored = {}
    for teacher in teachers:  # each checked and scored (then cached) as a student's model.teacher would be
        scored[f"{Path(teacher).name}{_seed(Path(teacher))}"] = teacher_logits(
            teacher, validation["text"], validation["label"], MAX_LENGTH, SWEEPS / "teacher_ensemble_logits"
        )
    members = list(scored.values())
    scored[f"ensemble of {len(members)}"] = ensemble_logits(members)
    rows = [
        {"teacher": name} | _shown(scores(logits.argmax(-1), labels, "val", EMOTIONS))
        for name, logits in scored.items()
    ]
    votes = np.stack([member.argmax(-1) for member in members])
    agree = float((votes == votes[0]).all(axis=0).mean())
    notes = (
        f"Validation split ({len(labels)} texts), the test split not read; the ensemble is the mean of the "
        f"members' log-probabilities, as `model.teacher=[...]` gives a student. The members' argmax all agree on "
        f"{agree:.2%} of the texts."
    )
    study.write("teacher_ensemble", rows, "MPNet teachers alone and together", notes)


def _seed(teacher: Path) -> str:
    """` (seed k)` for a run dir, from its composed config; nothing for a model folder."""
    config = teacher / ".hydra" / "config.yaml"
    return f" (seed {OmegaConf.load(config).seed})" if config.is_file() else ""


def _shown(metrics: dict[str, float]) -> dict[str, float]:
    """Accuracy, macro F1 and the two rare classes' F1, of every metric an evaluation reports."""
    return {name: metrics[name] for name in ("val/acc", "val/f1_macro", "val/f1_love", "val/f1_surprise")}


if __name__ == "__main__":
    main()
