"""Tokenization with the checkpoint's tokenizer and padding per batch."""

from __future__ import annotations

from pathlib import Path

import torch

from emotion.data import EmotionDataModule


def make_datamodule(data_dir: Path, tiny_model: Path, **kwargs) -> EmotionDataModule:
    options = {"max_samples": {"train": 640, "validation": 256, "test": 256}, "batch_size": 32} | kwargs
    datamodule = EmotionDataModule(str(data_dir), str(tiny_model), **options)
    datamodule.setup("fit")
    return datamodule


def test_each_batch_is_padded_to_its_own_longest_item(data_dir: Path, tiny_model: Path) -> None:
    datamodule = make_datamodule(data_dir, tiny_model)
    widths = set()
    for batch in datamodule.train_dataloader():
        lengths = batch["attention_mask"].sum(dim=1)
        assert batch["input_ids"].shape[1] == int(lengths.max())
        assert set(batch) >= {"input_ids", "attention_mask", "labels"}
        widths.add(batch["input_ids"].shape[1])
    assert len(widths) > 1


def test_global_padding_pads_everything_to_the_longest_text(data_dir: Path, tiny_model: Path) -> None:
    datamodule = make_datamodule(data_dir, tiny_model, padding="global")
    longest = max(max(lengths) for lengths in datamodule.lengths.values())
    for loader in (datamodule.train_dataloader(), datamodule.val_dataloader()):
        assert {batch["input_ids"].shape[1] for batch in loader} == {longest}


def test_length_grouping_pads_less_and_keeps_every_example(data_dir: Path, tiny_model: Path) -> None:
    def padded_tokens(datamodule: EmotionDataModule) -> tuple[int, int]:
        cells = seen = 0
        for batch in datamodule.train_dataloader():
            cells += batch["input_ids"].numel()
            seen += len(batch["labels"])
        return cells, seen

    plain, grouped = (make_datamodule(data_dir, tiny_model, group_by_length=g) for g in (False, True))
    plain_cells, plain_seen = padded_tokens(plain)
    grouped_cells, grouped_seen = padded_tokens(grouped)
    assert plain_seen == grouped_seen == 640
    assert grouped_cells < 0.8 * plain_cells


def test_truncation_and_checkpoint_tokenizer(data_dir: Path, tiny_model: Path) -> None:
    datamodule = make_datamodule(data_dir, tiny_model, max_length=8)
    assert datamodule.tokenizer.name_or_path == str(tiny_model)
    batch = next(iter(datamodule.val_dataloader()))
    assert batch["input_ids"].shape[1] == 8
    assert torch.all(batch["input_ids"][:, 0] == datamodule.tokenizer.cls_token_id)


def test_subsets_are_seeded_and_sized(data_dir: Path, tiny_model: Path) -> None:
    first, second = (make_datamodule(data_dir, tiny_model) for _ in range(2))
    assert {name: len(split) for name, split in first.raw.items()} == {"train": 640, "validation": 256, "test": 256}
    assert first.raw["train"]["text"] == second.raw["train"]["text"]


def test_tiny_vocab_covers_the_data(data_dir: Path, tiny_model: Path) -> None:
    datamodule = make_datamodule(data_dir, tiny_model)
    ids = torch.cat([batch["input_ids"][batch["attention_mask"].bool()] for batch in datamodule.val_dataloader()])
    assert datamodule.tokenizer.vocab_size > 1000
    assert (ids == datamodule.tokenizer.unk_token_id).float().mean() < 0.02
