"""Data exploration, feature extraction with its cache, and error analysis, on the tiny model."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import emotion.analysis.feature_cache as feature_cache
from emotion.analyze import analyze
from emotion.data.labels import EMOTIONS
from emotion.explore import summarize
from emotion.features import run_features
from tests.conftest import assert_png


@pytest.mark.slow
def test_explore_writes_plots_and_table(make_config) -> None:
    cfg = make_config("data.max_length=24", config_name="explore")
    rows = summarize(cfg)
    out = Path(cfg.paths.output_dir)
    assert_png(out / "class_balance.png")
    assert_png(out / "words_per_tweet.png")
    by_split = {row["split"]: row for row in rows}
    assert by_split["train"]["examples"] == 16000 and by_split["validation"]["love"] == 178
    assert by_split["train"]["words_p100"] == 66  # the README: 2 to 66 words
    assert 0.0 < by_split["train"]["truncated_at_24"] < 1.0
    assert json.loads((out / "summary.json").read_text()) == rows
    assert "| train | 16000 | 4666 |" in (out / "summary.md").read_text()


@pytest.mark.slow
def test_features_experiment_scores_baselines_and_reuses_its_cache(
    make_config, tmp_path: Path, monkeypatch, caplog
) -> None:
    overrides = [
        "experiment=features",
        "data.max_samples={train: 1500, validation: 400, test: 400}",
        "umap.max_points=400",
        f"paths.cache_dir={tmp_path / 'cache'}",
    ]
    cfg = make_config(*overrides, config_name="features")
    with caplog.at_level(logging.INFO, logger="emotion"):
        metrics = run_features(cfg)
    # every long stage says how long it took
    for stage in ("Reading and tokenizing the data", "Fitting logreg on 1500 vectors", "UMAP of 400 training vectors"):
        assert any(re.match(rf"{stage}.*: \d+\.\d s$", message) for message in caplog.messages), caplog.messages
    out = Path(cfg.paths.output_dir)
    assert_png(out / "confusion_matrix_logreg_val.png")
    assert_png(out / "umap_train.png")
    assert json.loads((out / "metrics.json").read_text()) == metrics
    for name in ("logreg", "dummy"):
        for stage in ("val", "test"):
            assert 0.0 <= metrics[f"{name}/{stage}/acc"] <= 1.0
            assert 0.0 <= metrics[f"{name}/{stage}/f1_weighted"] <= 1.0
    assert len(list((tmp_path / "cache" / "features").glob("*.npz"))) == 1

    # The dummy predicts the most frequent training label: its accuracy is that label's share of validation.
    from emotion.data import EmotionDataModule

    datamodule = EmotionDataModule(cfg.data.source, cfg.data.tokenizer, max_samples=dict(cfg.data.max_samples))
    datamodule.setup()
    majority = np.bincount(datamodule.raw["train"]["label"]).argmax()
    share = float(np.mean(np.array(datamodule.raw["validation"]["label"]) == majority))
    assert metrics["dummy/val/acc"] == pytest.approx(share)

    def no_recompute(*args, **kwargs):
        raise AssertionError("hidden states were recomputed despite the cache")

    monkeypatch.setattr(feature_cache, "hidden_states", no_recompute)
    again = run_features(make_config(*overrides, config_name="features"))
    assert again == metrics
    with pytest.raises(AssertionError, match="recomputed"):  # a different pooling is a different cache entry
        run_features(make_config(*overrides, "features.pooling=mean", config_name="features"))


def test_error_analysis_sorts_by_loss_and_flags_conflicts(make_config, trained_run) -> None:
    best = trained_run[1]["best_model_path"]
    cfg = make_config(f"ckpt_path={best}", "top_n=5", config_name="analyze")
    frame = analyze(cfg)
    out = Path(cfg.paths.output_dir)
    assert len(frame) == 2000
    probabilities = frame[[f"p_{e}" for e in EMOTIONS]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    gold = probabilities[np.arange(len(frame)), [EMOTIONS.index(x) for x in frame["label"]]]
    np.testing.assert_allclose(frame["loss"], -np.log(gold), rtol=1e-4)

    ranked = pd.read_csv(out / "losses_validation.csv")
    assert ranked["loss"].is_monotonic_decreasing
    hardest, easiest = pd.read_csv(out / "hardest_validation.csv"), pd.read_csv(out / "easiest_validation.csv")
    assert len(hardest) == len(easiest) == 5
    assert hardest["loss"].min() >= ranked["loss"].iloc[5] and easiest["loss"].max() <= ranked["loss"].iloc[-6]
    assert easiest["loss"].is_monotonic_increasing
    # The data README: "i feel so blessed to be a part of your days" is love in train and joy in validation.
    flagged = set(frame.loc[frame["label_conflict"], "text"])
    assert "i feel so blessed to be a part of your days" in flagged
    report = (out / "report_validation.md").read_text()
    assert "## Hardest 5" in report and "i feel so blessed to be a part of your days" in report


def test_tables_print_counts_as_integers_and_scores_to_four_places() -> None:
    from emotion.storage.tables import markdown_table

    table = markdown_table(
        [{"examples": 16000, "words_p50": 17.0, "samples/s": 82.2456, "acc": 0.93451, "ms": 1234.56}]
    )
    assert table.splitlines()[-1] == "| 16000 | 17 | 82.25 | 0.9345 | 1234.6 |"
