"""Checkpoints read back from disk: whole, in torch's zip format, and loaded weights-only, so a file cut short by an
interrupted copy, a foreign format or a pickle that carries code is refused in one line naming the file, and
nothing in it runs."""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from emotion.storage.zips import ZIP_READ_ERRORS
from emotion.utils.errors import ConfigError
from emotion.utils.hub import first_line

T = TypeVar("T")


class CheckpointError(ConfigError):
    """A `ckpt_path` (or teacher) that is missing, damaged or not a checkpoint this project wrote."""


def intact(path: Path) -> bool:
    """A complete torch zip archive whose every member matches its CRC (a truncated file has no zip directory)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except ZIP_READ_ERRORS:  # a damaged header field reaches errors beyond BadZipFile
        return False


def _is_zip(path: Path) -> bool:
    """zipfile.is_zipfile, which raises itself for an end record that claims several disks (a flipped field)."""
    try:
        return zipfile.is_zipfile(path)
    except ZIP_READ_ERRORS:
        return False


def checked(path: str | Path, key: str = "ckpt_path") -> Path:
    """`path` when it is a whole checkpoint archive; else one line naming it and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{key}={path}: no such checkpoint")
    if not _is_zip(path):
        raise CheckpointError(
            f"{key}={path}: not a checkpoint (torch's zip format): cut short by an interrupted copy, or another "
            "format such as a bare pickle, which is never loaded"
        )
    if not intact(path):
        raise CheckpointError(f"{key}={path}: truncated or corrupt (a member fails its checksum); copy it again")
    return path


def load_checked(path: str | Path, load: Callable[[Path], T], key: str = "ckpt_path") -> T:
    """`load(path)` (a weights-only load) of a checked checkpoint, its refusals as one line: objects beyond
    tensors and plain data, a checkpoint without what this project's checkpoints hold, or an archive torch's own
    reader finds damaged where zipfile's checks passed."""
    path = checked(path, key)
    try:
        return load(path)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{key}={path}: holds objects a weights-only load refuses ({first_line(err)[:160]}); not loaded"
        ) from None
    except KeyError as err:
        raise CheckpointError(f"{key}={path}: not a checkpoint of this project (no {err} in it)") from None
    except ZIP_READ_ERRORS as err:  # a directory zipfile accepts and torch's reader does not (a flipped field)
        raise CheckpointError(f"{key}={path}: truncated or corrupt ({first_line(err)[:160]}); copy it again") from None
