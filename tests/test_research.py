"""Research-scale paths: multirun sweeps, wandb offline, 2-process CPU DDP, resume after SIGKILL, seeding."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from emotion.training.job import train
from tests.conftest import ROOT
from tests.helpers.batch_probe import PROBE, samples_per_step
from tests.helpers.wandb_records import history

FAST = ["debug=default", "~callbacks.umap", "logger=csv"]


def cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "emotion.train", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.slow
def test_grid_multirun_over_seeds_is_summarized_as_mean_and_std(
    multirun_here, tmp_path: Path, tiny_model: Path, data_dir: Path
) -> None:
    ran = multirun_here(
        "debug=fdr",
        "model.lr=1e-3,3e-3",
        "seed=1,2,3",
        f"data.source={data_dir}",
        f"model.pretrained={tiny_model}",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert ran.code == 0, ran.err[-3000:]
    assert sorted(int(p.parent.name) for p in tmp_path.glob("*/metrics.json")) == list(range(6))
    jobs = pd.read_csv(tmp_path / "jobs.csv")
    assert len(jobs) == 6 and jobs["val/f1_weighted"].is_monotonic_decreasing
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert sorted(summary["model.lr"]) == [0.001, 0.003] and list(summary["n"]) == [3, 3]
    assert "seed" not in summary and summary["val/f1_weighted_mean"].is_monotonic_decreasing
    for lr, group in jobs.groupby("model.lr"):
        row = summary[summary["model.lr"] == lr].iloc[0]
        for name in ("test/acc", "test/f1_macro", "val/f1_love"):
            assert row[f"{name}_mean"] == pytest.approx(group[name].mean())
            assert row[f"{name}_std"] == pytest.approx(group[name].std(ddof=1), nan_ok=True)
    table = (tmp_path / "summary.md").read_text()
    assert "| model.lr | n | val/f1_weighted |" in table and "data.source" not in table and " ± " in table


def test_a_resumed_job_still_counts_as_a_seed_of_its_recipe(tmp_path: Path) -> None:
    # A job stopped by SIGTERM and resumed with the command it printed carries one more override, ckpt_path=last.
    from emotion.reporting.sweep_summary import aggregate_seeds, finished_jobs

    for job, extra in enumerate([[], [], ["ckpt_path=last"]]):
        (tmp_path / str(job) / ".hydra").mkdir(parents=True)
        overrides = ["experiment=distill_minilm", f"seed={job + 1}", *extra]
        (tmp_path / str(job) / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
        (tmp_path / str(job) / "metrics.json").write_text(json.dumps({"test/acc": 0.9 + job / 100}))
    jobs, recipe_keys = finished_jobs(tmp_path)
    assert len(jobs) == 3 and recipe_keys == []
    summary = aggregate_seeds(jobs, recipe_keys)
    assert list(summary["n"]) == [3] and summary["test/acc_mean"][0] == pytest.approx(0.91)


@pytest.mark.slow
def test_wandb_offline_run_holds_the_metrics(make_config) -> None:
    cfg = make_config("logger=wandb", "~callbacks.umap", "data.max_samples={train: 128, validation: 64, test: 64}")
    metrics = train(cfg)
    run_files = list(Path(cfg.paths.output_dir).glob("wandb/offline-run-*/run-*.wandb"))
    assert len(run_files) == 1
    logged = history(run_files[0])
    assert logged["test/acc"][-1] == pytest.approx(metrics["test/acc"])
    assert logged["val/f1_weighted"][-1] == pytest.approx(metrics["val/f1_weighted"])
    assert logged["test/confusion_matrix/_type"] == ["images/separated"]  # the confusion-matrix image went too


@pytest.mark.slow
def test_two_process_cpu_ddp_keeps_the_global_batch(tmp_path: Path, tiny_model: Path, data_dir: Path) -> None:
    cli(
        "trainer=ddp_cpu_sim",
        *FAST,
        f"data.source={data_dir}",
        f"model.pretrained={tiny_model}",
        f"hydra.run.dir={tmp_path}",
        PROBE,
    )
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    # 512 training examples, global batch 64 = 32 per process x 2 processes: 8 optimizer steps of 64 samples,
    # exactly as on one device.
    assert samples_per_step(tmp_path) == (8, [64] * 8)
    best = torch.load(metrics["best_model_path"], map_location="cpu", weights_only=False)
    assert best["global_step"] == 8
    # Reported metrics come from one device on the exact split (256 validation examples, none repeated).
    assert metrics["val/acc"] * 256 == pytest.approx(round(metrics["val/acc"] * 256), abs=1e-3)
    assert [p.name for p in tmp_path.parent.iterdir() if p.name.startswith(tmp_path.name)] == [tmp_path.name]


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_number_of_steps(tmp_path: Path, tiny_model: Path, data_dir: Path) -> None:
    # 1024 examples / batch 16 = 64 steps per epoch, 3 epochs: 192 optimizer steps in all.
    args = [
        *FAST,
        f"data.source={data_dir}",
        f"model.pretrained={tiny_model}",
        f"hydra.run.dir={tmp_path}",
        "data.max_samples.train=1024",
        "data.batch_size=16",
        "trainer.max_epochs=3",
        "callbacks.periodic_checkpoint.every_n_train_steps=5",
        "callbacks.periodic_checkpoint.train_time_interval=null",
    ]
    periodic = tmp_path / "checkpoints" / "last_periodic.ckpt"
    process = subprocess.Popen(
        [sys.executable, "-m", "emotion.train", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if periodic.is_file() and torch.load(periodic, weights_only=False)["global_step"] >= 70:
            break
        time.sleep(0.2)
    assert process.poll() is None, "training ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = torch.load(periodic, weights_only=False)["global_step"]
    assert 70 <= killed_at < 192 and not (tmp_path / "metrics.json").exists()

    cli(*args, "ckpt_path=last")
    final = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)
    assert final["global_step"] == 192
    assert json.loads((tmp_path / "metrics.json").read_text())["val/acc"] >= 0.0


@pytest.mark.slow
def test_same_seed_same_metrics_on_cpu(make_config) -> None:
    overrides = [
        "data.max_samples={train: 256, validation: 128, test: 128}",
        "~callbacks.umap",
        "trainer.deterministic=true",
    ]
    first = train(make_config(*overrides))
    second = train(make_config(*overrides))
    for name in ("val/acc", "val/loss", "test/f1_weighted", "test/loss"):
        assert first[name] == second[name]


def test_plain_ddp_is_refused_inside_a_multirun(
    multirun_here, tmp_path: Path, tiny_model: Path, data_dir: Path
) -> None:
    result = multirun_here(
        "trainer=ddp_cpu_sim",
        "debug=fdr",
        f"data.source={data_dir}",
        f"model.pretrained={tiny_model}",
        f"hydra.sweep.dir={tmp_path}",
    )
    assert result.code != 0
    assert "use trainer.strategy=ddp_spawn" in result.err


def test_a_damaged_metrics_file_leaves_its_job_out_with_one_warning(tmp_path: Path, caplog) -> None:
    from emotion.reporting.sweep_summary import finished_jobs

    contents = ['{"test/acc": 0.91}', '{"test/acc": 0.9', "[0.5]", '{"test/acc": NaN}', '{"test/acc": 0.93}']
    for job, text in enumerate(contents):
        (tmp_path / str(job) / ".hydra").mkdir(parents=True)
        (tmp_path / str(job) / ".hydra" / "overrides.yaml").write_text(f"- seed={job}\n")
        (tmp_path / str(job) / "metrics.json").write_text(text)
    with caplog.at_level(logging.WARNING):
        jobs, _ = finished_jobs(tmp_path)
    assert list(jobs["job"]) == ["0", "4"] and list(jobs["test/acc"]) == [0.91, 0.93]
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("emotion")]
    assert [w.split(":")[0] for w in warnings] == [str(tmp_path / str(job) / "metrics.json") for job in (1, 2, 3)]
    assert all(w.endswith("; this job is left out of the summary") for w in warnings)
    assert "a JSON list, not an object of metrics" in warnings[1] and "test/acc: nan is not a number" in warnings[2]
