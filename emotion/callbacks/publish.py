"""A figure of the run: drawn in the drawing process, saved into the run dir, and sent to whichever active loggers
take images once it is ready."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.loggers import Logger, TensorBoardLogger, WandbLogger

from emotion.reporting import drawing


@dataclass
class _Pending:
    future: Future[Path]
    key: str
    step: int
    loggers: list[Logger]


_pending: list[_Pending] = []


def publish(trainer: L.Trainer, builder: Callable[..., Any], args: tuple, key: str, path: Path) -> None:
    """`builder(*args)` (a figure function of `emotion.reporting.figures`) becomes the PNG `path`; `finish()` waits
    for it. Figures drawn earlier that are ready by now go to the loggers here."""
    _pending.append(_Pending(drawing.submit(builder, args, path), key, trainer.global_step, list(trainer.loggers)))
    _send(wait=False)


def finish() -> list[Path]:
    """Waits for every figure still drawing and sends it to its loggers; the PNGs written. A figure that failed
    raises its error here."""
    return _send(wait=True)


def forget() -> None:
    """After a failed job: the figures still drawing are written, but no later job sends them to its loggers."""
    _pending.clear()


def _send(wait: bool) -> list[Path]:
    paths = []
    while _pending and (wait or _pending[0].future.done()):
        figure = _pending.pop(0)  # in order, so that a logger sees a key's steps in order
        paths.append(path := figure.future.result())
        for logger in figure.loggers:
            if isinstance(logger, TensorBoardLogger):
                from matplotlib.image import imread

                logger.experiment.add_image(figure.key, imread(path)[..., :3], figure.step, dataformats="HWC")
            elif isinstance(logger, WandbLogger):
                logger.log_image(key=figure.key, images=[str(path)], step=figure.step)
    return paths


def plots_dir(trainer: L.Trainer) -> Path:
    return Path(trainer.default_root_dir) / "plots"
