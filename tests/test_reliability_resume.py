"""Resume: `ckpt_path=last` with nothing to resume is an error, checkpoints are written atomically, and a corrupt
newest checkpoint falls back to the newest intact one with a warning naming both. (The kill -9 and resume run is
in test_research.py.)"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import pytest
import torch

from emotion.storage.checkpoints import intact
from emotion.training.resume import AtomicCheckpointIO, resume_path
from emotion.utils.errors import ConfigError
from tests.helpers.commands import run_command


def save(path: Path, step: int, age: float = 0.0) -> Path:
    AtomicCheckpointIO().save_checkpoint({"global_step": step, "weights": torch.zeros(1000)}, path)
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime - age))
    return path


def test_last_with_no_checkpoint_is_an_error(capsys, monkeypatch, tmp_path: Path, tiny_model: Path) -> None:
    with pytest.raises(ConfigError, match=f"^ckpt_path=last: no checkpoint in {tmp_path}; resume needs"):
        resume_path("last", tmp_path)
    with pytest.raises(ConfigError, match=f"^ckpt_path={tmp_path / 'x.ckpt'}: no such checkpoint$"):
        resume_path(str(tmp_path / "x.ckpt"), tmp_path)
    result = run_command(
        capsys,
        monkeypatch,
        "emotion.train",
        "ckpt_path=last",
        "logger=csv",
        f"model.pretrained={tiny_model}",
        f"hydra.run.dir={tmp_path / 'typo'}",
    )
    assert result.code == 1
    assert result.err_lines[-1].startswith(
        f"error: ckpt_path=last: no checkpoint in {tmp_path / 'typo' / 'checkpoints'}"
    )


def test_the_newest_intact_checkpoint_is_used(tmp_path: Path, caplog) -> None:
    older = save(tmp_path / "epoch_00-step_50.ckpt", 50, age=20)
    middle = save(tmp_path / "last.ckpt", 60, age=10)
    newest = save(tmp_path / "last_periodic.ckpt", 70)
    assert resume_path("last", tmp_path) == str(newest)

    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])  # killed half-way through a save
    assert not intact(newest) and intact(middle)
    with caplog.at_level(logging.WARNING, logger="emotion"):
        assert resume_path("last", tmp_path) == str(middle)
    assert f"{newest} is truncated or corrupt; resuming from {middle}, the newest intact checkpoint" in caplog.messages

    data = bytearray(middle.read_bytes())
    data[len(data) // 2] ^= 0xFF  # a flipped byte inside the archive: its CRC no longer matches
    middle.write_bytes(bytes(data))
    os.utime(middle, (middle.stat().st_atime, newest.stat().st_mtime - 10))
    assert resume_path("last", tmp_path) == str(older)
    older.write_bytes(b"")
    with pytest.raises(ConfigError, match="every checkpoint in .* is truncated or corrupt"):
        resume_path("last", tmp_path)


def test_a_failed_save_leaves_the_previous_checkpoint_whole(tmp_path: Path) -> None:
    path = save(tmp_path / "last.ckpt", 10)
    with pytest.raises((pickle.PicklingError, AttributeError)):  # a lambda does not pickle
        AtomicCheckpointIO().save_checkpoint({"global_step": 11, "unpicklable": lambda: None}, path)
    assert torch.load(path, weights_only=False)["global_step"] == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]  # no temporary file left behind
