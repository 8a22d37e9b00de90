"""What every Hydra command does before its task: compose, check the config, quiet library chatter, and turn
user mistakes into one `error:` line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import hydra
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

from emotion.utils.errors import ConfigError, one_line_errors
from emotion.utils.logs import quiet_libraries
from emotion.utils.schema import validate

T = TypeVar("T")
CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


def check_command(cfg: DictConfig, command: str) -> None:
    """An experiment config belongs to one command (its `command` key); another command refuses it."""
    if cfg.command != command:
        choice = HydraConfig.get().runtime.choices.get("experiment") if HydraConfig.initialized() else None
        what = f"experiment={choice}" if choice else f"command={cfg.command}"
        raise ConfigError(f"{what} is for `python -m emotion.{cfg.command}`, not `python -m emotion.{command}`")


def hydra_command(config_name: str) -> Callable[[Callable[[DictConfig], T]], Callable[[], T]]:
    """`@hydra_command("train")` on `main(cfg)`: conf/<config_name>.yaml composed, validated and run."""

    def decorate(task: Callable[[DictConfig], T]) -> Callable[[], T]:
        @functools.wraps(task)
        @one_line_errors
        def run(cfg: DictConfig) -> T:
            quiet_libraries(cfg.get("verbose", False))
            check_command(cfg, config_name)
            validate(cfg)
            return task(cfg)

        return hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name=config_name)(run)

    return decorate


def compose_config(config_name: str, overrides: list[str], output_dir: Path) -> DictConfig:
    """The config the CLI would build, for code that runs a task in-process (tests, benchmarks), with Hydra's
    runtime set so `${hydra:...}` resolves and outputs go to `output_dir`."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF_DIR)):
        cfg = compose(config_name=config_name, overrides=overrides, return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(output_dir)
        cfg.hydra.runtime.cwd = str(CONF_DIR.parent)
        cfg.hydra.job.num = 0
        cfg.paths.output_dir = str(output_dir)  # fixed now: a later compose replaces the global HydraConfig
    HydraConfig().set_config(cfg)
    return cfg
