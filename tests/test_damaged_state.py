"""State read back from disk that the project did not just write (issue 36): a checkpoint cut short, flipped,
foreign or carrying code is refused in one line naming the file, and nothing in it runs."""

from __future__ import annotations

import logging
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from emotion.data.labels import EMOTIONS
from emotion.storage.checkpoints import intact
from tests.conftest import ONE_EPOCH
from tests.helpers.commands import run_command


class Payload:
    """A pickle that runs a command when loaded: what a hostile checkpoint carries."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def damaged(kind: str, good: Path, folder: Path) -> Path:
    path = folder / f"{kind}.ckpt"
    data = good.read_bytes()
    if kind == "truncated":  # an interrupted copy
        path.write_bytes(data[:5000])
    elif kind == "flipped":  # a bit flipped inside the weights: the archive's directory is whole, a CRC is not
        with zipfile.ZipFile(good) as archive:
            member = max(archive.infolist(), key=lambda info: info.file_size)
            start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra) + 100
        path.write_bytes(data[:start] + bytes([data[start] ^ 0xFF]) + data[start + 1 :])
    elif kind == "pickle":  # a bare pickle that would run code
        path.write_bytes(pickle.dumps(Payload(folder / "ran")))
    elif kind == "torch-pickle":  # torch's own format, with code inside
        torch.save({"state_dict": {}, "hook": Payload(folder / "ran")}, path)
    elif kind == "foreign":  # a torch file of something else
        torch.save({"weights": torch.zeros(3)}, path)
    return path


CASES = {
    "truncated": "not a checkpoint (torch's zip format): cut short by an interrupted copy, or another format such as "
    "a bare pickle, which is never loaded",
    "flipped": "truncated or corrupt (a member fails its checksum); copy it again",
    "pickle": "not a checkpoint (torch's zip format): cut short by an interrupted copy, or another format such as a "
    "bare pickle, which is never loaded",
    "torch-pickle": "holds objects a weights-only load refuses (",
    "foreign": "not a checkpoint of this project (no 'pytorch-lightning_version' in it)",
}


@pytest.mark.parametrize("kind", CASES)
def test_a_damaged_or_hostile_checkpoint_is_one_line_and_runs_nothing(
    capsys, monkeypatch, trained_run, data_dir: Path, tmp_path: Path, kind: str
) -> None:
    path = damaged(kind, Path(trained_run[1]["best_model_path"]), tmp_path)
    for command in ("emotion.eval", "emotion.export"):
        ran = run_command(
            capsys,
            monkeypatch,
            command,
            f"ckpt_path={path}",
            f"data.source={data_dir}",
            ONE_EPOCH[0],
            f"hydra.run.dir={tmp_path / command}",
        )
        assert ran.code == 1, ran.err[-2000:]
        assert ran.err_lines == [ran.err_lines[-1]] and ran.err_lines[-1].startswith(f"error: ckpt_path={path}: ")
        assert CASES[kind] in ran.err_lines[-1], ran.err_lines[-1]
        assert "Traceback" not in ran.err
    assert not (tmp_path / "ran").exists(), "the checkpoint's code ran"


def test_resuming_from_a_damaged_checkpoint_is_one_line(tmp_path: Path, trained_run) -> None:
    from emotion.training.resume import resume_path
    from emotion.utils.errors import ConfigError

    path = damaged("truncated", Path(trained_run[1]["best_model_path"]), tmp_path)
    with pytest.raises(ConfigError, match=f"^ckpt_path={path}: not a checkpoint"):
        resume_path(str(path), tmp_path)


def bad_logits(kind: str, path: Path) -> Path:
    good = {"data_key": np.array("k"), "labels": np.array(EMOTIONS), "logits": np.zeros((4, 6), np.float32)}
    if kind == "truncated":
        np.savez(path, **good)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "not-an-archive":
        path.write_bytes(b"logits, 0.1, 0.2\n")
    elif kind == "pickled":
        np.savez(path, **good | {"logits": np.array([Payload(path.parent / "ran")], dtype=object)})
    elif kind == "missing":
        np.savez(path, weights=np.zeros(3))
    elif kind == "shape":
        np.savez(path, **good | {"logits": np.zeros(6, np.float32)})
    elif kind == "nan":
        np.savez(path, **good | {"logits": np.full((4, 6), np.nan, np.float32)})
    return path


LOGITS = {
    "truncated": "not a readable .npz archive (",
    "not-an-archive": "not a readable .npz archive (",
    "pickled": "not a readable .npz archive (Object arrays cannot be loaded when allow_pickle=False)",
    "missing": "not an archive of this kind (no logits, data_key, labels in it)",
    "shape": "logits of shape (6,) (float32), not one row per text and one column per label (6)",
    "nan": "logits that are not finite (NaN or infinity), the first in row 0",
}


@pytest.mark.parametrize("kind", LOGITS)
def test_a_damaged_logits_file_is_refused_in_one_line(data_dir: Path, tmp_path: Path, kind: str) -> None:
    from emotion.data import load_splits
    from emotion.distillation import teacher_logits
    from emotion.utils.errors import UserError

    path = bad_logits(kind, tmp_path / "teacher.npz")
    train = load_splits(str(data_dir))["train"].select(range(4))
    with pytest.raises(UserError) as refused:
        teacher_logits(str(path), train["text"], train["label"], 128, tmp_path / "cache")
    assert str(refused.value).startswith(f"model.teacher={path}: {LOGITS[kind]}") and "\n" not in str(refused.value)
    assert not (tmp_path / "ran").exists()


def test_the_training_command_stops_at_a_damaged_teacher_in_one_line(train_here, tmp_path: Path) -> None:
    path = bad_logits("pickled", tmp_path / "teacher.npz")
    ran = train_here(f"model.teacher={path}", f"hydra.run.dir={tmp_path / 'run'}")
    assert ran.code == 1 and ran.err_lines[-1].startswith(f"error: model.teacher={path}: {LOGITS['pickled']}"), ran.err
    assert "Traceback" not in ran.err and not (tmp_path / "ran").exists()
    assert not list((tmp_path / "run").glob("checkpoints/*.ckpt"))


def test_a_damaged_cache_is_made_again_with_one_warning(tiny_model: Path, data_dir: Path, tmp_path: Path, caplog):
    from emotion.analysis.feature_cache import cached_hidden_states
    from emotion.data import EmotionDataModule, load_splits
    from emotion.distillation import teacher_logits

    train = load_splits(str(data_dir))["train"].select(range(40))
    first = teacher_logits(str(tiny_model), train["text"], train["label"], 64, tmp_path / "logits")
    (cached,) = (tmp_path / "logits").glob("*.npz")
    datamodule = EmotionDataModule(str(data_dir), str(tiny_model), max_samples={"train": 8, "validation": 8, "test": 8})
    datamodule.setup()
    features = cached_hidden_states(str(tiny_model), datamodule, "cls", tmp_path / "features")
    (cached_features,) = (tmp_path / "features").glob("*.npz")
    for path in (cached, cached_features):
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # a kill mid-write, before atomic writes
    with caplog.at_level(logging.WARNING):
        again = teacher_logits(str(tiny_model), train["text"], train["label"], 64, tmp_path / "logits")
        features_again = cached_hidden_states(str(tiny_model), datamodule, "cls", tmp_path / "features")
    np.testing.assert_allclose(again, first, atol=1e-5)
    for split, (x, y) in features.items():
        np.testing.assert_allclose(features_again[split][0], x, atol=1e-5)
        np.testing.assert_array_equal(features_again[split][1], y)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("emotion")]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith(f"model.teacher={tiny_model} (its cached logits {cached}): not a readable .npz")
    assert warnings[0].endswith("; computing the teacher's logits again")
    assert warnings[1].startswith(f"feature cache {cached_features}: not a readable .npz archive")
    assert warnings[1].endswith("; encoding the splits again")
    assert intact(cached) and intact(cached_features)  # written again, whole
