"""The whole pipeline on the tiny model: train, evaluate, export, and load the export in a pipeline."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from transformers import pipeline

from emotion.data.labels import EMOTIONS
from emotion.eval import evaluate_checkpoint
from emotion.inference.hf_folder import HF_FOLDER
from emotion.training.job import train
from tests.conftest import ONE_EPOCH, assert_png
from tests.helpers.commands import Ran, run_command


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
    last = result.err_lines[-1]
    assert (
        last == f"error: {tmp_path / 'val.txt'}:2001: unknown label 'ecstasy' "
        "(expected one of sadness, joy, love, anger, fear, surprise or 0-5)"
    )
