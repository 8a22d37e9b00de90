"""Error analysis, as in the book: `python -m emotion.analyze ckpt_path=PATH [split=validation] [top_n=10]`.

Per-example cross-entropy on one split; the hardest and easiest examples as CSV and a Markdown report, with the
texts whose label differs between (or within) splits flagged: those cannot all be predicted right.
"""

from __future__ import annotations

from pathlib import Path

import hydra
import numpy as np
import pandas as pd
from datasets import DatasetDict
from omegaconf import DictConfig
from scipy.special import log_softmax

from emotion.checkpoints import load_classifier_and_data
from emotion.inference import predict_logits
from emotion.labels import EMOTIONS
from emotion.reports import markdown_table
from emotion.utils.errors import one_line_errors

SHOWN = ["text", "label", "predicted", "loss", "label_conflict"]


def per_example_losses(logits: np.ndarray, labels: np.ndarray, texts: list[str]) -> pd.DataFrame:
    """One row per example in split order: gold, prediction, cross-entropy and every class probability."""
    log_probs = log_softmax(logits, axis=-1)
    frame = pd.DataFrame(
        {
            "text": texts,
            "label": [EMOTIONS[i] for i in labels],
            "predicted": [EMOTIONS[i] for i in log_probs.argmax(axis=-1)],
            "loss": -log_probs[np.arange(len(labels)), labels],
        }
    )
    for index, name in enumerate(EMOTIONS):
        frame[f"p_{name}"] = np.exp(log_probs[:, index])
    return frame


def conflicting_labels(splits: DatasetDict) -> pd.DataFrame:
    """Texts that carry more than one label anywhere in the data (a distant-labelling artefact)."""
    rows = [
        {"text": text, "split": name, "label": EMOTIONS[label]}
        for name, split in splits.items()
        for text, label in zip(split["text"], split["label"], strict=True)
    ]
    frame = pd.DataFrame(rows)
    labels_per_text = frame.groupby("text")["label"].nunique()
    conflicted = labels_per_text[labels_per_text > 1].index
    return frame[frame["text"].isin(conflicted)].sort_values(["text", "split"]).reset_index(drop=True)


def write_report(frame: pd.DataFrame, conflicts: pd.DataFrame, split: str, top_n: int, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    ranked = frame.sort_values("loss", ascending=False)
    ranked.to_csv(out_dir / f"losses_{split}.csv", index=False)
    hardest, easiest = ranked.head(top_n), ranked.tail(top_n).iloc[::-1]
    hardest.to_csv(out_dir / f"hardest_{split}.csv", index=False)
    easiest.to_csv(out_dir / f"easiest_{split}.csv", index=False)
    accuracy = float((frame["label"] == frame["predicted"]).mean())
    sections = [
        f"# Error analysis: {split} split\n",
        f"{len(frame)} examples, accuracy {accuracy:.4f}, mean loss {frame['loss'].mean():.4f}; "
        f"{int(frame['label_conflict'].sum())} texts here also appear with another label.\n",
        f"## Hardest {top_n} (highest loss)\n",
        markdown_table(hardest[SHOWN].to_dict("records")),
        f"\n## Easiest {top_n} (lowest loss)\n",
        markdown_table(easiest[SHOWN].to_dict("records")),
        "\n## Texts with conflicting labels across the data\n",
        markdown_table(conflicts.to_dict("records")),
    ]
    (out_dir / f"report_{split}.md").write_text("\n".join(sections))


def analyze(cfg: DictConfig) -> pd.DataFrame:
    model, datamodule = load_classifier_and_data(cfg)
    logits, labels = predict_logits(model.model, datamodule.eval_dataloader(cfg.split))
    frame = per_example_losses(logits, labels, datamodule.raw[cfg.split]["text"])
    conflicts = conflicting_labels(datamodule.raw)
    frame["label_conflict"] = frame["text"].isin(set(conflicts["text"]))
    write_report(frame, conflicts, cfg.split, cfg.top_n, Path(cfg.paths.output_dir))
    return frame


@hydra.main(version_base="1.3", config_path="../conf", config_name="analyze.yaml")
@one_line_errors
def main(cfg: DictConfig) -> None:
    analyze(cfg)


if __name__ == "__main__":
    main()
