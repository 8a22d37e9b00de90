"""A tiny, randomly initialised DistilBERT with a WordPiece vocab learnt from the data.

It exercises every code path in seconds with no pretrained weights: tests and smoke runs use it.
Usage: `python -m emotion.models.tiny OUT_DIR [--data DATA_DIR]`.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import BertWordPieceTokenizer
from transformers import DistilBertConfig, DistilBertForSequenceClassification, DistilBertTokenizerFast

from emotion.data.labels import EMOTIONS, ID2LABEL, LABEL2ID

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_checkpoint(
    out_dir: Path, texts: Iterable[str], vocab_size: int = 2000, dim: int = 32, layers: int = 2, seed: int = 0
) -> Path:
    """Writes a `save_pretrained` folder (model + tokenizer) that `from_pretrained` loads like a real one."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    wordpiece = BertWordPieceTokenizer(lowercase=True)
    wordpiece.train_from_iterator(texts, vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False)
    wordpiece.save_model(str(out_dir))
    tokenizer = DistilBertTokenizerFast.from_pretrained(out_dir, model_max_length=512)  # reads vocab.txt
    tokenizer.save_pretrained(out_dir)
    config = DistilBertConfig(
        vocab_size=tokenizer.vocab_size,
        dim=dim,
        hidden_dim=4 * dim,
        n_layers=layers,
        n_heads=2,
        max_position_embeddings=512,
        num_labels=len(EMOTIONS),
        id2label=ID2LABEL,
        label2id=LABEL2ID,
    )
    torch.manual_seed(seed)
    DistilBertForSequenceClassification(config).save_pretrained(out_dir)
    return out_dir


def main() -> None:
    from emotion.data import CARER_DIR, load_splits

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument(
        "--data", default=str(CARER_DIR), help="data directory or Hub id for the vocab (default: shipped)"
    )
    args = parser.parse_args()
    texts = load_splits(args.data)["train"]["text"]
    print(build_tiny_checkpoint(args.out_dir, texts))


if __name__ == "__main__":
    main()
