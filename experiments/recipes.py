"""The recipe searches: validation only, one seed, the test split never read.

    python -m experiments.recipes [--search finetune|distill] [--reuse]

One knob at a time with the project's own sweep (`python -m emotion.train -m ... test=false`) from a start recipe;
each job reports the validation metrics of its best checkpoint, and the winner is the highest validation macro F1
(the harder target), except that a recipe within TIE (0.003, below one seed's noise) of it that trains for fewer
epochs wins instead. Its test figures come from `python -m experiments.seeds`.
- `finetune` (`recipes.{md,csv}`), for the offline encoder, from the previous main recipe (lr 1e-4, 10% warm-up,
  4 epochs, batch 32, length-grouped batches): class-weighted loss off/on, then from the class-weighted recipe
  6 epochs, label smoothing 0.1, peak lr 2e-4, layer-wise LR decay 0.8 and 0.9, and batch 16. Its winner is
  `experiment=finetune_minilm`.
- `distill` (`distill_recipes.{md,csv}`), for the MiniLM student (`experiment=distill_minilm`) of the shipped MPNet
  teacher logits (experiments/teachers/): from one teacher, alpha 0.5 and T 2, the two-teacher ensemble, alpha 0.2
  and 0.8, T 4, and 8 epochs. The committed table also holds trials that did not help and whose machinery or
  teacher logits have since left the tree (cross-fitted and augmented teachers, three teachers, weight averaging,
  teachers trained at lr 5e-5 or for 5 epochs); its stamp names the commit that ran them, and docs/distillation.md
  says what each showed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from emotion.data.splits import CARER_DIR
from experiments.study import Study
from experiments.sweep_jobs import ONE_TEACHER, SWEEPS, TEACHERS, TWO_TEACHERS, jobs, run_sweep, wall_seconds

COLUMNS = ["val/acc", "val/f1_weighted", "val/f1_macro", "val/f1_love", "val/f1_surprise", "val/ece", "minutes"]
TIE = 0.003


@dataclass
class Search:
    """A start recipe and the knobs tried from it, one sweep each, tabled in experiments/results/<results>.md."""

    results: str
    title: str
    base: list[str]
    start: dict[str, str]
    trials: dict[str, tuple[str, str]]  # sweep name: (the one knob it changes, its values), in the order they ran
    notes: str
    unset: dict[str, object] = field(default_factory=dict)  # knobs that sweeps before them ran at these values
    also: dict[str, dict[str, str]] = field(default_factory=dict)  # sweep name: what its knob's value needs beside it

    def sweeps(self) -> dict[str, list[str]]:
        return {
            name: [
                *self.base,
                *(f"{key}={value}" for key, value in (self.start | {knob: values} | self.also.get(name, {})).items()),
            ]
            for name, (knob, values) in self.trials.items()
        }

    def knobs(self) -> list[str]:
        return list(dict.fromkeys(knob for knob, _ in self.trials.values()))


SEARCHES = {
    "finetune": Search(
        results="recipes",
        title="Recipe search (validation only)",
        base=["experiment=finetune_minilm", "seed=1", "test=false", "export_hf=false", "model.warmup_ratio=0.1"],
        # The class-weighted recipe every trial starts from (the first trial sweeps class weighting itself).
        start={
            "data.batch_size": "32",
            "model.lr": "1e-4",
            "trainer.max_epochs": "4",
            "model.label_smoothing": "0.0",
            "model.class_weighting": "true",
        },
        trials={
            "recipes_class_weighting": ("model.class_weighting", "false,true"),
            "recipes_epochs": ("trainer.max_epochs", "6"),
            "recipes_label_smoothing": ("model.label_smoothing", "0.1"),
            "recipes_lr": ("model.lr", "2e-4"),
            "recipes_layer_lr_decay": ("model.layer_lr_decay", "0.8,0.9"),
            "recipes_batch_size": ("data.batch_size", "16"),
        },
        notes="`experiment=finetune_minilm` with 10% warm-up, length-grouped batches",
        unset={"model.layer_lr_decay": 1.0},
    ),
    "distill": Search(
        results="distill_recipes",
        title="Distillation recipe search (validation only)",
        base=["experiment=distill_minilm", "seed=1", "test=false", "export_hf=false"],
        start={
            "model.teacher": ONE_TEACHER,
            "model.distill_alpha": "0.5",
            "model.distill_temperature": "2.0",
            "trainer.max_epochs": "4",
        },
        trials={
            "distill_teachers": ("model.teacher", f"{ONE_TEACHER},{TWO_TEACHERS}"),
            "distill_alpha": ("model.distill_alpha", "0.2,0.8"),
            "distill_temperature": ("model.distill_temperature", "4.0"),
            # Twice the steps: a student often keeps gaining from a teacher long after the labels alone stop.
            "distill_epochs": ("trainer.max_epochs", "8"),
        },
        notes="The MiniLM student (`experiment=distill_minilm`, the main recipe's settings) of the shipped MPNet "
        "teacher logits (`experiments/teachers/`; two of them: the mean of their log-probabilities)",
    ),
}


def main() -> None:
    study = Study(__doc__, __file__)
    parser = study.parser
    parser.add_argument("--search", choices=SEARCHES, default="finetune", help="which recipe search to run")
    parser.add_argument("--reuse", action="store_true", help="table sweeps that already finished instead of rerunning")
    args = study.start()
    search = SEARCHES[args.search]
    tables, wall = [], 0.0
    for name, overrides in search.sweeps().items():
        sweep_dir = run_sweep(name, overrides, reuse=args.reuse)
        tables.append(jobs(sweep_dir))
        wall += wall_seconds(sweep_dir) if args.reuse else 0.0
    table = pd.concat(tables, ignore_index=True).fillna(search.unset)
    table = table.sort_values(["val/f1_macro", "val/acc"], ascending=False)
    best = table["val/f1_macro"].max()
    close = table[table["val/f1_macro"] >= best - TIE]
    winner = close.sort_values(["trainer.max_epochs", "val/f1_macro"], ascending=[True, False]).index[0]
    rows = [
        {"winner": "yes" if index == winner else ""}
        | {knob: _shown(row[knob]) for knob in search.knobs()}
        | {column: row[column] for column in COLUMNS}
        for index, row in table.iterrows()
    ]
    notes = (
        f"{search.notes}, bf16 where the CPU has it; seed 1; validation split only (`test=false`); best first "
        f"by validation macro F1. Winner: the highest validation macro F1, or a recipe with fewer epochs within "
        f"{TIE} of it."
    )
    study.write(search.results, rows, search.title, notes, wall_s=wall or None)


def _shown(value: object) -> object:
    """A teacher or data path without experiments/teachers/ or logs/experiments/ (the table's readers have the same
    ones); the shipped data as `(shipped)`."""
    if not isinstance(value, str):
        return value
    return value.replace(str(CARER_DIR), "(shipped)").replace(f"{TEACHERS}/", "").replace(f"{SWEEPS}/", "")


if __name__ == "__main__":
    main()
