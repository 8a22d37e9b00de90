"""The pieces behind multi-node training and exact resume, one at a time (the launched jobs are in
test_multinode.py): the batch order, the run dir named for the job, the automatic resume of a restarted job, the
global-batch loss, and the config keys."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.distributed as dist
from lightning.fabric.utilities.data import AttributeDict

from emotion.data.sampling import EpochOrder, shard
from emotion.models.classifier import EmotionClassifier
from emotion.training.resume import AtomicCheckpointIO, resume_path
from emotion.utils.resolvers import launch_id
from tests.helpers.commands import run_command


def test_the_order_depends_on_seed_and_epoch_only_and_ranks_share_it() -> None:
    lengths = [(i * 37) % 50 + 1 for i in range(103)]
    one = EpochOrder(103, 8, seed=3, lengths=lengths)
    one.set_epoch(2)
    order = one.order()
    again = EpochOrder(103, 8, seed=3, lengths=lengths)
    again.set_epoch(2)
    assert again.order() == order and sorted(order) == list(range(103))
    again.set_epoch(3)
    assert again.order() != order
    # Two ranks of batch 4: each step's two batches together are one process's batch of 8.
    ranks = []
    for rank in range(2):
        sampler = EpochOrder(103, 4, seed=3, lengths=lengths, rank=rank, world_size=2)
        sampler.set_epoch(2)
        ranks.append(list(sampler))
    assert len(ranks[0]) == len(ranks[1]) == len(sampler) == 52  # padded to equal shares
    steps = [sorted(ranks[0][i : i + 4] + ranks[1][i : i + 4]) for i in range(0, 52, 4)]
    assert steps[:12] == [sorted(order[i : i + 8]) for i in range(0, 96, 8)]
    assert shard(list(range(5)), 1, 2) == [1, 3, 0]


def test_a_resumed_pass_starts_after_the_batches_trained_in_its_epoch() -> None:
    full = EpochOrder(50, 4, seed=1)
    full.set_epoch(1)
    resumed = EpochOrder(50, 4, seed=1)
    resumed.resume(epoch=1, batches=3)
    assert list(resumed) == list(full)[12:] and len(resumed) == 50
    assert list(resumed) == list(full)  # once only: the next pass is whole
    stale = EpochOrder(50, 4, seed=1)
    stale.resume(epoch=0, batches=3)
    stale.set_epoch(1)  # Lightning moved on to the next epoch: nothing to skip there
    assert list(stale) == list(full)


def test_the_run_dir_is_named_for_the_job(monkeypatch) -> None:
    for name in ("SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_STEP_ID", "TORCHELASTIC_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    assert launch_id("2026-01-01_00-00-00") == "2026-01-01_00-00-00"
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")  # torchrun without --rdzv-id
    assert launch_id("t") == "t"
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "exp1")
    assert launch_id("t") == "torchrun-exp1"
    monkeypatch.setenv("SLURM_JOB_ID", "77")
    monkeypatch.setenv("SLURM_STEP_ID", "0")
    assert launch_id("t") == "slurm-77.0"
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "70")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "7")
    assert launch_id("t") == "slurm-70_7.0"


def test_a_restarted_job_resumes_by_itself_or_starts_afresh(tmp_path: Path, monkeypatch) -> None:
    for name in ("SLURM_RESTART_COUNT", "TORCHELASTIC_MAX_RESTARTS"):
        monkeypatch.delenv(name, raising=False)
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    AtomicCheckpointIO().save_checkpoint({"global_step": 4}, checkpoints / "last_periodic.ckpt")
    AtomicCheckpointIO().save_checkpoint({"global_step": 9}, tmp_path / "hpc_ckpt_1.ckpt")  # Lightning's requeue save
    assert resume_path(None, checkpoints) is None  # a plain start never resumes by itself
    monkeypatch.setenv("TORCHELASTIC_MAX_RESTARTS", "2")
    assert resume_path(None, checkpoints) == str(tmp_path / "hpc_ckpt_1.ckpt")  # the newest
    monkeypatch.setenv("TORCHELASTIC_MAX_RESTARTS", "0")
    monkeypatch.setenv("SLURM_RESTART_COUNT", "1")
    assert resume_path(None, tmp_path / "empty" / "checkpoints") is None  # nothing saved yet: afresh


def test_class_weighted_loss_under_ddp_is_the_global_batch_loss(monkeypatch) -> None:
    """Two ranks' gradients, averaged as DDP does, equal one process's gradient on their joint batch."""
    torch.manual_seed(0)
    logits = torch.randn(8, 6, requires_grad=True)
    labels = torch.tensor([0, 1, 1, 1, 2, 3, 5, 1])
    module = EmotionClassifier.__new__(EmotionClassifier)  # the loss alone: no encoder needed
    torch.nn.Module.__init__(module)
    module._hparams = AttributeDict(class_weighting=True, label_smoothing=0.1)
    module.register_buffer("class_weights", torch.tensor([1.0, 0.5, 3.0, 1.5, 1.0, 4.0]))

    whole = torch.autograd.grad(module.training_loss(logits, labels), logits)[0]
    shares = [module.class_weights[labels[:4]].sum(), module.class_weights[labels[4:]].sum()]
    grads = []
    for rank, part in enumerate((slice(0, 4), slice(4, 8))):
        monkeypatch.setattr(dist, "is_initialized", lambda: True)
        monkeypatch.setattr(dist, "get_world_size", lambda: 2)
        monkeypatch.setattr(dist, "all_reduce", lambda tensor, rank=rank: tensor.add_(shares[1 - rank]))
        grads.append(torch.autograd.grad(module.training_loss(logits[part], labels[part]), logits)[0])
    assert torch.allclose((grads[0] + grads[1]) / 2, whole, atol=1e-6)


def test_bad_distributed_settings_stop_in_one_line(capsys, monkeypatch, tmp_path: Path, tiny_model: Path) -> None:
    train = ["emotion.train", "debug=default", f"model.pretrained={tiny_model}"]
    result = run_command(capsys, monkeypatch, *train, "distributed.timeout_s=0", f"hydra.run.dir={tmp_path}")
    assert result.code == 1
    assert result.err_lines[-1] == "error: distributed.timeout_s=0: expected a number >= 1.0 or null"
    monkeypatch.setenv("TORCHELASTIC_MAX_RESTARTS", "3")  # torchrun's restarts, without a job id
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
    monkeypatch.chdir(tmp_path)  # where a run dir named for the time would go
    result = run_command(capsys, monkeypatch, *train)
    assert result.code == 1
    assert result.err_lines[-1].startswith(
        "error: torchrun --max-restarts needs --rdzv-id=<job name> (or hydra.run.dir=...)"
    )
