"""Multi-node training and its faults, with real launchers on localhost: two torchrun agents (c10d rendezvous, gloo)
running the training command, a rank killed (-9) or frozen (SIGSTOP), torchrun restarting the job, a SIGTERM
preemption and a SLURM requeue signal.

All runs share one recipe on the tiny model without dropout (32 optimizer steps of 32 texts), so a run on two
nodes can be compared with one process, and a resumed run with an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import ROOT
from tests.helpers.batch_probe import PROBE
from tests.helpers.commands import run_command
from tests.helpers.faults import start_nodes, step_signal, stop, wait_for, worker

pytestmark = pytest.mark.slow  # every test here launches whole commands

STEPS = 32  # 2 epochs x 512 texts / global batch 32
FAULT_STEP = 9  # after the periodic checkpoint of step 8


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path, data_dir: Path) -> list[str]:
    """The tiny model with dropout off: ranks draw different dropout masks than one process would."""
    model = tmp_path_factory.mktemp("tiny-no-dropout")
    shutil.copytree(tiny_model, model, dirs_exist_ok=True)
    config = json.loads((model / "config.json").read_text())
    config.update(dropout=0.0, attention_dropout=0.0, seq_classif_dropout=0.0)
    (model / "config.json").write_text(json.dumps(config))
    return [
        "debug=default",
        f"model.pretrained={model}",
        f"data.source={data_dir}",
        "~callbacks.umap",
        "~callbacks.confusion_matrix",
        "~callbacks.reliability",
        "logger=csv",
        "trainer.precision=32-true",
        "model.lr=3e-3",
        "data.batch_size=32",
        "trainer.max_epochs=2",
        "callbacks.periodic_checkpoint.train_time_interval=null",
        "callbacks.periodic_checkpoint.every_n_train_steps=4",
        PROBE,
    ]


def train(*overrides: str, env: dict | None = None, expect: int = 0) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "emotion.train", *overrides],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | (env or {}),
    )
    assert result.returncode == expect, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, recipe: list[str]) -> Path:
    """The recipe in one uninterrupted process: this one (the training job, as the command runs it)."""
    from emotion.training.job import train as train_here
    from emotion.utils.command import compose_config

    run_dir = tmp_path_factory.mktemp("one-process")
    train_here(compose_config("train", recipe, run_dir))
    return run_dir


def probe(run_dir: Path, rank: int = 0) -> dict:
    return json.loads((run_dir / f"batch_probe_rank{rank}.json").read_text())


def test_two_torchrun_nodes_train_like_one_process(tmp_path: Path, recipe: list[str], reference: Path) -> None:
    agents = start_nodes([*recipe, f"hydra.run.dir={tmp_path}"], tmp_path / "logs")
    try:
        assert [agent.wait(timeout=120) for agent in agents] == [0, 0]
    finally:
        stop(agents)
    ranks = [probe(tmp_path, 0), probe(tmp_path, 1)]
    one = probe(reference)
    # The global batch: same step count, and at every step the two ranks' texts together are one process's texts.
    assert ranks[0]["world_size"] == 2 and ranks[0]["steps"] == ranks[1]["steps"] == one["steps"] == STEPS
    assert ranks[0]["sizes"] == ranks[1]["sizes"] == [16] * STEPS
    assert [sorted(a + b) for a, b in zip(ranks[0]["texts"], ranks[1]["texts"])] == one["texts"]
    # Only global rank 0 wrote the run dir's files: one metrics.json, one HF folder, one logger run, one set of
    # checkpoints (the same names as one process's).
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("metrics.json")] == ["metrics.json"]
    assert (tmp_path / "hf_model/config.json").is_file() and len(list((tmp_path / "csv").iterdir())) == 1
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == sorted(
        p.name for p in (reference / "checkpoints").iterdir()
    )
    # The final metrics: the same samples and starting weights, no dropout; what differs is the order of float
    # additions (gloo sums the two halves' gradients), about 1e-7 relative per step, grown over 32 Adam steps.
    two, single = (json.loads((d / "metrics.json").read_text()) for d in (tmp_path, reference))
    for name in ("val/loss", "test/loss", "val/ece"):
        assert two[name] == pytest.approx(single[name], abs=1e-4), name
    for name in ("val/acc", "test/acc", "val/f1_macro", "test/f1_macro"):
        assert two[name] == pytest.approx(single[name], abs=1 / 256), name  # at most one of 256 texts flips


def test_a_killed_rank_ends_the_job_at_once_in_one_line(tmp_path: Path, recipe: list[str]) -> None:
    agents = start_nodes([*recipe, f"hydra.run.dir={tmp_path}", *step_signal(FAULT_STEP, pause=0.5)], tmp_path / "logs")
    try:
        wait_for(tmp_path / "reached_rank0", 90, agents)
        victim = worker(agents, 1)
        killed = time.monotonic()
        victim.kill()
        codes = [agent.wait(timeout=60) for agent in agents]
        took = time.monotonic() - killed
    finally:
        stop(agents)
    assert all(codes), codes
    log = (tmp_path / "logs/node0.log").read_text() + (tmp_path / "logs/node1.log").read_text()
    errors = [line for line in log.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, log[-3000:]
    assert errors[0].startswith(f"error: rank 1 of 2 (host {os.uname().nodename}, pid {victim.pid}) was lost")
    assert f"hydra.run.dir={tmp_path} ckpt_path=last" in errors[0]
    assert not [line for line in log.splitlines() if line.strip().startswith('File "') and "/emotion/" in line]
    assert took < 20, took


def test_a_frozen_rank_ends_the_job_within_the_timeout(tmp_path: Path, recipe: list[str]) -> None:
    agents = start_nodes(
        [*recipe, f"hydra.run.dir={tmp_path}", "distributed.timeout_s=6", *step_signal(FAULT_STEP, pause=0.5)],
        tmp_path / "logs",
    )
    try:
        wait_for(tmp_path / "reached_rank0", 90, agents)
        victim = worker(agents, 1)
        victim.suspend()  # SIGSTOP: alive, holding its sockets, answering nothing
        frozen = time.monotonic()
        assert agents[0].wait(timeout=60) != 0
        took = time.monotonic() - frozen
    finally:
        stop(agents)
    log = (tmp_path / "logs/node0.log").read_text()
    errors = [line for line in log.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, log[-3000:]
    assert errors[0].startswith(
        f"error: rank 1 of 2 (host {os.uname().nodename}, pid {victim.pid}) stopped answering: no heartbeat for 6 s"
    )
    # The configured bound, less the up-to-1 s since the victim's last heartbeat before the SIGSTOP (a run here
    # took 5.85 s), plus a beat and the exit; not PyTorch's 30 minutes.
    assert 5 <= took < 20, took


def test_torchrun_restarts_a_job_that_lost_a_rank_and_it_resumes(tmp_path: Path, recipe: list[str]) -> None:
    agents = start_nodes(
        [*recipe, f"hydra.run.dir={tmp_path}", *step_signal(FAULT_STEP, pause=0.3)], tmp_path / "logs", max_restarts=1
    )
    try:
        wait_for(tmp_path / "reached_rank0", 90, agents)
        (tmp_path / "reached_rank0").unlink()
        worker(agents, 1).kill()
        assert [agent.wait(timeout=120) for agent in agents] == [0, 0]
    finally:
        stop(agents)
    log = (tmp_path / "logs/node0.log").read_text() + (tmp_path / "logs/node1.log").read_text()
    assert f"torchrun --max-restarts: resuming from {tmp_path}/checkpoints/last_periodic.ckpt" in log
    resumed = probe(tmp_path)
    assert resumed["steps"] == STEPS and len(resumed["sizes"]) < STEPS  # ended where an uninterrupted run ends
    assert json.loads((tmp_path / "metrics.json").read_text())["best_model_path"]


def test_sigterm_saves_the_step_exits_nonzero_and_resumes_exactly(
    capsys, monkeypatch, tmp_path: Path, recipe: list[str], reference: Path
) -> None:
    stopped = train(*recipe, f"hydra.run.dir={tmp_path}", *step_signal(21, {21: "SIGTERM"}), expect=143)
    line = stopped.stderr.strip().splitlines()[-1]
    command = shlex.join(
        [
            "python",
            "-m",
            "emotion.train",
            *recipe,
            *step_signal(21, {21: "SIGTERM"}),
            f"hydra.run.dir={tmp_path}",
            "ckpt_path=last",
        ]
    )
    assert (
        line == f"error: stopped by SIGTERM at step 21; saved {tmp_path}/checkpoints/preempted.ckpt. Resume: {command}"
    )
    checkpoint = torch.load(tmp_path / "checkpoints/preempted.ckpt", weights_only=False, map_location="cpu")
    assert checkpoint["global_step"] == 21 and checkpoint["EmotionDataModule"] == {"epoch": 1, "batches": 5}
    assert not (tmp_path / "metrics.json").exists()

    resumed_run = run_command(
        capsys, monkeypatch, "emotion.train", *recipe, f"hydra.run.dir={tmp_path}", "ckpt_path=last"
    )
    assert resumed_run.code == 0, resumed_run.err[-3000:]
    resumed, one = probe(tmp_path), probe(reference)
    assert resumed["steps"] == STEPS and resumed["texts"] == one["texts"][21:]  # the batches it had left, in order
    assert resumed["weights"] == one["weights"]  # bit for bit: same batches, same generator states


def test_slurm_requeue_signal_saves_and_requeues_through_lightning(tmp_path: Path, recipe: list[str]) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "scontrol").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/scontrol.calls\n')
    (bin_dir / "scontrol").chmod(0o755)
    slurm = {
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NAME": "emotion",
        "SLURM_NTASKS": "1",
        "SLURM_NTASKS_PER_NODE": "1",
        "SLURM_PROCID": "0",
        "SLURM_LOCALID": "0",
        "SLURM_NODEID": "0",
        "SLURM_NODELIST": "localhost",
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PROJECT_ROOT": str(tmp_path),
    }
    signals = step_signal(10, {10: "SIGUSR1", 12: "SIGTERM"})
    train(*recipe, *signals, env=slurm, expect=143)
    run_dir = tmp_path / "logs/debug/runs/slurm-4242"  # named for the job: the same after the requeue
    assert (tmp_path / "scontrol.calls").read_text() == "requeue 4242\n"
    hpc = torch.load(run_dir / "hpc_ckpt_1.ckpt", weights_only=False, map_location="cpu")
    assert hpc["global_step"] == 10

    result = train(*recipe, env=slurm | {"SLURM_RESTART_COUNT": "1"})
    assert f"SLURM restart 1: resuming from {run_dir}/checkpoints/preempted.ckpt" in result.stdout + result.stderr
    assert probe(run_dir)["steps"] == STEPS
