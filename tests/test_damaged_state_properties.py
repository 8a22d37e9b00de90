"""Every kind of state file the project reads back, cut at any byte or with any byte flipped (issue 36): what reads
it either refuses it in one line naming the file, or gives back exactly what the intact file holds. Nothing computed
from a damaged file passes as a result.

Binary formats (checkpoints and .npz archives, zip files with a checksum per member) take a flip of any bit. Text
formats (a study journal, metrics.json, a model folder's config.json, a resumed prediction output) carry no
checksum: a flip that turns one digit into another is valid text and no reader can tell, so they take flips of a
byte's high bit (never valid UTF-8 among ASCII) and cuts, which are what crashes and interrupted copies leave.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emotion.utils.errors import UserError
from tests.conftest import ONE_EPOCH
from tests.helpers.commands import run_command

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def damages(size: int, bits: tuple[int, ...]) -> st.SearchStrategy[tuple[str, int, int]]:
    """A cut at any offset (a kill mid-write, an interrupted copy), or a flip of one of `bits` of any byte."""
    return st.one_of(
        st.tuples(st.just("cut"), st.integers(0, size - 1), st.just(0)),
        st.tuples(st.just("flip"), st.integers(0, size - 1), st.sampled_from(bits)),
    )


def damaged(data: bytes, damage: tuple[str, int, int]) -> bytes:
    how, offset, bit = damage
    if how == "cut":
        return data[:offset]
    return data[:offset] + bytes([data[offset] ^ (1 << bit)]) + data[offset + 1 :]


ANY_BIT, HIGH_BIT = tuple(range(8)), (7,)


def refused_or_same(read: Callable[[Path], Any], good: Path, damage: tuple[str, int, int], same=None) -> None:
    """`read` of a damaged copy of `good` raises one line naming the file, or returns what `read(good)` returns."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / good.name
        path.write_bytes(damaged(good.read_bytes(), damage))
        try:
            got = read(path)
        except UserError as err:
            assert "\n" not in str(err) and str(path) in str(err), str(err)
            return
        (same or (lambda a, b: a == b))(got, read(good))


@pytest.fixture(scope="module")
def checkpoint(trained_run) -> Path:
    return Path(trained_run[1]["best_model_path"])


def state_of(path: Path) -> dict[str, torch.Tensor]:
    from emotion.models.checkpoint import load_classifier

    return load_classifier(str(path)).state_dict()


def same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@PROPERTY
@given(data=st.data())
def test_a_damaged_checkpoint_is_refused_or_read_whole(checkpoint: Path, data) -> None:
    damage = data.draw(damages(checkpoint.stat().st_size, ANY_BIT))
    refused_or_same(state_of, checkpoint, damage, same_state)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_eval_command_on_a_damaged_checkpoint_never_ends_in_a_traceback(
    capsys, monkeypatch, checkpoint: Path, data_dir: Path, tmp_path: Path, data
) -> None:
    damage = data.draw(damages(checkpoint.stat().st_size, ANY_BIT))
    path = tmp_path / "damaged.ckpt"
    path.write_bytes(damaged(checkpoint.read_bytes(), damage))
    args = (f"ckpt_path={path}", f"data.source={data_dir}", ONE_EPOCH[0], f"hydra.run.dir={tmp_path / 'eval'}")
    ran = run_command(capsys, monkeypatch, "emotion.eval", *args)
    assert "Traceback" not in ran.err
    if ran.code:
        assert ran.code == 1 and ran.err_lines == [f"error: ckpt_path={path}: " + ran.err_lines[0].split(": ", 2)[2]]
    else:  # read whole: only a flip in what no reader uses (a zip field) lets it through, and it is the same model
        same_state(state_of(path), state_of(checkpoint))


@pytest.fixture(scope="module")
def logits_file(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> tuple[Path, list[str], list[int]]:
    from emotion.data import load_splits
    from emotion.distillation.teacher import save_logits

    train = load_splits(str(data_dir))["train"].select(range(12))
    path = tmp_path_factory.mktemp("teacher") / "teacher.npz"
    logits = np.random.default_rng(0).normal(size=(12, 6)).astype(np.float32)
    save_logits(path, logits, train["text"], train["label"], 128, "a teacher")
    return path, train["text"], train["label"]


@PROPERTY
@given(data=st.data())
def test_damaged_teacher_logits_are_refused_or_read_whole(logits_file, tmp_path: Path, data) -> None:
    from emotion.distillation import teacher_logits

    good, texts, labels = logits_file
    damage = data.draw(damages(good.stat().st_size, ANY_BIT))
    refused_or_same(
        lambda path: teacher_logits(str(path), texts, labels, 128, tmp_path / "cache"),
        good,
        damage,
        np.testing.assert_array_equal,
    )


@pytest.fixture(scope="module")
def feature_cache(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path, data_dir: Path):
    from emotion.analysis.feature_cache import cached_hidden_states
    from emotion.data import EmotionDataModule

    datamodule = EmotionDataModule(str(data_dir), str(tiny_model), max_samples={"train": 8, "validation": 8, "test": 8})
    datamodule.setup()
    folder = tmp_path_factory.mktemp("features")
    cached_hidden_states(str(tiny_model), datamodule, "cls", folder)
    (path,) = folder.glob("*.npz")
    return path, datamodule


def same_features(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for split in a:
        np.testing.assert_array_equal(a[split][0], b[split][0])
        np.testing.assert_array_equal(a[split][1], b[split][1])


@PROPERTY
@given(data=st.data())
def test_a_damaged_feature_cache_is_refused_or_read_whole(feature_cache, data) -> None:
    """The reader refuses; the command then encodes the splits again (test_damaged_state shows the warning)."""
    from emotion.analysis.feature_cache import _read

    good, datamodule = feature_cache
    damage = data.draw(damages(good.stat().st_size, ANY_BIT))
    refused_or_same(lambda path: _read(path, datamodule), good, damage, same_features)


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from emotion.sweeps.study import make_storage

    path = tmp_path_factory.mktemp("study") / "study.journal"
    study = optuna.create_study(storage=make_storage(str(path)), study_name="s", direction="maximize")
    study.optimize(lambda trial: trial.suggest_float("lr", 1e-5, 1e-3, log=True), n_trials=3)
    return path


def trials_of(path: Path) -> list[tuple]:
    from emotion.sweeps.study import make_storage

    study = optuna.load_study(study_name="s", storage=make_storage(str(path)))
    return [(t.number, t.state, t.params, t.value) for t in study.get_trials()]


@PROPERTY
@given(data=st.data())
def test_a_damaged_study_journal_is_refused_or_read_to_its_last_whole_record(journal: Path, data) -> None:
    """A cut leaves the whole records before it, with one warning (a study continues from there); a damaged byte
    inside a record is one line."""
    whole = trials_of(journal)
    damage = data.draw(damages(journal.stat().st_size, HIGH_BIT))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / journal.name
        path.write_bytes(damaged(journal.read_bytes(), damage))
        try:
            trials = trials_of(path)
        except (UserError, KeyError) as err:  # KeyError: a journal cut before its study was created
            if isinstance(err, UserError):
                assert "\n" not in str(err) and str(path) in str(err), str(err)
            return
        # Read: a cut, or a flip of the last record's newline (which tears that record like a cut).
        for got, was in zip(trials, whole):  # each trial as the intact journal has it, or not yet finished
            assert got[:1] == was[:1]
            assert got == was or got[1] == optuna.trial.TrialState.RUNNING


@pytest.fixture(scope="module")
def metrics_file(tmp_path_factory: pytest.TempPathFactory, trained_run) -> Path:
    path = tmp_path_factory.mktemp("job") / "metrics.json"
    shutil.copy(Path(trained_run[0].paths.output_dir) / "metrics.json", path)
    return path


@PROPERTY
@given(data=st.data())
def test_a_damaged_metrics_file_is_left_out_or_read_whole(metrics_file: Path, data, caplog) -> None:
    from emotion.reporting.sweep_summary import _metrics

    damage = data.draw(damages(metrics_file.stat().st_size, HIGH_BIT))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "metrics.json"
        path.write_bytes(damaged(metrics_file.read_bytes(), damage))
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            got = _metrics(path)
        if got is None:  # left out of the summary, with one warning naming the file
            (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert warning.startswith(f"{path}: ") and "\n" not in warning
        else:
            assert got == _metrics(metrics_file)


@PROPERTY
@given(data=st.data())
def test_a_damaged_model_config_is_refused_or_read_whole(exported, data) -> None:
    from emotion.inference.hf_folder import model_labels

    good = exported[0] / "config.json"
    damage = data.draw(damages(good.stat().st_size, HIGH_BIT))

    def labels(path: Path) -> tuple[str, ...]:
        if path != good:  # the damaged copy's folder gets the other parts of a model folder
            for part in ("model.safetensors", "vocab.txt"):
                (path.parent / part).touch()
        return model_labels(path.parent)

    refused_or_same(labels, good, damage)


@PROPERTY
@given(data=st.data(), fmt=st.sampled_from(["jsonl", "csv"]))
def test_a_damaged_output_resumes_from_its_whole_rows(tmp_path: Path, data, fmt: str) -> None:
    """`predict --resume` keeps the output's rows up to the first damaged one, untouched, and redoes the rest."""
    from emotion.inference.bulk import csv_header, resume_point

    labels = [f"class{i}" for i in range(6)]
    rows = [
        {"text": f'text {i}, "quoted"\nline', "label": "class1", "probabilities": dict.fromkeys(labels, 0.1)}
        for i in range(6)
    ]
    if fmt == "jsonl":
        good = [(json.dumps(row) + "\n").encode() for row in rows]
    else:
        probabilities = ",".join(["0.100000"] * 6)
        quoted = [row["text"].replace('"', '""') for row in rows]
        good = [(",".join(csv_header(labels)) + "\n").encode()]
        good += [f'"{text}",class1,0.500000,{probabilities},False\n'.encode() for text in quoted]
    intact = b"".join(good)
    damage = data.draw(damages(len(intact), HIGH_BIT))
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(damaged(intact, damage))
    kept = resume_point(path, fmt, chunk=1, labels=labels)
    header = 1 if fmt == "csv" and path.stat().st_size else 0  # a whole header stays, even with no row after it
    assert path.read_bytes() == b"".join(good[: kept + header])  # whole rows of the intact output, nothing else


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resuming_an_output_of_another_model_is_one_line(tmp_path: Path, fmt: str) -> None:
    from emotion.data import DataError
    from emotion.inference.bulk import csv_header, resume_point

    path = tmp_path / f"out.{fmt}"
    other = ["negative", "positive"]
    row = {"text": "t", "label": "positive", "score": 0.9, "probabilities": {"negative": 0.1, "positive": 0.9}}
    path.write_text(json.dumps(row) + "\n" if fmt == "jsonl" else ",".join(csv_header(other)) + "\n")
    before = path.read_bytes()
    with pytest.raises(DataError, match=f"^--output {path}: its (rows|header)"):
        resume_point(path, fmt, chunk=1, labels=["sadness", "joy"])
    assert path.read_bytes() == before  # nothing cut


@pytest.mark.parametrize(
    ("field", "offset", "value"),
    [
        ("an 'encrypted' flag", 8, 0x01),  # general purpose bit flag: bit 0
        ("an unknown compression method", 10, 0x63),
        ("deflate on stored bytes", 10, 0x08),
        ("a member name that is not UTF-8", 46, 0xE1),  # its name's first byte; zipfile raised UnicodeDecodeError
        ("a member name torch cannot find", 46 + 8, ord("x")),  # "archive/x...": torch's reader, not zipfile
    ],
)
def test_a_flipped_field_in_the_zip_directory_is_refused(checkpoint: Path, tmp_path: Path, field, offset, value):
    """What the property test found beyond BadZipFile: zipfile raises RuntimeError, NotImplementedError or
    zlib.error for these, and each used to escape as a traceback."""
    import zipfile

    from emotion.storage.checkpoints import CheckpointError

    data = bytearray(checkpoint.read_bytes())
    with zipfile.ZipFile(checkpoint) as archive:
        member = max(archive.infolist(), key=lambda info: info.file_size).filename.encode()
    entry = data.rindex(member) - 46  # its entry in the central directory: 46 bytes of fields, then its name
    assert data[entry : entry + 4] == b"PK\x01\x02"
    data[entry + offset] = value
    path = tmp_path / "damaged.ckpt"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as refused:
        state_of(path)
    assert str(refused.value).startswith(f"ckpt_path={path}: "), (field, str(refused.value))
    assert "\n" not in str(refused.value)


def test_an_end_record_that_claims_several_disks_is_refused(checkpoint: Path, tmp_path: Path) -> None:
    """zipfile.is_zipfile raises BadZipFile itself for this one (instead of answering False)."""
    from emotion.storage.checkpoints import CheckpointError

    data = bytearray(checkpoint.read_bytes())
    data[data.rindex(b"PK\x06\x07") + 16] = 2  # the zip64 locator's "total number of disks" (torch writes zip64)
    path = tmp_path / "damaged.ckpt"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=f"^ckpt_path={re.escape(str(path))}: not a checkpoint"):
        state_of(path)
