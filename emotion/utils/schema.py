"""Every config key the commands read, with its type and allowed values, checked once right after Hydra composes.

Hydra accepts `data.batch_size=0` or `trainer.max_epochs=abc` and the run fails later with a long traceback (or
not at all); here each is refused in one line that names the key and what it allows. A group's own keys are
listed in full (an unknown key is refused too); `trainer` lists what this project sets and leaves Lightning's
other arguments to Lightning.
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from omegaconf import DictConfig, ListConfig, OmegaConf

from emotion.utils.errors import ConfigError

SPLIT_NAMES = ("train", "validation", "test")


def check(
    *,
    ge: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    keys: tuple[str, ...] | None = None,
    default: Any = None,
) -> Any:
    """A field with bounds (`ge`, `le`, `lt`) on its number, or allowed `keys` for a mapping."""
    return dataclasses.field(default=default, metadata={"ge": ge, "le": le, "lt": lt, "keys": keys})


@dataclass
class DataSchema:
    source: str
    tokenizer: str | None  # null in eval/analyze/export: the checkpoint's own
    max_length: int = check(ge=1)  # the model's own limit is checked when its tokenizer loads
    batch_size: int = check(ge=1)  # global: split over devices x nodes x accumulation
    eval_batch_size: int = check(ge=1)
    num_workers: int = check(ge=0)
    group_by_length: bool = False
    padding: Literal["batch", "global"] = "batch"
    pad_to_multiple_of: int | None | Literal["auto"] = check(ge=1, default="auto")
    max_samples: dict[str, int] | None = check(ge=1, keys=SPLIT_NAMES)
    seed: int | None = None
    labels: list[str] | None = None  # the names themselves are checked where the data is read


@dataclass
class ModelSchema:
    pretrained: str
    lr: float = check(ge=0.0, lt=1.0)
    weight_decay: float = check(ge=0.0)
    warmup_ratio: float = check(ge=0.0, lt=1.0)
    class_weighting: bool = False
    label_smoothing: float = check(ge=0.0, lt=1.0)
    fused_adamw: bool = True
    compile: bool = False
    layer_lr_decay: float = check(ge=0.0, le=1.0, default=1.0)
    # A run dir, model folder or logits file, or a list of them (an ensemble); checked when fitting starts.
    teacher: str | list[str] | None = None
    distill_alpha: float = check(ge=0.0, le=1.0, default=0.5)
    distill_temperature: float = check(ge=0.1, default=2.0)
    teacher_cache_dir: str = ".cache/teacher_logits"


@dataclass
class TrainerSchema:
    default_root_dir: str
    min_epochs: int = check(ge=0)
    max_epochs: int = check(ge=-1)
    max_steps: int = check(ge=-1)
    accelerator: str = "auto"
    devices: int | str | list[int] = 1
    num_nodes: int = check(ge=1, default=1)
    strategy: str = "auto"
    sync_batchnorm: bool = False
    precision: Literal[
        "32-true", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "64-true", "32", "16", "bf16", "64", 32, 16, 64
    ] = "32-true"
    accumulate_grad_batches: int = check(ge=1, default=1)
    check_val_every_n_epoch: int | None = check(ge=1)
    val_check_interval: float | int = check(ge=0.0, default=1.0)  # a fraction of an epoch, or a batch count
    log_every_n_steps: int = check(ge=1)
    enable_progress_bar: bool = True
    deterministic: bool | Literal["warn"] = False
    use_distributed_sampler: Literal[False] = False  # the data module shards itself
    fast_dev_run: bool | int = False
    _open = True  # Lightning's other Trainer arguments pass through


@dataclass
class DistributedSchema:
    timeout_s: float | None = check(ge=1.0)


@dataclass
class FeaturesSchema:
    pooling: Literal["cls", "mean"]
    cache_dir: str


@dataclass
class UmapSchema:
    max_points: int | None = check(ge=10)


@dataclass
class SweeperSchema:
    """`hydra/sweeper=study` (emotion/sweeps): checked by the sweeper before its first trial."""

    study_name: str
    storage: str
    direction: Literal["maximize", "minimize"]
    n_trials: int = check(ge=1)
    n_workers: int = check(ge=1)
    pruner: str = "median"  # the name is checked against the pruners that exist (emotion/sweeps/study.py)
    pruner_args: dict[str, Any] | None = None
    max_retries: int = check(ge=0)
    max_failures: int = check(ge=1)
    heartbeat_interval: int | None = check(ge=1)
    params: dict[str, Any] | None = None


@dataclass
class RunSchema:
    """Top-level keys every command has."""

    command: Literal["train", "eval", "features", "explore", "analyze", "export"]
    task_name: str
    tags: list[str]
    seed: int | None = None
    verbose: bool = False
    _open = True  # the command's own keys are below


# Keys only some commands have: (key, type, bounds); the groups above are checked wherever they appear.
COMMAND_KEYS: dict[str, tuple[tuple[str, Any, dict], ...]] = {
    "train": (
        ("ckpt_path", str | None, {}),
        ("optimized_metric", str | None, {}),
        ("test", bool, {}),
        ("export_hf", bool, {}),
        ("log_models", bool, {}),
    ),
    "eval": (("ckpt_path", str, {}),),
    "analyze": (
        ("ckpt_path", str, {}),
        ("split", Literal["train", "validation", "test"], {}),
        ("top_n", int, {"ge": 1}),
    ),
    "export": (
        ("ckpt_path", str, {}),
        ("out_dir", str, {}),
        ("opset", int, {"ge": 14, "le": 21}),
        ("min_agreement", float, {"ge": 0.0, "le": 1.0}),
        ("calibrate", bool, {}),
    ),
}
# Config nodes with a schema, by path; each is checked wherever it is present.
GROUPS: dict[str, type] = {
    "data": DataSchema,
    "model": ModelSchema,
    "trainer": TrainerSchema,
    "features": FeaturesSchema,
    "umap": UmapSchema,
    "distributed": DistributedSchema,
}


def validate(cfg: DictConfig) -> None:
    """Raises ConfigError naming the first key whose value is missing, of the wrong type or out of range."""
    validate_node(cfg, "", RunSchema)
    for key, kind, bounds in COMMAND_KEYS.get(cfg.command, ()):
        _check_value(key, _value(cfg, key), kind, bounds)
    for path, schema in GROUPS.items():
        if (node := OmegaConf.select(cfg, path)) is not None:
            validate_node(node, f"{path}.", schema)


def validate_node(node: DictConfig, prefix: str, schema: type) -> None:
    """Checks one config node against its schema dataclass, naming keys with `prefix` (e.g. `hydra.sweeper.`)."""
    hints = get_type_hints(schema)
    fields = {field.name: field for field in dataclasses.fields(schema)}
    if not getattr(schema, "_open", False):
        for key in node:
            if not str(key).startswith("_") and key not in fields:
                raise ConfigError(f"{prefix}{key}: unknown key (known: {', '.join(fields)})")
    for name, field in fields.items():
        if name in node or field.default is dataclasses.MISSING:
            _check_value(f"{prefix}{name}", _value(node, name, prefix), hints[name], field.metadata)


def _value(node: DictConfig, key: str, prefix: str = "") -> Any:
    """The resolved value (plain Python), or a one-line error when it is missing or does not resolve."""
    if key not in node or OmegaConf.is_missing(node, key):
        raise ConfigError(f"{prefix}{key}: missing; set it on the command line, e.g. {prefix}{key}=...")
    try:
        value = node[key]
    except Exception as err:  # an interpolation that fails: say which key and the resolver's own words, in one line
        words = re.sub(r"^\w+ raised while resolving interpolation: ", "", str(err).splitlines()[0])
        raise ConfigError(f"{prefix}{key}: {words}") from err
    return OmegaConf.to_container(value, resolve=True) if isinstance(value, (DictConfig, ListConfig)) else value


def _check_value(key: str, value: Any, kind: Any, bounds: Mapping[str, Any]) -> None:
    if not _matches(value, kind):
        raise ConfigError(f"{key}={value!r}: expected {_describe(kind, bounds)}")
    numbers = list(value.values()) if isinstance(value, dict) else [value]
    for number in numbers:
        if isinstance(number, (int, float)) and not isinstance(number, bool) and not _in_bounds(number, bounds):
            raise ConfigError(f"{key}={value!r}: expected {_describe(kind, bounds)}")
    allowed = bounds.get("keys")
    if allowed and isinstance(value, dict) and set(value) - set(allowed):
        unknown = sorted(set(value) - set(allowed))[0]
        raise ConfigError(f"{key}: unknown key {unknown!r} (expected {', '.join(allowed)})")


def _matches(value: Any, kind: Any) -> bool:
    if kind is Any:
        return True
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        return any(_matches(value, option) for option in get_args(kind))
    if origin is Literal:
        # True == 1 in Python: a bool matches only a bool option, a number only a number.
        return any(value == option and isinstance(value, bool) == isinstance(option, bool) for option in get_args(kind))
    if origin is dict:
        key_type, value_type = get_args(kind)
        return isinstance(value, dict) and all(
            _matches(k, key_type) and _matches(v, value_type) for k, v in value.items()
        )
    if origin is list:
        return isinstance(value, list) and all(_matches(item, get_args(kind)[0]) for item in value)
    if kind is type(None):
        return value is None
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _in_bounds(number: float, bounds: Mapping[str, Any]) -> bool:
    ge, le, lt = bounds.get("ge"), bounds.get("le"), bounds.get("lt")
    return (ge is None or number >= ge) and (le is None or number <= le) and (lt is None or number < lt)


def _describe(kind: Any, bounds: Mapping[str, Any]) -> str:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(option, bounds) for option in get_args(kind))
    if origin is Literal:
        return "one of " + ", ".join(repr(option) for option in get_args(kind))
    if origin is dict:
        return f"a mapping of {_describe(get_args(kind)[0], {})} to {_describe(get_args(kind)[1], bounds)}"
    if origin is list:
        return f"a list of {_describe(get_args(kind)[0], {})}s"
    if kind is type(None):
        return "null"
    name = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(kind, str(kind))
    limits = [
        f"{op} {bounds[key]}" for key, op in (("ge", ">="), ("le", "<="), ("lt", "<")) if bounds.get(key) is not None
    ]
    return f"{name} {' and '.join(limits)}".strip() if kind in (int, float) else name
