"""A look at the data, as the book opens with: `python -m emotion.explore [data=local] [model=...]`.

Writes the class-frequency chart, the words-per-tweet box plot per emotion, and a summary table (counts per
split, length percentiles, tokens per tweet with the chosen tokenizer, share truncated at `data.max_length`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig
from transformers import AutoTokenizer

from emotion.data.splits import label_names, load_splits
from emotion.reporting.figures import class_balance_figure, save, words_per_tweet_figure
from emotion.storage.tables import markdown_table, write_json
from emotion.utils.command import hydra_command
from emotion.utils.hub import from_pretrained

log = logging.getLogger(__name__)
PERCENTILES = (50, 90, 99, 100)


def _percentiles(values: list[int], prefix: str) -> dict[str, float]:
    return {f"{prefix}_p{q}": float(np.percentile(values, q)) for q in PERCENTILES}


def summarize(cfg: DictConfig) -> list[dict[str, Any]]:
    splits = load_splits(cfg.data.source, cfg.data.get("labels"))
    names = label_names(splits)
    tokenizer = from_pretrained(AutoTokenizer.from_pretrained, cfg.data.tokenizer, "tokenizer")
    out_dir = Path(cfg.paths.output_dir)
    rows = []
    for name, split in splits.items():
        texts, labels = list(split["text"]), list(split["label"])
        counts = np.bincount(labels, minlength=len(names))
        words = [len(text.split()) for text in texts]
        tokens = [len(ids) for ids in tokenizer(texts, truncation=False)["input_ids"]]
        rows.append(
            {"split": name, "examples": len(split)}
            | dict(zip(names, counts.tolist(), strict=True))
            | _percentiles(words, "words")
            | _percentiles(tokens, "tokens")
            | {f"truncated_at_{cfg.data.max_length}": float(np.mean(np.array(tokens) > cfg.data.max_length))}
        )
    save(
        class_balance_figure({row["split"]: [row[name] for name in names] for row in rows}, names),
        out_dir / "class_balance.png",
    )
    train = splits["train"]
    words_by_label = {
        name: [len(t.split()) for t, lab in zip(train["text"], train["label"], strict=True) if lab == label]
        for label, name in enumerate(names)
    }
    save(words_per_tweet_figure(words_by_label), out_dir / "words_per_tweet.png")
    write_json(rows, out_dir / "summary.json")
    table = markdown_table(rows)
    (out_dir / "summary.md").write_text(
        f"# The emotion data ({cfg.data.source})\n\nTokenizer: {cfg.data.tokenizer}\n\n{table}"
    )
    log.info("Data summary:\n%s", table)
    return rows


@hydra_command("explore")
def main(cfg: DictConfig) -> None:
    summarize(cfg)


if __name__ == "__main__":
    main()
