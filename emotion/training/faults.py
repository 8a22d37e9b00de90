"""What a training job does when something outside it goes wrong: a SIGTERM, or a rank of a distributed job that
dies or freezes.

- **Preemption.** SLURM, Kubernetes and spot instances send SIGTERM before a kill. Lightning then stops at the next
  step boundary and exits 0 with nothing saved, so a scheduler records success and the partial epoch is lost.
  Here the run saves `checkpoints/preempted.ckpt` at that step and exits with status 143 (128 + SIGTERM).
- **A lost rank.** A peer that dies breaks the survivors' next collective at once (gloo: "Connection closed by
  peer"); a frozen one (SIGSTOP, a hung node, stuck storage, a network partition) leaves them waiting in it for the
  process-group timeout, 30 minutes by default, with SIGTERM unable to reach Python. Here every rank beats a counter
  in the job's c10d store and watches the others': a rank whose counter stops for `distributed.timeout_s` is named
  and the survivors exit; when a collective fails, the ranks whose counters stopped are named. The process group
  itself gets the same timeout plus a margin, as a backstop that lets the watch speak first.

Each ends in one `error:` line (emotion.utils.errors.JobStopped) with the command that resumes the run.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.core.hydra_config import HydraConfig
from lightning.pytorch.strategies import Strategy, StrategyRegistry
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig

from emotion.utils.errors import JobStopped

log = logging.getLogger(__name__)
PREEMPTED = 143  # 128 + SIGTERM: what a shell reports for a job that signal ended
RANK_LOST = 1
# Backend defaults for distributed.timeout_s: a frozen rank is declared lost after this long. GPUs reach each
# collective within seconds; CPU ranks write checkpoints and evaluate more slowly.
DEFAULT_TIMEOUT_S = {"nccl": 300, "gloo": 600}
# The process group waits this much longer than the watch, so the watch's one line comes before NCCL's abort.
BACKSTOP_S = 30


def backend(cfg: DictConfig) -> str:
    accelerator = str(cfg.trainer.get("accelerator", "auto"))
    return "nccl" if accelerator in ("gpu", "cuda", "auto") and torch.cuda.is_available() else "gloo"


def timeout_s(cfg: DictConfig) -> float:
    configured = cfg.get("distributed", {}).get("timeout_s")
    return float(configured) if configured is not None else float(DEFAULT_TIMEOUT_S[backend(cfg)])


def strategy(cfg: DictConfig) -> str | Strategy:
    """`trainer.strategy` as configured, with a DDP-family name (ddp, ddp_spawn, ...) built with the timeout."""
    name = cfg.trainer.get("strategy", "auto")
    entry = StrategyRegistry[name] if isinstance(name, str) and name in StrategyRegistry else None
    if entry is None or "timeout" not in inspect.signature(entry["strategy"]).parameters:
        return name
    return entry["strategy"](**entry["init_params"], timeout=timedelta(seconds=timeout_s(cfg) + BACKSTOP_S))


def resume_command(cfg: DictConfig) -> str:
    """The command line that continues this run from its newest checkpoint."""
    overrides = HydraConfig.get().overrides.task if HydraConfig.initialized() else []
    kept = [o for o in overrides if not o.startswith(("hydra.run.dir=", "ckpt_path="))]
    return shlex.join(
        ["python", "-m", "emotion.train", *kept, f"hydra.run.dir={cfg.paths.output_dir}", "ckpt_path=last"]
    )


class Preemption(L.Callback):
    """On Lightning's SIGTERMException (raised at the step boundary after a SIGTERM): save a checkpoint there."""

    def __init__(self, dirpath: str | Path) -> None:
        self.path = Path(dirpath) / "preempted.ckpt"

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        if isinstance(exception, SIGTERMException):
            trainer.save_checkpoint(self.path)


class RankWatch(L.Callback):
    """Heartbeats of every rank of a multi-process fit in the c10d store, and the ranks whose heartbeats stopped.

    A thread per rank adds 1 to its own counter every `interval` seconds and reads everyone's in one request. A
    counter that has not moved for `timeout` seconds is a frozen rank: this rank prints one line naming it and
    exits. After a failed collective, `lost()` watches the counters for a few beats and names those that stand
    still. Single-process runs start nothing.
    """

    def __init__(self, timeout: float, interval: float = 1.0, resume: str = "") -> None:
        self.timeout, self.interval, self.resume = timeout, interval, resume
        self.world_size = 1
        self._stop = threading.Event()
        self._reported = threading.Lock()
        self._thread: threading.Thread | None = None
        self._store: Any = None
        self._keys: list[str] = []

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage != "fit" or trainer.world_size == 1:
            return
        self.rank, self.world_size = trainer.global_rank, trainer.world_size
        self._store = torch.distributed.TCPStore(
            os.environ["MASTER_ADDR"],
            int(os.environ["MASTER_PORT"]),
            is_master=False,
            timeout=timedelta(seconds=max(self.timeout, 10)),
            wait_for_workers=False,
        )
        prefix = "emotion/watch"  # in a store torchrun keeps over restarts, old counts only give a starting value
        self._keys = [f"{prefix}/beat/{rank}" for rank in range(self.world_size)]
        self._who = [f"{prefix}/who/{rank}" for rank in range(self.world_size)]
        self._store.set(self._who[self.rank], f"host {socket.gethostname()}, pid {os.getpid()}")
        self._store.add(self._keys[self.rank], 1)
        self._thread = threading.Thread(target=self._watch, name="rank-watch", daemon=True)
        self._thread.start()

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self._stop.set()

    def _beats(self) -> list[int]:
        return [int(value) for value in self._store.multi_get(self._keys)]

    def _watch(self) -> None:
        try:
            self._store.wait(self._keys, timedelta(seconds=self.timeout))
        except Exception:
            missing = [rank for rank, key in enumerate(self._keys) if not self._store.check([key])]
            self._report(missing, f"never started watching in {self.timeout:.0f} s")
            return
        seen = self._beats()
        moved = [time.monotonic()] * self.world_size
        while not self._stop.wait(self.interval):
            try:
                self._store.add(self._keys[self.rank], 1)
                beats = self._beats()
            except Exception:  # the store's host (rank 0's process, or torchrun's agent on the first node) is gone
                if time.monotonic() - max(moved) > self.timeout:
                    self._report([0], f"unreachable, with the store, for {self.timeout:.0f} s")
                continue
            now = time.monotonic()
            for rank, (old, new) in enumerate(zip(seen, beats)):
                if new != old:
                    moved[rank] = now
            seen = beats
            frozen = [rank for rank in range(self.world_size) if now - moved[rank] > self.timeout]
            if frozen:
                self._report(
                    frozen,
                    f"stopped answering: no heartbeat for {self.timeout:.0f} s (a frozen process, "
                    "a hung node or a network partition)",
                )

    def lost(self) -> list[int]:
        """After a failed collective: the ranks whose counters stand still over 3 beats (dead or frozen)."""
        if self._store is None or self._thread is None or not self._thread.is_alive():
            return []
        try:
            before = self._beats()
            time.sleep(3 * self.interval)
            after = self._beats()
        except Exception:
            return [0] if self.rank != 0 else []
        return [rank for rank in range(self.world_size) if rank != self.rank and before[rank] == after[rank]]

    def describe(self, ranks: list[int], what: str) -> str:
        who = []
        for rank in ranks:
            try:
                who.append(f"rank {rank} of {self.world_size} ({self._store.get(self._who[rank]).decode()})")
            except Exception:
                who.append(f"rank {rank} of {self.world_size}")
        return (
            f"{', '.join(who)} {what}; rank {self.rank} stops here. Resume on every node: {self.resume} "
            "(automatic under torchrun --max-restarts or SLURM requeue)"
        )

    def _report(self, ranks: list[int], what: str) -> None:
        """From the watch thread: one line, then end the process (the main thread may be stuck in a collective)."""
        if not self._reported.acquire(blocking=False):
            return
        print(f"error: {self.describe(ranks, what)}", file=sys.stderr, flush=True)
        os._exit(RANK_LOST)


@contextlib.contextmanager
def faults_named(trainer: L.Trainer, watch: RankWatch, preemption: Preemption) -> Iterator[None]:
    """Around `trainer.fit`: a SIGTERM or a lost rank becomes one JobStopped line; any other error passes as is."""
    try:
        yield
    except SIGTERMException:
        raise JobStopped(
            f"stopped by SIGTERM at step {trainer.global_step}; saved {preemption.path}. Resume: {watch.resume}",
            PREEMPTED,
        ) from None
    except Exception as err:
        if watch.world_size == 1 or not watch._reported.acquire(blocking=False):
            raise
        # torchrun's agent SIGTERMs this rank once it sees the job fail; the job ends here anyway, and the line
        # naming the lost rank comes first.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        lost = watch.lost()
        if not lost:
            raise
        raise JobStopped(watch.describe(lost, f"was lost ({type(err).__name__} in a collective)"), RANK_LOST) from err
