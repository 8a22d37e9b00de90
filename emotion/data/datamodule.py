"""Tokenized emotion splits served as dynamically padded batches."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import lightning as L
import numpy as np
from datasets import Dataset, DatasetDict
from lightning.pytorch.accelerators import CUDAAccelerator
from lightning.pytorch.trainer.states import TrainerFn
from torch.utils.data import DataLoader
from transformers import AutoTokenizer, DataCollatorWithPadding, PreTrainedTokenizerBase

from emotion.data.sampling import EpochOrder, shard
from emotion.data.splits import label_names, load_splits, subsample
from emotion.utils.errors import ConfigError
from emotion.utils.hub import from_pretrained

Padding = Literal["batch", "global"]
GPU_PAD_MULTIPLE = 8


def per_device_batch_size(global_batch: int, world_size: int, accumulation: int) -> int:
    """The batch each device loads so that one optimizer step sees `global_batch` samples."""
    parts = world_size * accumulation
    if global_batch % parts:
        raise ConfigError(
            f"data.batch_size={global_batch} (the global batch) does not divide into {world_size} "
            f"device(s) x {accumulation} accumulation step(s); use a multiple of {parts}"
        )
    return global_batch // parts


def tokenize_with_lengths(
    batch: dict[str, list], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> dict[str, list]:
    """Token ids of a batch of texts, with each text's length (for length grouping and sorting)."""
    encoded = tokenizer(batch["text"], truncation=True, max_length=max_length)
    encoded["length"] = [len(ids) for ids in encoded["input_ids"]]
    return encoded


class EmotionDataModule(L.LightningDataModule):
    """Tokenizes once with the checkpoint's own tokenizer; pads each batch only to its own longest item.

    `padding="global"` pads every batch to the longest tokenized text of the whole data set, as the book's
    `map(tokenize, batched=True, batch_size=None)` does; it exists to measure what dynamic padding saves.

    `batch_size` is the global batch: under a Trainer each device loads batch_size / (devices x nodes x
    accumulation steps), so the book's 64 stays 64 per optimizer step on 1 or 8 devices. `eval_batch_size` is per
    device (evaluation batches change no result).

    `pad_to_multiple_of="auto"` rounds padded lengths up to a multiple of 8 when training on a GPU and leaves them
    alone elsewhere.

    Under DDP it shards every split over the ranks itself (the trainer's `use_distributed_sampler` is off): the
    training order depends on (seed, epoch) only, and every checkpoint records how far into its epoch training
    was, so a resumed run continues with the next batch (emotion/data/sampling.py).
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
        pad_to_multiple_of: int | Literal["auto"] | None = None,
        max_samples: dict[str, int] | None = None,
        seed: int = 42,
        labels: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(logger=False)
        self.tokenizer: PreTrainedTokenizerBase = from_pretrained(AutoTokenizer.from_pretrained, tokenizer, "tokenizer")
        limit = self.tokenizer.model_max_length
        if max_length > limit:
            raise ConfigError(f"data.max_length={max_length}: above the model's limit of {limit} tokens ({tokenizer})")
        self.batch_size_per_device = batch_size
        self.raw: DatasetDict | None = None
        self.tokenized: DatasetDict | None = None
        self.collator: DataCollatorWithPadding | None = None
        self.lengths: dict[str, list[int]] = {}
        self._resume_at: tuple[int, int] | None = None

    def prepare_data(self) -> None:
        """Downloads a Hub source once per node; a local directory is read (and checked) once, in setup."""
        if not Path(self.hparams.source).expanduser().is_dir():
            load_splits(self.hparams.source, self.hparams.labels)

    def read(self) -> None:
        """Reads (and so checks) the splits, once: the training job does it before it builds the Trainer, so a bad
        data file's line is the first a user sees."""
        if self.raw is None:
            self.raw = subsample(
                load_splits(self.hparams.source, self.hparams.labels), self.hparams.max_samples, self.hparams.seed
            )

    @property
    def labels(self) -> tuple[str, ...]:
        """The class names in id order, as the data gives them (after `read`)."""
        self.read()
        return label_names(self.raw)

    def setup(self, stage: str | None = None) -> None:
        if self.trainer is not None:
            self.batch_size_per_device = per_device_batch_size(
                self.hparams.batch_size, self.trainer.world_size, self.trainer.accumulate_grad_batches
            )
        if self.tokenized is not None:
            return
        self.read()
        # A plain function, not a method: datasets hashes what it maps with, and a method would drag in the trainer
        # attached to this module, and hashing it takes seconds.
        tokenize = functools.partial(
            tokenize_with_lengths, tokenizer=self.tokenizer, max_length=self.hparams.max_length
        )
        self.tokenized = self.raw.map(tokenize, batched=True, remove_columns=["text"])
        self.tokenized = self.tokenized.rename_column("label", "labels")
        self.lengths = {name: list(split["length"]) for name, split in self.tokenized.items()}
        self.tokenized = self.tokenized.remove_columns("length")
        if self.hparams.padding == "global":
            longest = max(max(lengths) for lengths in self.lengths.values())
            self.collator = DataCollatorWithPadding(self.tokenizer, padding="max_length", max_length=longest)
        else:
            self.collator = DataCollatorWithPadding(
                self.tokenizer, padding="longest", pad_to_multiple_of=self._pad_multiple()
            )
        self.tokenized.set_format("torch")

    def _pad_multiple(self) -> int | None:
        multiple = self.hparams.pad_to_multiple_of
        if multiple == "auto":
            on_gpu = self.trainer is not None and isinstance(self.trainer.accelerator, CUDAAccelerator)
            return GPU_PAD_MULTIPLE if on_gpu else None
        return multiple

    def dataset(self, split: str) -> Dataset:
        if self.tokenized is None:
            self.setup()
        return self.tokenized[split]

    def add_train_column(self, name: str, values: np.ndarray) -> None:
        """Per-example training targets beside the tokens, row i for training text i (a teacher's logits): every
        training batch then carries them under `name`, in whatever order the sampler draws."""
        train = self.dataset("train")
        if len(values) != len(train):
            raise ValueError(f"{name}: {len(values)} rows for {len(train)} training texts")
        if name in train.column_names:
            train = train.remove_columns(name)
        self.tokenized["train"] = train.add_column(name, values.tolist()).with_format("torch")

    def _rank(self) -> tuple[int, int]:
        """(global rank, world size) of the trainer this module is attached to; (0, 1) without one."""
        return (self.trainer.global_rank, self.trainer.world_size) if self.trainer is not None else (0, 1)

    def train_dataloader(self) -> DataLoader:
        split = self.dataset("train")
        rank, world_size = self._rank()
        order = EpochOrder(
            len(split),
            self.batch_size_per_device,
            self.hparams.seed,
            rank=rank,
            world_size=world_size,
            lengths=self.lengths["train"] if self.hparams.group_by_length else None,
        )
        if self._resume_at is not None:
            order.resume(*self._resume_at)
            self._resume_at = None
        return self._loader(split, self.batch_size_per_device, sampler=order)

    def state_dict(self) -> dict[str, int]:
        """Saved in every checkpoint written while fitting: the epoch and how many of this rank's batches of it
        were trained (optimizer step done)."""
        if self.trainer is None or self.trainer.state.fn != TrainerFn.FITTING:
            return {}
        progress = self.trainer.fit_loop.epoch_loop.batch_progress.current
        return {"epoch": self.trainer.current_epoch, "batches": progress.processed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self._resume_at = (state["epoch"], state["batches"])

    def val_dataloader(self) -> DataLoader:
        return self._length_sorted_loader("validation")

    def test_dataloader(self) -> DataLoader:
        return self._length_sorted_loader("test")

    def _length_sorted_loader(self, split: str) -> DataLoader:
        """Lightning's validation and test loops, whose metrics do not depend on order: texts by length, so a batch
        pads to little more than its own texts."""
        dataset = self.dataset(split)
        order = sorted(range(len(dataset)), key=self.lengths[split].__getitem__)
        return self._loader(dataset, self.hparams.eval_batch_size, sampler=shard(order, *self._rank()))

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
