"""Fine-tune a sequence classifier on the emotion data: `python -m emotion.train [overrides]`.

Fits on however many devices the trainer config asks for, then (rank 0 only) evaluates the best checkpoint on
one device, writes `metrics.json` and exports a Hugging Face model folder into the run dir (`emotion.training.job`).
The trainer's libraries are imported only once the config is composed, after the figures' drawing process has been
started (its imports then run beside the trainer's) and after wandb's own imports, which cost more once those
libraries are loaded.
"""

from __future__ import annotations

from omegaconf import DictConfig

from emotion.reporting import drawing
from emotion.utils.command import hydra_command

# Named as configs name them; importing emotion.callbacks itself would import Lightning before the drawing process.
FIGURES = {f"emotion.callbacks.{name}" for name in ("ConfusionMatrixPlot", "ReliabilityDiagram", "UmapPlot")}


def before_imports(cfg: DictConfig) -> None:
    """What starts before the trainer's imports: on global rank 0 of a run with figure callbacks, the drawing
    process; in a run that logs to wandb, the module of wandb's that `wandb.init` imports. Its pydantic models look
    up their own source, and `inspect.getmodule` scans all of `sys.modules` for each, which costs several times
    more once torch, Lightning and transformers are loaded."""
    if drawing.is_global_zero() and draws_figures(cfg):
        drawing.start()
    if logs_to_wandb(cfg):
        import wandb.sdk.launch.inputs.internal  # noqa: F401


@hydra_command("train", before=before_imports)
def main(cfg: DictConfig) -> float | None:
    from emotion.training.job import train
    from emotion.training.launch import metric_value

    return metric_value(train(cfg), cfg.get("optimized_metric"))


def draws_figures(cfg: DictConfig) -> bool:
    """Whether a callback of the run is one of the project's figure callbacks (FIGURES)."""
    return any(target in FIGURES for target in targets(cfg, "callbacks"))


def logs_to_wandb(cfg: DictConfig) -> bool:
    return any(target.endswith(".WandbLogger") for target in targets(cfg, "logger"))


def targets(cfg: DictConfig, group: str) -> list[str]:
    """The classes a group of instantiated objects (`callbacks`, `logger`) names, one per entry left on."""
    return [str(entry.get("_target_", "")) for entry in (cfg.get(group) or {}).values() if entry is not None]


if __name__ == "__main__":
    main()
