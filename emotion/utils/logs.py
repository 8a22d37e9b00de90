"""What a command prints: its own progress and one-line summaries, not the libraries' chatter.

By default transformers' weight-loading bars and warnings, datasets' map bars, huggingface_hub's retries,
onnxruntime's quantizer INFO lines and Lightning's tips and hardware banners are hidden; `verbose=true`
(`--verbose` for predict/serve) brings them back. Long stages say when they start and how long they took.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("emotion")

# Lightning INFO lines that say nothing about this run's results.
LIGHTNING_CHATTER = (
    "💡 Tip",
    "GPU available",
    "TPU available",
    "HPU available",
    "Seed set to",
    "`Trainer(",
    "You are using a CUDA device",
    "Loading `train_dataloader` to estimate",
    "Restoring states from the checkpoint path",
    "Loaded model weights from the checkpoint",
    "Trainer already configured with model summary callbacks",  # the summary is ours (callbacks.model_summary)
)
# Warnings about the libraries' own internals, or about how final_metrics re-reads the best checkpoint on purpose.
QUIET_WARNINGS = (
    "Be aware that when using `ckpt_path`",
    "`isinstance(treespec, LeafSpec)` is deprecated",
    "Exporting aten::index operator",
)
QUIET_LOGGERS = (
    "transformers",
    "datasets",
    "huggingface_hub",
    "onnxruntime",
    "httpx",
    "httpx2",
    "httpcore",
    "httpcore2",
)


class _DropChatter(logging.Filter):
    """Lightning's banners, and onnxruntime's quantizer, which logs through the root logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "onnxruntime" in record.pathname and record.levelno < logging.ERROR:
            return False
        return not str(record.msg).startswith(LIGHTNING_CHATTER)


def quiet_libraries(verbose: bool = False) -> None:
    """Hide library chatter unless `verbose`; print Lightning's lines once either way."""
    one_copy_of_lightning_lines()
    if verbose:
        return
    import datasets
    import transformers
    from huggingface_hub.utils import disable_progress_bars

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    datasets.logging.set_verbosity_error()
    datasets.disable_progress_bars()
    disable_progress_bars()
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    chatter = _DropChatter()  # on the handlers the command's lines go through
    for name in ("", "lightning.pytorch", "lightning.fabric"):  # Lightning has its own handlers when root has none
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(chatter)
    import torch
    from lightning.fabric.utilities.warnings import PossibleUserWarning

    warnings.filterwarnings("ignore", category=PossibleUserWarning)
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)  # the ONNX export traces on purpose
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    for message in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=re.escape(message))


@contextmanager
def stage(what: str) -> Iterator[None]:
    """`what ...` when a long step starts and `what: 12.3 s` when it ends."""
    log.info("%s ...", what)
    began = time.perf_counter()
    yield
    log.info("%s: %.1f s", what, time.perf_counter() - began)


def one_copy_of_lightning_lines() -> None:
    """The `lightning` package gives itself a console handler when it is imported, and its lines also reach the
    root logger's handlers that Hydra sets up (console and the run's log file): each line came out twice. Where the
    root logger has handlers, they alone print Lightning's lines."""
    import lightning  # noqa: F401  (its handler is added on import)

    if logging.getLogger().handlers:
        package = logging.getLogger("lightning")
        for handler in list(package.handlers):
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                package.removeHandler(handler)
