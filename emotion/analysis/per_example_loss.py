"""Error analysis by per-example loss, as in the book: which texts the model gets most wrong, and which texts
carry conflicting labels (those no model can get right)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from datasets import DatasetDict
from scipy.special import log_softmax

from emotion.storage.tables import markdown_table

SHOWN = ["text", "label", "predicted", "loss", "label_conflict"]


def per_example_losses(logits: np.ndarray, labels: np.ndarray, texts: list[str], names: Sequence[str]) -> pd.DataFrame:
    """One row per example in split order: gold, prediction, cross-entropy and every class probability (`names`:
    the classes in id order)."""
    log_probs = log_softmax(logits, axis=-1)
    frame = pd.DataFrame(
        {
            "text": texts,
            "label": [names[i] for i in labels],
            "predicted": [names[i] for i in log_probs.argmax(axis=-1)],
            "loss": -log_probs[np.arange(len(labels)), labels],
        }
    )
    for index, name in enumerate(names):
        frame[f"p_{name}"] = np.exp(log_probs[:, index])
    return frame


def conflicting_labels(splits: DatasetDict) -> pd.DataFrame:
    """Texts that carry more than one label anywhere in the data (a distant-labelling artefact)."""
    names = splits["train"].features["label"].names
    rows = [
        {"text": text, "split": name, "label": names[label]}
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
