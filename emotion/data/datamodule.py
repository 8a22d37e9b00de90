"""Tokenized emotion splits served as dynamically padded batches."""

from __future__ import annotations

from typing import Literal

import lightning as L
import torch
from datasets import Dataset, DatasetDict
from torch.utils.data import DataLoader
from transformers import AutoTokenizer, DataCollatorWithPadding, PreTrainedTokenizerBase
from transformers.trainer_pt_utils import LengthGroupedSampler

from emotion.data.splits import SPLITS, load_splits
from emotion.utils.hub import from_pretrained

Padding = Literal["batch", "global"]


class EmotionDataModule(L.LightningDataModule):
    """Tokenizes once with the checkpoint's own tokenizer; pads each batch only to its own longest item.

    `padding="global"` pads every batch to the longest tokenized text of the whole data set, as the book's
    `map(tokenize, batched=True, batch_size=None)` does; it exists to measure what dynamic padding saves.
    """

    def __init__(
        self,
        source: str,
        tokenizer: str,
        max_length: int = 128,
        batch_size: int = 64,
        eval_batch_size: int = 128,
        num_workers: int = 0,
        group_by_length: bool = False,
        padding: Padding = "batch",
        max_samples: dict[str, int] | None = None,
        seed: int = 42,
    ) -> None:
        super().__init__()
        if padding not in ("batch", "global"):
            raise ValueError(f"data.padding: expected 'batch' or 'global', got {padding!r}")
        self.save_hyperparameters(logger=False)
        self.tokenizer: PreTrainedTokenizerBase = from_pretrained(AutoTokenizer.from_pretrained, tokenizer, "tokenizer")
        self.raw: DatasetDict | None = None
        self.tokenized: DatasetDict | None = None
        self.collator: DataCollatorWithPadding | None = None
        self.lengths: dict[str, list[int]] = {}

    def prepare_data(self) -> None:
        """Downloads a Hub source once per node; a local directory is read (and so checked) before setup."""
        load_splits(self.hparams.source)

    def setup(self, stage: str | None = None) -> None:
        if self.tokenized is not None:
            return
        self.raw = self._subsampled(load_splits(self.hparams.source))
        self.tokenized = self.raw.map(self._tokenize, batched=True, remove_columns=["text"])
        self.tokenized = self.tokenized.rename_column("label", "labels")
        self.lengths = {name: list(split["length"]) for name, split in self.tokenized.items()}
        self.tokenized = self.tokenized.remove_columns("length")
        if self.hparams.padding == "global":
            longest = max(max(lengths) for lengths in self.lengths.values())
            self.collator = DataCollatorWithPadding(self.tokenizer, padding="max_length", max_length=longest)
        else:
            self.collator = DataCollatorWithPadding(self.tokenizer, padding="longest")
        self.tokenized.set_format("torch")

    def _subsampled(self, splits: DatasetDict) -> DatasetDict:
        """A reproducible random subset per split, for debug runs and tests."""
        limits = self.hparams.max_samples or {}
        unknown = set(limits) - set(SPLITS)
        if unknown:
            raise ValueError(f"data.max_samples: unknown split {sorted(unknown)[0]!r} (expected {', '.join(SPLITS)})")
        return DatasetDict(
            {
                name: split.shuffle(seed=self.hparams.seed).select(range(min(limits[name], len(split))))
                if name in limits
                else split
                for name, split in splits.items()
            }
        )

    def _tokenize(self, batch: dict[str, list]) -> dict[str, list]:
        encoded = self.tokenizer(batch["text"], truncation=True, max_length=self.hparams.max_length)
        encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
        return encoded

    def dataset(self, split: str) -> Dataset:
        if self.tokenized is None:
            self.setup()
        return self.tokenized[split]

    def train_dataloader(self) -> DataLoader:
        split = self.dataset("train")
        if self.hparams.group_by_length:
            generator = torch.Generator().manual_seed(self.hparams.seed)
            sampler = LengthGroupedSampler(self.hparams.batch_size, lengths=self.lengths["train"], generator=generator)
            return self._loader(split, self.hparams.batch_size, sampler=sampler)
        return self._loader(split, self.hparams.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.eval_dataloader("validation")

    def test_dataloader(self) -> DataLoader:
        return self.eval_dataloader("test")

    def eval_dataloader(self, split: str) -> DataLoader:
        """Any split in file order, unshuffled: row i of the output is row i of `raw[split]`."""
        return self._loader(self.dataset(split), self.hparams.eval_batch_size)

    def _loader(self, split: Dataset, batch_size: int, **kwargs) -> DataLoader:
        return DataLoader(
            split,
            batch_size=batch_size,
            collate_fn=self.collator,
            num_workers=self.hparams.num_workers,
            persistent_workers=self.hparams.num_workers > 0,
            **kwargs,
        )
