"""Checkpoints that survive a kill, and the one to resume from.

A checkpoint is written to a temporary file beside its target and renamed into place, so a kill during a save
leaves the previous file whole. `ckpt_path=last` takes the newest intact checkpoint of the run dir, warning when a
newer one is truncated or corrupt, and is an error when the run dir holds none (a mistyped run dir would
otherwise silently start training from scratch).
"""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path
from typing import Any

from lightning.pytorch.plugins.io import TorchCheckpointIO

from emotion.utils.errors import ConfigError

log = logging.getLogger(__name__)


class AtomicCheckpointIO(TorchCheckpointIO):
    """torch.save into `.<name>.tmp`, then an atomic rename onto the checkpoint's name."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None) -> None:
        path = Path(path)
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            super().save_checkpoint(checkpoint, temporary, storage_options)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)


def intact(path: Path) -> bool:
    """A complete torch zip archive whose every member matches its CRC (a truncated file has no zip directory)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def resume_path(ckpt_path: str | None, checkpoint_dir: Path) -> str | None:
    """The checkpoint `trainer.fit` resumes from: `ckpt_path` itself, or for "last" the newest intact one."""
    if ckpt_path is None:
        return None
    if ckpt_path != "last":
        if not Path(ckpt_path).is_file():
            raise ConfigError(f"ckpt_path={ckpt_path}: no such checkpoint")
        return ckpt_path
    candidates = sorted(Path(checkpoint_dir).glob("*.ckpt"), key=lambda p: p.stat().st_mtime, reverse=True)
    if not candidates:
        raise ConfigError(f"ckpt_path=last: no checkpoint in {checkpoint_dir}; resume needs hydra.run.dir=<the run dir "
                          "of the interrupted run>")
    for path in candidates:
        if intact(path):
            if path != candidates[0]:
                log.warning("%s is truncated or corrupt; resuming from %s, the newest intact checkpoint",
                            candidates[0], path)
            return str(path)
    raise ConfigError(f"ckpt_path=last: every checkpoint in {checkpoint_dir} is truncated or corrupt")
