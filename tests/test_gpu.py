"""The GPU paths: `trainer=gpu` in bf16, the recipes' precision on CUDA, and DDP over GPUs through the launchers.
Skipped where torch sees no CUDA device (tests/helpers/run_if.py); a machine with GPUs runs them with `make test`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from emotion.training.job import train
from emotion.utils.resolvers import fast_precision
from tests.conftest import ONE_EPOCH, ROOT
from tests.helpers.faults import free_port
from tests.helpers.run_if import run_if

SMALL = [*ONE_EPOCH[1:], "data.max_samples={train: 256, validation: 64, test: 64}", "trainer.accelerator=gpu"]


@run_if(min_gpus=1, bf16=True)
def test_the_recipes_train_in_bf16_on_a_cuda_gpu(make_config) -> None:
    assert fast_precision("gpu") == fast_precision("auto") == "bf16-mixed"
    for experiment in ("finetune_minilm", "distill_minilm"):
        cfg = make_config(f"experiment={experiment}", "model.pretrained=unused", "model.teacher=unused.npz")
        assert cfg.trainer.precision == "bf16-mixed", experiment


@run_if(min_gpus=1, bf16=True)
def test_trainer_gpu_trains_evaluates_and_exports_on_the_gpu(make_config) -> None:
    cfg = make_config("trainer=gpu", *SMALL)
    assert (cfg.trainer.accelerator, cfg.trainer.devices, cfg.trainer.precision) == ("gpu", 1, "bf16-mixed")
    metrics = train(cfg)
    assert 0.0 <= metrics["val/acc"] <= 1.0 and 0.0 <= metrics["test/f1_macro"] <= 1.0
    assert metrics["resources/peak_gpu_gib"] > 0
    checkpoint = torch.load(metrics["best_model_path"], map_location="cpu", weights_only=True)
    weights = checkpoint["state_dict"]
    assert all(tensor.device.type == "cpu" and tensor.dtype == torch.float32 for tensor in weights.values())
    assert (Path(cfg.paths.output_dir) / "hf_model" / "config.json").is_file()


def launch(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, env=os.environ | (env or {}))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


@pytest.mark.slow
@run_if(min_gpus=2)
def test_ddp_on_two_gpus_reports_exact_metrics_from_one_device(
    tmp_path: Path, tiny_model: Path, data_dir: Path
) -> None:
    common = [f"model.pretrained={tiny_model}", f"data.source={data_dir}", "debug=default", *SMALL, "logger=csv"]
    launch(
        [
            sys.executable,
            "-m",
            "emotion.train",
            "trainer=ddp",
            "trainer.devices=2",
            *common,
            f"hydra.run.dir={tmp_path / 'ddp'}",
        ]
    )
    metrics = json.loads((tmp_path / "ddp" / "metrics.json").read_text())
    best = metrics["best_model_path"]
    launch(
        [
            sys.executable,
            "-m",
            "emotion.eval",
            f"ckpt_path={best}",
            f"data.source={data_dir}",
            ONE_EPOCH[0],
            "data.max_samples={train: 256, validation: 64, test: 64}",
            "trainer.accelerator=gpu",
            f"hydra.run.dir={tmp_path / 'eval'}",
        ]
    )
    evaluated = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    for name in ("val/acc", "test/acc", "test/f1_macro"):  # the DDP run's figures are one device's, not padded
        assert evaluated[name] == pytest.approx(metrics[name], abs=1e-6), name


@pytest.mark.slow
@run_if(min_gpus=1)
def test_the_torchrun_recipe_trains_on_one_gpu(tmp_path: Path, tiny_model: Path, data_dir: Path) -> None:
    rendezvous = f"127.0.0.1:{free_port()}"
    env = {"NNODES": "1", "NPROC": "1", "RDZV": rendezvous, "JOB": f"gpu{os.getpid()}", "PYTHON": sys.executable}
    launch(
        [
            str(ROOT / "scripts/torchrun_train.sh"),
            f"model.pretrained={tiny_model}",
            f"data.source={data_dir}",
            "debug=default",
            *SMALL,
            "logger=csv",
            f"paths.log_dir={tmp_path}",
        ],
        env,
    )
    (run,) = (tmp_path / "debug" / "runs").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert run.name.startswith("torchrun-gpu") and metrics["resources/peak_gpu_gib"] > 0
