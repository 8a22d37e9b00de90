"""Faults that name themselves: Hydra's override errors as the project's one line, model folders written whole or
not at all, and a folder missing a part refused in one line by every command that loads one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emotion.inference import Predictor
from emotion.inference.hf_folder import atomic_folder, check_model_folder
from emotion.utils.command import check_overrides
from emotion.utils.hub import SourceError
from tests.conftest import ROOT
from tests.helpers.commands import run_command


@pytest.mark.parametrize(
    ("command", "override", "line"),
    [
        (
            "eval",
            "model=minilm_offline",
            "error: model=...: python -m emotion.eval has no 'model' option (its config "
            "groups: data, debug, logger, paths, trainer; a new key needs +key=value)",
        ),
        (
            "train",
            "trainer.max_epoch=3",
            "error: trainer.max_epoch: no such key in python -m emotion.train's config "
            "(did you mean trainer.max_epochs?)",
        ),
        (
            "train",
            "model=nosuch",
            "error: model=nosuch: no such model option (one of: distilbert, minilm_offline, mpnet_offline)",
        ),
        ("train", "~nosuch", "error: ~nosuch: no such key to delete in python -m emotion.train's config"),
        ("train", "+seed=1", "error: +seed: seed already exists; set it with seed=..."),
        (
            "export",
            "opset==",
            "error: opset==: not an override Hydra can read (key=value, +key=value, ~key; quote values with spaces)",
        ),
    ],
)
def test_override_mistakes_are_one_line(command: str, override: str, line: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        check_overrides(command, ["ckpt_path=x.ckpt", override])
    assert str(stopped.value) == line
    check_overrides(command, ["ckpt_path=x.ckpt"])  # a good command line passes


@pytest.mark.slow
def test_the_command_line_gets_the_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emotion.eval", "ckpt_path=x.ckpt", "model=minilm_offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: model=...: python -m emotion.eval has no 'model' option (its config groups: data, debug, logger, "
        "paths, trainer; a new key needs +key=value)"
    ]


def test_a_folder_is_renamed_into_place_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "model"
    with atomic_folder(target) as partial:
        (partial / "config.json").write_text("{}")
        assert not target.exists()  # nothing under the final name while it is written
    assert (target / "config.json").read_text() == "{}"
    with pytest.raises(RuntimeError), atomic_folder(target) as partial:
        (partial / "config.json").write_text('{"half": true}')
        raise RuntimeError("killed mid-export")
    assert (target / "config.json").read_text() == "{}"  # the previous folder stands
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # and no partial one is left


def test_a_model_folder_missing_a_part_is_refused_in_one_line(capsys, monkeypatch, exported, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(exported[0], folder)
    check_model_folder(folder)
    (folder / "model.safetensors").unlink()  # what a killed copy leaves
    message = (
        f"{folder}: not a complete model folder: no a weights file (model.safetensors, "
        "model.safetensors.index.json); an interrupted export or copy? export it again"
    )
    with pytest.raises(SourceError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        Predictor(folder)
    for command in (["emotion.predict", f"model={folder}", "hi"], ["emotion.serve", f"model={folder}"]):
        result = run_command(capsys, monkeypatch, *command)
        assert result.code == 1 and result.err_lines == [f"error: {message}"], command


def on_a_full_disk(mount: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """`argv` with a 2 MiB tmpfs mounted at `mount`, in a user and mount namespace of its own (no root needed);
    the files left there are listed on stdout after a `=== files` line (the mount goes with the namespace)."""
    mount.mkdir()
    script = (
        f'mount -t tmpfs -o size=2m tmpfs {mount} || exit 9; "$@"; code=$?; '
        f'echo "=== files"; find {mount} -type f; exit $code'
    )
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=2m tmpfs {mount}"], capture_output=True, text=True
    )
    if probe.returncode:
        pytest.skip(f"cannot mount a small filesystem here: {probe.stderr.strip()}")
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_a_full_disk_while_training_is_one_line_and_leaves_no_partial_file(tmp_path: Path, tiny_model: Path) -> None:
    mount = tmp_path / "small"
    result = on_a_full_disk(
        mount,
        [
            sys.executable,
            "-m",
            "emotion.train",
            "debug=default",
            "~callbacks.umap",
            f"model.pretrained={tiny_model}",
            f"hydra.run.dir={mount}/run",
            "trainer.max_epochs=3",
        ],
    )
    assert result.returncode == 1, result.stderr[-2000:]
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: no space left on the device writing {mount}/run/"), result.stderr[-3000:]
    assert " MiB free in " in line and line.endswith("; free some space and run it again")
    assert "Traceback" not in result.stderr
    left = result.stdout.split("=== files\n")[1].split()
    assert any(name.endswith(".ckpt") for name in left)  # the checkpoints saved before the disk filled stay
    assert not [name for name in left if ".partial-" in name or name.endswith(".tmp")], left


@pytest.mark.slow
def test_a_full_disk_while_predicting_is_one_line(tmp_path: Path, exported, data_dir: Path) -> None:
    from emotion.data import load_splits

    texts = tmp_path / "tweets.txt"
    texts.write_text("\n".join(load_splits(str(data_dir))["train"]["text"][:12000]) + "\n")
    mount = tmp_path / "small"
    result = on_a_full_disk(
        mount,
        [
            sys.executable,
            "-m",
            "emotion.predict",
            f"model={exported[0]}",
            "--file",
            str(texts),
            "--output",
            f"{mount}/predictions.jsonl",
        ],
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"error: no space left on the device writing {mount}/predictions.jsonl (")
    )
