"""The recipe search for the offline encoder: validation only, one seed, the test split never read.

    python experiments/recipes.py [--reuse]

One knob at a time with the project's own sweep (`python -m emotion.train -m ... test=false`), from the previous
main recipe (lr 1e-4, 10% warm-up, 4 epochs, batch 32, length-grouped batches): class-weighted loss off/on, then
from the class-weighted recipe 6 epochs, label smoothing 0.1, peak lr 2e-4, layer-wise LR decay 0.8 and 0.9, and
batch 16.
Each job reports the validation metrics of its best checkpoint.
The winner becomes the main recipe (`experiment=finetune_minilm`), whose test figures come from
`experiments/seeds.py`: the highest validation macro F1 (the harder target), except that a recipe within
TIE (0.003, below one seed's noise) of it that trains for fewer epochs wins instead.
Writes `experiments/results/recipes.{md,csv}`.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from sweeps import jobs, run_sweep, wall_seconds

from emotion.reporting.results import write_results

SEARCH = ["experiment=finetune_minilm", "seed=1", "test=false", "export_hf=false", "model.warmup_ratio=0.1"]
# The class-weighted recipe every trial starts from (the first trial sweeps class weighting itself).
START = {"data.batch_size": "32", "model.lr": "1e-4", "trainer.max_epochs": "4", "model.label_smoothing": "0.0",
         "model.class_weighting": "true"}
TRIALS = {  # sweep name: (the one knob it changes, its values), in the order they ran
    "recipes_class_weighting": ("model.class_weighting", "false,true"),
    "recipes_epochs": ("trainer.max_epochs", "6"),
    "recipes_label_smoothing": ("model.label_smoothing", "0.1"),
    "recipes_lr": ("model.lr", "2e-4"),
    "recipes_layer_lr_decay": ("model.layer_lr_decay", "0.8,0.9"),
    "recipes_batch_size": ("data.batch_size", "16"),
}
SWEEPS = {name: [*SEARCH, *(f"{key}={value}" for key, value in (START | {knob: values}).items())]
          for name, (knob, values) in TRIALS.items()}
COLUMNS = ["val/acc", "val/f1_weighted", "val/f1_macro", "val/f1_love", "val/f1_surprise", "val/ece", "minutes"]
KNOBS = [knob for knob, _ in TRIALS.values()]
# Knobs that sweeps before them did not set ran at these values (the code's defaults then).
UNSET = {"model.layer_lr_decay": 1.0}
TIE = 0.003


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="table sweeps that already finished instead of rerunning")
    args = parser.parse_args()
    began = time.perf_counter()
    tables, wall = [], 0.0
    for name, overrides in SWEEPS.items():
        sweep_dir = run_sweep(name, overrides, reuse=args.reuse)
        tables.append(jobs(sweep_dir))
        wall += wall_seconds(sweep_dir) if args.reuse else 0.0
    table = pd.concat(tables, ignore_index=True).fillna(UNSET)
    table = table.sort_values(["val/f1_macro", "val/acc"], ascending=False)
    best = table["val/f1_macro"].max()
    close = table[table["val/f1_macro"] >= best - TIE]
    winner = close.sort_values(["trainer.max_epochs", "val/f1_macro"], ascending=[True, False]).index[0]
    rows = [{"winner": "yes" if index == winner else ""} | {knob: row[knob] for knob in KNOBS}
            | {column: row[column] for column in COLUMNS} for index, row in table.iterrows()]
    notes = ("`experiment=finetune_minilm` with 10% warm-up, length-grouped batches, bf16 where the "
             "CPU has it; seed 1; validation split only (`test=false`); best first by validation macro F1. "
             f"Winner: the highest validation macro F1, or a recipe with fewer epochs within {TIE} of it.")
    write_results("recipes", rows, wall or time.perf_counter() - began, "Recipe search (validation only)", notes)


if __name__ == "__main__":
    main()
