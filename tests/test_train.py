"""The whole pipeline on the tiny model: train, evaluate, export, and load the export in a pipeline."""

from __future__ import annotations

import gzip
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from transformers import pipeline

from emotion.data.labels import EMOTIONS
from emotion.eval import evaluate_checkpoint
from emotion.inference.hf_folder import HF_FOLDER
from emotion.training.job import train
from tests.conftest import ONE_EPOCH, ROOT, assert_png
from tests.helpers.commands import Ran, run_command


@pytest.mark.slow
def test_fast_dev_run_exports_a_pipeline_ready_folder(make_config) -> None:
    cfg = make_config("debug=fdr")
    metrics = train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    assert json.loads((run_dir / "metrics.json").read_text())["val/acc"] == metrics["val/acc"]
    assert 0.1 < metrics["resources/peak_rss_gib"] < 64  # this process's peak, for a cluster job's memory request
    assert 0.05 < metrics["resources/drawing_peak_rss_gib"] < 8  # and the drawing process's, which runs beside it
    classify = pipeline("text-classification", model=str(run_dir / HF_FOLDER), top_k=None)
    scores = classify(["i feel so happy today", "this is terrifying"])
    for per_text in scores:
        assert {item["label"] for item in per_text} == set(EMOTIONS)
        assert sum(item["score"] for item in per_text) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.slow
def test_test_false_reads_validation_only(make_config) -> None:
    cfg = make_config("debug=fdr", "test=false", "export_hf=false")
    metrics = train(cfg)
    written = json.loads((Path(cfg.paths.output_dir) / "metrics.json").read_text())
    assert written == metrics and "val/f1_macro" in metrics
    assert not [name for name in metrics if name.startswith("test/")]
    assert not (Path(cfg.paths.output_dir) / HF_FOLDER).exists()


def test_one_epoch_learns_and_eval_reproduces_its_metrics(trained_run, make_config) -> None:
    cfg, metrics = trained_run
    run_dir = Path(cfg.paths.output_dir)
    best = Path(metrics["best_model_path"])
    assert best.is_file() and (run_dir / "checkpoints" / "last.ckpt").is_file()

    for stage in ("val", "test"):
        assert 0.0 <= metrics[f"{stage}/acc"] <= 1.0
        assert {f"{stage}/f1_weighted", f"{stage}/f1_macro", *(f"{stage}/f1_{e}" for e in EMOTIONS)} <= set(metrics)
    history = pd.read_csv(next(run_dir.glob("csv/version_*/metrics.csv")))
    steps = history["train/loss_step"].dropna()
    assert steps.tail(20).mean() < steps.head(5).mean() - 0.05, "training loss did not go down"
    # A random 43k-parameter model learns the class prior in one short epoch, not yet the words:
    # its validation loss must beat a uniform guess, ln 6 = 1.792.
    assert metrics["val/loss"] < 1.74

    reproduced = evaluate_checkpoint(make_config(f"ckpt_path={best}", *ONE_EPOCH[:1], config_name="eval"))
    for name in ("val/acc", "val/f1_weighted", "test/acc", "test/f1_macro"):
        assert reproduced[name] == pytest.approx(metrics[name], abs=1e-6)


def test_fine_tune_run_draws_its_plots(trained_run) -> None:
    plots = Path(trained_run[0].paths.output_dir) / "plots"
    for name in ("confusion_matrix_val_epoch00", "confusion_matrix_val", "confusion_matrix_test", "umap_val"):
        assert_png(plots / f"{name}.png")


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """`python -m <module> ARGS`, in this process."""

    def run(module: str, *args: str) -> Ran:
        return run_command(capsys, monkeypatch, module, *args)

    return run


@pytest.mark.slow
def test_cli_train_and_eval(run_cli, tmp_path: Path, tiny_model: Path, data_dir: Path, trained_run) -> None:
    trained = run_cli(
        "emotion.train",
        "debug=fdr",
        f"data.source={data_dir}",
        f"model.pretrained={tiny_model}",
        f"hydra.run.dir={tmp_path / 'train'}",
    )
    assert trained.code == 0, trained.err[-2000:]
    assert (tmp_path / "train" / "metrics.json").is_file()
    assert (tmp_path / "train" / HF_FOLDER / "config.json").is_file()

    metrics = trained_run[1]
    evaluated = run_cli(
        "emotion.eval",
        f"ckpt_path={metrics['best_model_path']}",
        f"data.source={data_dir}",
        ONE_EPOCH[0],
        f"hydra.run.dir={tmp_path / 'eval'}",
    )
    assert evaluated.code == 0, evaluated.err[-2000:]
    assert f"val/acc: {metrics['val/acc']}" in evaluated.out
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["test/acc"] == metrics["test/acc"]


def test_cli_bad_data_is_one_clear_line(run_cli, tmp_path: Path, tiny_model: Path, data_dir: Path) -> None:
    for name in ("train.txt", "val.txt", "test.txt"):
        (tmp_path / name).write_bytes(gzip.decompress((data_dir / f"{name}.gz").read_bytes()))
    (tmp_path / "labels.txt").write_bytes((data_dir / "labels.txt").read_bytes())
    with (tmp_path / "val.txt").open("a") as handle:
        handle.write("i feel ecstatic;ecstasy\n")
    result = run_cli(
        "emotion.train",
        "debug=fdr",
        f"data.source={tmp_path}",
        f"model.pretrained={tiny_model}",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert result.code != 0
    # The first and only line: the data is read before the model, the loggers and the Trainer.
    assert result.out == "" and result.err_lines == [
        f"error: {tmp_path / 'val.txt'}:2001: unknown label 'ecstasy' "
        f"(expected one of sadness, joy, love, anger, fear, surprise or 0-5, as {tmp_path / 'labels.txt'} declares)"
    ]


@pytest.mark.slow
def test_without_a_terminal_progress_comes_as_lines(make_config, caplog) -> None:
    cfg = make_config("callbacks.progress_lines.every_n_steps=4", "~callbacks.umap")
    assert cfg.trainer.enable_progress_bar is False  # pytest's stdout is no terminal, as under nohup or SLURM
    with caplog.at_level(logging.INFO, logger="emotion.callbacks.progress_lines"):
        train(cfg)
    lines = [r.getMessage() for r in caplog.records if r.name == "emotion.callbacks.progress_lines"]
    assert [line.split(":")[0] for line in lines] == [
        "step 4/8 (epoch 1/1)",
        "step 8/8 (epoch 1/1)",
        "validation at step 8 (epoch 1)",
    ]
    assert re.fullmatch(r"step 8/8 \(epoch 1/1\): loss \d\.\d{4}, [\d.]+ samples/s, 0:00:00 left", lines[1]), lines[1]
    assert re.fullmatch(
        r"validation at step 8 \(epoch 1\): val/acc 0\.\d{4}, val/f1_macro 0\.\d{4}, "
        r"val/f1_weighted 0\.\d{4}, val/loss \d\.\d{4}",
        lines[2],
    ), lines[2]


@pytest.mark.slow
def test_the_command_prints_its_own_lines_once(tmp_path: Path, tiny_model: Path, data_dir: Path) -> None:
    """What only a fresh process shows: the libraries' own console handlers, as nohup or SLURM capture them."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "emotion.train",
            "debug=default",
            "~callbacks.umap",
            f"data.source={data_dir}",
            f"model.pretrained={tiny_model}",
            "callbacks.progress_lines.every_n_steps=4",
            f"hydra.run.dir={tmp_path}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == ""  # Lightning's own console handler printed every line a second time there
    messages = [line.split(" - ", 1)[1] for line in result.stdout.splitlines() if line.startswith("[")]
    assert len(messages) == len(set(messages)), messages
    for chatter in ("Tip", "litlogger", "GPU available", "TPU available", "Seed set", "`Trainer(", "FLOPs", "Flops"):
        assert chatter not in result.stdout, chatter  # FLOPs: Lightning prints 0 for what it did not count
    assert "Total params" in result.stdout  # the summary itself stays
    assert sum(m.startswith(("step 4/8", "step 8/8", "validation at step 8")) for m in messages) == 3, messages
