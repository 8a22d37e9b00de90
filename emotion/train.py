"""Fine-tune a sequence classifier on the emotion data: `python -m emotion.train [overrides]`.

Fits on however many devices the trainer config asks for, then (rank 0 only) evaluates the best checkpoint on
one device, writes `metrics.json` and exports a Hugging Face model folder into the run dir (`emotion.training.job`).
The trainer's libraries are imported only once the config is composed, after the figures' drawing process has been
started: its imports then run beside the trainer's.
"""

from __future__ import annotations

from omegaconf import DictConfig

from emotion.reporting import drawing
from emotion.utils.command import hydra_command


def start_drawing(cfg: DictConfig) -> None:
    """On global rank 0 of a run with figure callbacks: the drawing process, started before the trainer's imports."""
    if drawing.is_global_zero() and draws_figures(cfg):
        drawing.start()


@hydra_command("train", before=start_drawing)
def main(cfg: DictConfig) -> float | None:
    from emotion.training.job import train
    from emotion.training.launch import metric_value

    return metric_value(train(cfg), cfg.get("optimized_metric"))


def draws_figures(cfg: DictConfig) -> bool:
    """Whether a callback of the run is one of the project's figure callbacks (`emotion.callbacks`)."""
    return any(str(callback.get("_target_", "")).startswith("emotion.callbacks.")
               for callback in (cfg.get("callbacks") or {}).values() if callback is not None)


if __name__ == "__main__":
    main()
