"""Files and folders written whole or not at all, and a full disk said in one line.

A kill or a full disk in the middle of a write must never leave a partial file or folder under its final name (the
next reader would take it for complete): each is written beside its target and renamed into place. A full disk
(ENOSPC) ends the command with one line naming the file and the space left, instead of a long traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from emotion.utils.errors import UserError


def _folder_of(path: Path) -> Path:
    """The nearest existing folder at or above `path` (whose filesystem's free space counts)."""
    return next((p for p in (path, *path.parents) if p.is_dir()), Path("/"))


class DiskFull(UserError):
    """No space left while writing a file: one line naming it and the space left there."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        folder = _folder_of(path)
        free = shutil.disk_usage(folder).free
        super().__init__(
            f"no space left on the device writing {path} ({free / 2**20:.1f} MiB free in {folder}); "
            "free some space and run it again"
        )


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Around a write of `path`: a full disk becomes DiskFull naming it. (torch.save reports a full disk as a
    RuntimeError "... file write failed"; it counts when the disk there is full, under 1 MiB free.)"""
    try:
        yield
    except OSError as err:
        if err.errno != errno.ENOSPC:
            raise
        raise DiskFull(path) from err
    except RuntimeError as err:
        if "write failed" not in str(err) or shutil.disk_usage(_folder_of(Path(path))).free > 2**20:
            raise
        raise DiskFull(path) from err


@contextlib.contextmanager
def atomic_file(target: str | Path) -> Iterator[Path]:
    """A temporary path beside `target` to write; renamed onto it when the block succeeds, removed otherwise."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with writing(target):
            yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """A fresh folder beside `target` to write into; renamed onto `target` when the block ends without error
    (an older `target` is moved aside first and removed after), deleted when it fails."""
    target = Path(target)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        with writing(target):
            yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(partial, target)
    shutil.rmtree(old, ignore_errors=True)
