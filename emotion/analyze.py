"""Error analysis, as in the book: `python -m emotion.analyze ckpt_path=PATH [split=validation] [top_n=10]`.

Per-example cross-entropy on one split; the hardest and easiest examples as CSV and a Markdown report, with the
texts whose label differs between (or within) splits flagged: those cannot all be predicted right.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from emotion.analysis.outputs import predict_logits
from emotion.analysis.per_example_loss import conflicting_labels, per_example_losses, write_report
from emotion.models.checkpoint import load_classifier_and_data
from emotion.utils.command import hydra_command


def analyze(cfg: DictConfig) -> pd.DataFrame:
    model, datamodule = load_classifier_and_data(cfg)
    logits, labels = predict_logits(model.model, datamodule.eval_dataloader(cfg.split))
    frame = per_example_losses(logits, labels, datamodule.raw[cfg.split]["text"], model.labels)
    conflicts = conflicting_labels(datamodule.raw)
    frame["label_conflict"] = frame["text"].isin(set(conflicts["text"]))
    write_report(frame, conflicts, cfg.split, cfg.top_n, Path(cfg.paths.output_dir))
    return frame


@hydra_command("analyze")
def main(cfg: DictConfig) -> None:
    analyze(cfg)


if __name__ == "__main__":
    main()
