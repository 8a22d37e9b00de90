"""What every Hydra command does before its task: compose, check the config, quiet library chatter, and turn
user mistakes into one `error:` line."""

from __future__ import annotations

import difflib
import functools
import gc
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import hydra
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf, open_dict

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


def hydra_command(
    config_name: str, before: Callable[[DictConfig], None] | None = None
) -> Callable[[Callable[[DictConfig], T]], Callable[[], T]]:
    """`@hydra_command("train")` on `main(cfg)`: conf/<config_name>.yaml composed, validated and run.

    `before(cfg)` runs once the config is valid and before the libraries are imported (quieting them imports
    them): what it starts in another process runs beside those imports."""

    def decorate(task: Callable[[DictConfig], T]) -> Callable[[], T]:
        @functools.wraps(task)
        @one_line_errors
        def run(cfg: DictConfig) -> T:
            check_command(cfg, config_name)
            validate(cfg)
            if before is not None:
                before(cfg)
            quiet_libraries(cfg.get("verbose", False))
            return task(cfg)

        hydra_main = hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name=config_name)(run)

        @functools.wraps(task)
        def entry() -> T:
            check_overrides(config_name, sys.argv[1:])
            result = hydra_main()
            # Everything the command makes is written and closed by now. Frozen, the objects torch, Lightning and
            # transformers made are left out of the interpreter's last garbage collection, which walked them all
            # only to free memory the process is about to give back (experiments/results/startup.md).
            gc.freeze()
            return result

        return entry

    return decorate


def check_overrides(config_name: str, argv: list[str]) -> None:
    """Composes the command line's overrides once before Hydra does, so that an unknown group (`model=` for
    `eval`), a misspelled key or a bad `+`/`~` ends in one `error:` line naming what the command accepts, not
    Hydra's three lines. Command lines with flags (-m, --cfg, --help, ...) are left to Hydra."""
    if any(arg.startswith("-") for arg in argv):
        return
    try:
        _compose(config_name, argv)
    except (ConfigCompositionException, MissingConfigException, OverrideParseException) as err:
        raise SystemExit(f"error: {_explain(config_name, argv, err)}") from None
    finally:
        GlobalHydra.instance().clear()


def _compose(config_name: str, overrides: list[str]) -> DictConfig:
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF_DIR)):
        return compose(config_name=config_name, overrides=overrides, return_hydra_config=True)


def _explain(config_name: str, argv: list[str], err: Exception) -> str:
    """Hydra's message about one override, as one line with what the command accepts instead."""
    message = str(err)
    command = f"python -m emotion.{config_name}"
    base = _compose(config_name, [])
    groups = sorted(group for group in base.hydra.runtime.choices if not group.startswith("hydra"))
    if match := re.match(r"Could not override '([^']+)'\. No match in the defaults list", message):
        return (
            f"{match[1]}=...: {command} has no '{match[1]}' option (its config groups: {', '.join(groups)}; "
            "a new key needs +key=value)"
        )
    if match := re.match(r"Could not override '([^']+)'\.", message):
        parent, _, key = match[1].rpartition(".")
        node = OmegaConf.select(base, parent) if parent else base
        known = [str(k) for k in node] if isinstance(node, DictConfig) else []
        close = difflib.get_close_matches(key, known, n=1)
        hint = (
            f"did you mean {(parent + '.') if parent else ''}{close[0]}?"
            if close
            else (f"known keys: {', '.join(known[:12])}" if known else "a new key needs +key=value")
        )
        return f"{match[1]}: no such key in {command}'s config ({hint})"
    if match := re.search(r"Could not find '([^'/]+)/([^']+)'", message):
        options = re.findall(r"^\t(\S+)$", message.split("Config search path")[0], re.M)
        return f"{match[1]}={match[2]}: no such {match[1]} option (one of: {', '.join(options)})"
    if match := re.match(r"Could not delete from config\. '([^']+)' does not exist", message):
        return f"~{match[1]}: no such key to delete in {command}'s config"
    if match := re.match(r"Could not append to config\. An item is already at '([^']+)'", message):
        return f"+{match[1]}: {match[1]} already exists; set it with {match[1]}=..."
    if match := re.match(r"Error parsing override '([^']*)'", message):
        return f"{match[1]}: not an override Hydra can read (key=value, +key=value, ~key; quote values with spaces)"
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


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
