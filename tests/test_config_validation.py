"""Configs are checked once, when composed: a bad value, a foreign experiment or an unknown sweep metric stops the
command in one line naming the key; the global batch stays global on any number of devices."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from emotion.data import EmotionDataModule
from emotion.data.datamodule import per_device_batch_size
from emotion.data.labels import EMOTIONS
from emotion.models.checkpoint import load_classifier_and_data
from emotion.training.job import train
from emotion.training.launch import check_optimized_metric, metric_value
from emotion.utils.command import check_command
from emotion.utils.errors import ConfigError
from emotion.utils.schema import validate
from tests.conftest import ROOT
from tests.helpers.batch_probe import PROBE, samples_per_step


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data.batch_size=0", "data.batch_size=0: expected an integer >= 1"),
        ("data.max_length=-1", "data.max_length=-1: expected an integer >= 1"),
        ("trainer.max_epochs=abc", "trainer.max_epochs='abc': expected an integer >= -1"),
        ("data.padding=left", "data.padding='left': expected one of 'batch', 'global'"),
        ("++data.max_samples.dev=4", "data.max_samples: unknown key 'dev' (expected train, validation, test)"),
        (
            "data.max_samples.train=0",
            "data.max_samples={'train': 0, 'validation': 256, 'test': 256}: "
            "expected a mapping of a string to an integer >= 1 or null",
        ),
        ("model.lr=2", "model.lr=2: expected a number >= 0.0 and < 1.0"),
        ("model.warmup_ratio=abc", "model.warmup_ratio='abc': expected a number >= 0.0 and < 1.0"),
        ("model.layer_lr_decay=1.5", "model.layer_lr_decay=1.5: expected a number >= 0.0 and <= 1.0"),
        ("data.group_by_length=maybe", "data.group_by_length='maybe': expected true or false"),
        ("trainer.accumulate_grad_batches=0", "trainer.accumulate_grad_batches=0: expected an integer >= 1"),
        (
            "+data.batch_sise=32",
            "data.batch_sise: unknown key (known: source, tokenizer, max_length, batch_size, "
            "eval_batch_size, num_workers, group_by_length, padding, pad_to_multiple_of, max_samples, seed, labels)",
        ),
        ("seed=one", "seed='one': expected an integer or null"),
    ],
)
def test_bad_values_are_refused_in_one_line_naming_the_key(make_config, override: str, message: str) -> None:
    cfg = make_config(override)
    with pytest.raises(ConfigError) as caught:
        validate(cfg)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("config_name", "override", "message"),
    [
        ("analyze", "split=dev", "split='dev': expected one of 'train', 'validation', 'test'"),
        ("export", "min_agreement=1.5", "min_agreement=1.5: expected a number >= 0.0 and <= 1.0"),
        ("features", "features.pooling=max", "features.pooling='max': expected one of 'cls', 'mean'"),
    ],
)
def test_each_commands_own_keys_are_checked(make_config, config_name: str, override: str, message: str) -> None:
    extra = ["ckpt_path=/x.ckpt"] if config_name in ("analyze", "export") else []
    with pytest.raises(ConfigError, match=f"^{message.replace('(', '[(]').replace(')', '[)]')}$"):
        validate(make_config(*extra, override, config_name=config_name))


def test_a_missing_checkpoint_path_is_named(make_config) -> None:
    with pytest.raises(ConfigError, match=r"^ckpt_path: missing; set it on the command line, e.g. ckpt_path=\.\.\.$"):
        validate(make_config(config_name="eval"))


def test_the_model_limit_bounds_max_length(data_dir: Path, tiny_model: Path) -> None:
    with pytest.raises(
        ConfigError, match=f"^data.max_length=600: above the model's limit of 512 tokens [(]{tiny_model}[)]$"
    ):
        EmotionDataModule(str(data_dir), str(tiny_model), max_length=600)


def test_an_experiment_runs_only_under_its_own_command(make_config) -> None:
    check_command(make_config("experiment=finetune"), "train")
    cfg = make_config("experiment=features")
    assert cfg.command == "features"
    with pytest.raises(
        ConfigError, match="^experiment=features is for `python -m emotion.features`, not `python -m emotion.train`$"
    ):
        check_command(cfg, "train")


@pytest.mark.slow
def test_cli_refusals_are_one_line(tmp_path: Path, tiny_model: Path) -> None:
    for override, line in [
        ("data.batch_size=0", "error: data.batch_size=0: expected an integer >= 1"),
        (
            "experiment=features",
            "error: experiment=features is for `python -m emotion.features`, not `python -m emotion.train`",
        ),
    ]:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "emotion.train",
                override,
                f"model.pretrained={tiny_model}",
                f"hydra.run.dir={tmp_path}",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [line]


def test_a_sweep_metric_the_run_does_not_produce_is_an_error(make_config) -> None:
    with pytest.raises(
        ConfigError,
        match=r"^optimized_metric='val/f1_weigthed': not a metric this run reports "
        r"\(one of test/acc, test/ece, .*val/f1_weighted, val/loss, val/nll\)$",
    ):
        check_optimized_metric("val/f1_weigthed", EMOTIONS)
    check_optimized_metric("val/f1_neutral", ["negative", "neutral", "positive"])  # per class: the data's classes
    assert metric_value({"val/acc": 0.5}, "val/acc") == 0.5
    assert metric_value({}, "val/acc") is None  # ranks other than 0 report nothing
    with pytest.raises(
        ConfigError, match=r"^optimized_metric='test/acc': this run did not produce it \(it has val/acc\)$"
    ):
        metric_value({"val/acc": 0.5}, "test/acc")


def test_every_shipped_config_validates(make_config) -> None:
    for experiment in ("finetune", "finetune_minilm"):
        validate(make_config(f"experiment={experiment}"))
    validate(make_config("experiment=features", config_name="features"))
    for name in ("eval", "analyze", "export"):
        validate(make_config("ckpt_path=/x.ckpt", config_name=name))
    validate(make_config(config_name="explore"))


def test_per_device_batch_is_the_global_batch_split() -> None:
    assert per_device_batch_size(64, 1, 1) == 64
    assert per_device_batch_size(64, 8, 1) == 8
    assert per_device_batch_size(64, 2, 2) == 16
    with pytest.raises(
        ConfigError,
        match=r"^data.batch_size=64 \(the global batch\) does not divide into 3 device\(s\) "
        r"x 1 accumulation step\(s\); use a multiple of 3$",
    ):
        per_device_batch_size(64, 3, 1)


SLICE = [
    "data.max_samples={train: 256, validation: 64, test: 64}",
    "data.batch_size=32",
    "~callbacks.umap",
    "logger=csv",
    PROBE,
]


@pytest.mark.slow
def test_accumulation_keeps_the_global_batch(make_config) -> None:
    one = make_config(*SLICE)
    train(one)
    assert samples_per_step(Path(one.paths.output_dir)) == (8, [32] * 8)
    accumulated = make_config(*SLICE, "trainer.accumulate_grad_batches=4")
    train(accumulated)
    assert samples_per_step(Path(accumulated.paths.output_dir)) == (8, [32] * 8)


def test_loading_a_checkpoint_leaves_the_config_as_composed(make_config, trained_run) -> None:
    cfg = make_config(f"ckpt_path={trained_run[1]['best_model_path']}", config_name="eval")
    before = OmegaConf.to_yaml(cfg)
    model, datamodule = load_classifier_and_data(cfg)
    assert OmegaConf.to_yaml(cfg) == before and cfg.data.tokenizer is None
    assert datamodule.tokenizer.name_or_path == model.hparams.pretrained
