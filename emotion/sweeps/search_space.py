"""A search space written as Hydra sweep overrides (`choice(...)`, `range(...)`, `interval(...)`,
`tag(log, interval(...))`), as hydra-optuna-sweeper read it, turned into Optuna distributions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, Override, RangeSweep
from omegaconf import DictConfig, OmegaConf
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from emotion.utils.errors import ConfigError


def distribution(override: Override) -> BaseDistribution:
    """The Optuna distribution of one sweep override; `tag(log, ...)` samples on a log scale, `tag(int, ...)` whole
    numbers."""
    sweep = override.value()
    if isinstance(sweep, ChoiceSweep):
        return CategoricalDistribution(
            [
                override.get_value_element_as_str(value) if isinstance(value, dict | list) else value
                for value in sweep.list
            ]
        )
    if isinstance(sweep, RangeSweep):
        return CategoricalDistribution(list(override.sweep_iterator()))
    if isinstance(sweep, IntervalSweep):
        if sweep.start >= sweep.end:
            raise ConfigError(f"{override.input_line}: an interval needs its start below its end")
        if "int" in sweep.tags:
            return IntDistribution(int(sweep.start), int(sweep.end), log="log" in sweep.tags)
        return FloatDistribution(sweep.start, sweep.end, log="log" in sweep.tags)
    raise ConfigError(f"{override.input_line}: not a sweep (use choice(...), range(...) or interval(...))")


def split_overrides(
    params: Mapping[str, Any], arguments: Iterable[str]
) -> tuple[dict[str, BaseDistribution], list[str]]:
    """The search space (the sweeper's `params`, then sweeps given on the command line, which win) and the plain
    overrides every trial gets."""
    parser = OverridesParser.create()
    lines = [f"{key}={value}" for key, value in params.items()]
    try:
        space_overrides = parser.parse_overrides(lines)
        arguments_parsed = parser.parse_overrides(list(arguments))
    except Exception as err:  # Hydra's grammar error: its first line names the override
        raise ConfigError(f"hydra.sweeper.params: {str(err).splitlines()[0]}") from err
    space, fixed = {}, []
    for override in [*space_overrides, *arguments_parsed]:
        if override.is_sweep_override():
            space[override.get_key_element()] = distribution(override)
        else:
            fixed.append(override.input_line)
    return space, fixed


def check_keys(space: Mapping[str, BaseDistribution], cfg: DictConfig) -> None:
    """A searched key must exist in the composed config (a typo would otherwise search nothing, trial after trial)."""
    missing = object()
    for key in space:
        name = key.lstrip("+~")
        if not key.startswith("+") and OmegaConf.select(cfg, name, default=missing) is missing:
            raise ConfigError(
                f"hydra.sweeper.params: {name!r} is not a key of this config "
                "(print the config with --cfg job; add a new key with +key=...)"
            )


def trial_overrides(params: Mapping[str, Any]) -> list[str]:
    """A trial's sampled values as Hydra overrides."""
    return [f"{key}={_hydra_value(value)}" for key, value in params.items()]


def _hydra_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
