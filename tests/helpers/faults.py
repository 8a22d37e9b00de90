"""Faults on cue for the multi-node and preemption tests: a callback that marks a step, slows the steps after it
and sends a signal to its own process there, and launchers for torchrun agents on localhost.

Add the callback to a run with `step_signal(step, ...)` overrides.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import lightning as L
import psutil

from tests.conftest import ROOT


def step_signal(
    step: int, signals: dict[int, str] | None = None, pause: float = 0.0, rank: int | None = None
) -> list[str]:
    """Hydra overrides adding StepSignal to a training run."""
    prefix = "+callbacks.step_signal"
    overrides = [
        f"{prefix}._target_=tests.helpers.faults.StepSignal",
        f"{prefix}.step={step}",
        f"{prefix}.pause={pause}",
    ]
    if signals:
        overrides.append(f"{prefix}.signals={{{', '.join(f'{k}: {v}' for k, v in signals.items())}}}")
    if rank is not None:
        overrides.append(f"{prefix}.rank={rank}")
    return overrides


class StepSignal(L.Callback):
    """After optimizer step `step`: touch `<run dir>/reached_rank<R>` and sleep `pause` s after every later step;
    after each step named in `signals` (step -> SIGTERM, SIGUSR1, ...), send that signal to this process (on rank
    `rank` only, if given)."""

    def __init__(
        self, step: int, signals: dict[int, str] | None = None, pause: float = 0.0, rank: int | None = None
    ) -> None:
        self.step, self.signals, self.pause, self.rank = step, dict(signals or {}), pause, rank

    def on_train_batch_end(self, trainer: L.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        step = trainer.global_step
        if step == self.step:
            (Path(trainer.default_root_dir) / f"reached_rank{trainer.global_rank}").touch()
        if step >= self.step and self.pause:
            time.sleep(self.pause)
        if step in self.signals and self.rank in (None, trainer.global_rank):
            os.kill(os.getpid(), getattr(signal, self.signals.pop(step)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_nodes(overrides: list[str], logs: Path, nodes: int = 2, max_restarts: int = 0) -> list[subprocess.Popen]:
    """`nodes` torchrun agents on localhost, one process each, through scripts/torchrun_train.sh; output in
    logs/node<N>.log."""
    env = os.environ | {
        "NNODES": str(nodes),
        "NPROC": "1",
        "RDZV": f"127.0.0.1:{free_port()}",
        "JOB": f"test{os.getpid()}{time.monotonic_ns()}",
        "MAX_RESTARTS": str(max_restarts),
        "PYTHON": str(Path(os.sys.executable)),
    }
    logs.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [str(ROOT / "scripts/torchrun_train.sh"), *overrides],
            cwd=ROOT,
            env=env,
            stdout=(logs / f"node{n}.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for n in range(nodes)
    ]


def worker(agents: list[subprocess.Popen], rank: int) -> psutil.Process:
    """The training process of global rank `rank` under the given torchrun agents."""
    for agent in agents:
        for child in psutil.Process(agent.pid).children(recursive=True):
            try:
                if child.environ().get("RANK") == str(rank) and "emotion.train" in " ".join(child.cmdline()):
                    return child
            except psutil.NoSuchProcess:
                continue
    raise LookupError(f"no worker of rank {rank}")


def wait_for(path: Path, timeout: float, agents: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline or any(agent.poll() is not None for agent in agents):
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.1)


def stop(agents: list[subprocess.Popen]) -> None:
    """Kills whatever is left of the agents and their workers, a frozen worker included (torchrun starts each
    worker in a session of its own, so killing the agents' process groups would leave it behind)."""
    workers = []
    for agent in agents:
        try:
            workers += psutil.Process(agent.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            pass
    for agent in agents:
        try:
            os.killpg(agent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        agent.wait(timeout=30)
    for process in workers:
        try:
            process.resume()
            process.kill()
        except psutil.NoSuchProcess:
            pass
