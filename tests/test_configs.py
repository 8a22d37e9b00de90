"""Every config in conf/ composes, and the book recipe is what experiment=finetune says it is."""

from __future__ import annotations

from pathlib import Path

import hydra
import pytest
from omegaconf import OmegaConf

from emotion.data import CARER_DIR
from emotion.utils.command import CONF_DIR, compose_config


def options(group: str) -> list[str]:
    return sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml"))


# Each experiment belongs to one entry point.
EXPERIMENT_ENTRY = {
    "finetune": "train",
    "finetune_minilm": "train",
    "book_minilm": "train",
    "features": "features",
    "teacher_mpnet": "train",
    "distill_minilm": "train",
}
# What an experiment needs from the command line.
REQUIRED = {"distill_minilm": ["model.teacher=/runs/teacher"]}
ENTRIES = ["train", "eval", "features", "explore", "analyze"]


@pytest.mark.parametrize(
    ("config_name", "override"),
    [
        ("train", f"{group}={name}")
        for group in ("data", "model", "trainer", "logger", "callbacks", "debug")
        for name in options(group)
    ]
    + [("train", f"hparams_search={name}") for name in options("hparams_search")]
    + [(EXPERIMENT_ENTRY[name], f"experiment={name}") for name in options("experiment")]
    + [(name, "ckpt_path=/x.ckpt" if name in ("eval", "analyze") else "seed=1") for name in ENTRIES],
)
def test_config_composes_and_resolves(
    config_name: str, override: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mpnet").mkdir()  # model=mpnet_offline names the folder `make mpnet` assembles
    (tmp_path / "mpnet" / "config.json").write_text("{}")
    monkeypatch.setenv("EMOTION_MPNET_DIR", str(tmp_path / "mpnet"))
    cfg = compose_config(config_name, [override, *REQUIRED.get(override.split("=")[-1], [])], tmp_path)
    resolved = OmegaConf.to_container(cfg, resolve=True)
    for group in ("data", "model", "trainer"):
        if group in resolved:
            hydra.utils.get_class(resolved[group]["_target_"])  # the target exists
    assert resolved["paths"]["output_dir"] == str(tmp_path)


def test_finetune_is_the_book_recipe(tmp_path: Path) -> None:
    cfg = compose_config("train", ["experiment=finetune"], tmp_path)
    assert cfg.trainer.max_epochs == 2 and cfg.trainer.check_val_every_n_epoch == 1
    assert (cfg.model.lr, cfg.model.weight_decay, cfg.data.batch_size) == (2e-5, 0.01, 64)
    assert cfg.model.pretrained == "distilbert-base-uncased" and cfg.data.source == str(CARER_DIR)
    assert cfg.data.tokenizer == cfg.model.pretrained


@pytest.mark.parametrize("config_name", ENTRIES + ["export"])
def test_every_command_reads_the_shipped_data_by_default(config_name: str, tmp_path: Path) -> None:
    cfg = compose_config(
        config_name, ["ckpt_path=/x.ckpt"] if config_name in ("eval", "analyze", "export") else [], tmp_path
    )
    assert cfg.data.source == str(CARER_DIR)
    assert compose_config(config_name, ["data=emotion"], tmp_path).data.source == "dair-ai/emotion"


def test_local_data_is_the_source_then_the_env_then_the_shipped_copy(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("EMOTION_DATA_DIR", raising=False)
    assert compose_config("train", ["data=local"], tmp_path).data.source == str(CARER_DIR)
    monkeypatch.setenv("EMOTION_DATA_DIR", "/data/emotion")
    assert compose_config("train", ["data=local"], tmp_path).data.source == "/data/emotion"
    assert compose_config("train", ["data=local", "data.source=/mine"], tmp_path).data.source == "/mine"


def test_command_line_overrides_reach_every_group(tmp_path: Path) -> None:
    cfg = compose_config(
        "train",
        ["data=local", "data.max_length=64", "model.pretrained=/models/x", "trainer.max_epochs=5", "logger=csv"],
        tmp_path,
    )
    assert (cfg.data.max_length, cfg.data.tokenizer, cfg.trainer.max_epochs) == (64, "/models/x", 5)
    assert list(cfg.logger) == ["csv"]


def test_wandb_defaults_to_offline(tmp_path: Path) -> None:
    cfg = compose_config("train", [], tmp_path)
    assert cfg.logger.wandb.offline is True


def test_eval_config_needs_a_checkpoint(tmp_path: Path) -> None:
    cfg = compose_config("eval", ["ckpt_path=/x.ckpt"], tmp_path)
    assert cfg.ckpt_path == "/x.ckpt" and cfg.task_name == "eval"


def test_runs_differing_only_in_their_seed_share_a_wandb_group(tmp_path: Path) -> None:
    first = compose_config("train", ["model.lr=1e-3", "seed=1", "data.batch_size=32"], tmp_path).logger.wandb.group
    second = compose_config("train", ["data.batch_size=32", "seed=2", "model.lr=1e-3"], tmp_path).logger.wandb.group
    other = compose_config("train", ["model.lr=3e-3", "seed=1", "data.batch_size=32"], tmp_path).logger.wandb.group
    assert first == second == "data.batch_size=32,model.lr=1e-3" and other != first
