"""Checkpoints that survive a kill, the one to resume from, and what a resume needs to continue exactly.

A checkpoint is written to a temporary file beside its target and renamed into place, so a kill during a save
leaves the previous file whole. `ckpt_path=last` takes the newest intact checkpoint of the run dir, warning when a
newer one is truncated or corrupt, and is an error when the run dir holds none (a mistyped run dir would
otherwise silently start training from scratch). A job that torchrun (`--max-restarts`) or SLURM (requeue) may start
again resumes the same way by itself, or starts afresh when nothing was saved yet.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from emotion.storage import writing
from emotion.storage.checkpoints import checked, intact
from emotion.utils.errors import ConfigError

log = logging.getLogger(__name__)


class AtomicCheckpointIO(TorchCheckpointIO):
    """torch.save into `.<name>.tmp`, then an atomic rename onto the checkpoint's name."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None) -> None:
        path = Path(path)
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            with writing(path):
                super().save_checkpoint(checkpoint, temporary, storage_options)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)


def relaunch() -> str | None:
    """Why this start may be the same job started again, or None: a SLURM requeue says so in SLURM_RESTART_COUNT;
    under torchrun --max-restarts only the agent whose worker failed counts a restart, so there every start looks
    at the run dir (named for the job: emotion.utils.resolvers.launch_id)."""
    if int(os.environ.get("SLURM_RESTART_COUNT") or 0):
        return f"SLURM restart {os.environ['SLURM_RESTART_COUNT']}"
    if int(os.environ.get("TORCHELASTIC_MAX_RESTARTS") or 0):
        return "torchrun --max-restarts"
    return None


def resume_path(ckpt_path: str | None, checkpoint_dir: Path) -> str | None:
    """The checkpoint `trainer.fit` resumes from: `ckpt_path` itself, or for "last" (and for a job its launcher
    restarted) the newest intact one of the run dir, Lightning's SLURM requeue checkpoints (hpc_ckpt_N.ckpt)
    included."""
    checkpoint_dir = Path(checkpoint_dir)
    if ckpt_path is None:
        if relaunch() is None:
            return None
        found = _newest_intact(checkpoint_dir)
        if found:
            log.warning("%s: resuming from %s", relaunch(), found)
        return found
    if ckpt_path != "last":
        return str(checked(ckpt_path))
    found = _newest_intact(checkpoint_dir)
    if found is None:
        raise ConfigError(
            f"ckpt_path=last: no checkpoint in {checkpoint_dir}; resume needs hydra.run.dir=<the run dir "
            "of the interrupted run>"
        )
    return found


def _newest_intact(checkpoint_dir: Path) -> str | None:
    candidates = [*checkpoint_dir.glob("*.ckpt"), *checkpoint_dir.parent.glob("hpc_ckpt_*.ckpt")]
    candidates.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for path in candidates:
        if intact(path):
            if path != candidates[0]:
                log.warning(
                    "%s is truncated or corrupt; resuming from %s, the newest intact checkpoint", candidates[0], path
                )
            return str(path)
    if candidates:
        raise ConfigError(f"ckpt_path=last: every checkpoint in {checkpoint_dir} is truncated or corrupt")
    return None


class RandomState(L.Callback):
    """Saves the torch generators (dropout masks) in each checkpoint and restores them on resume, so a resumed run
    draws the same masks as an uninterrupted one (the batch order is the data module's, emotion/data/sampling.py)."""

    def state_dict(self) -> dict[str, Any]:
        state = {"cpu": torch.get_rng_state()}
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        torch.set_rng_state(state_dict["cpu"])
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
