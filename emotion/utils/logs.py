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
)
# Warnings about the libraries' own internals, or about how final_metrics re-reads the best checkpoint on purpose.
QUIET_WARNINGS = (
    "Be aware that when using `ckpt_path`",
    "`isinstance(treespec, LeafSpec)` is deprecated",
    "Exporting aten::index operator",
)
QUIET_LOGGERS = ("transformers", "datasets", "huggingface_hub", "onnxruntime")


class _DropChatter(logging.Filter):
    """Lightning's banners, and onnxruntime's quantizer, which logs through the root logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "onnxruntime" in record.pathname and record.levelno < logging.ERROR:
            return False
        return not str(record.msg).startswith(LIGHTNING_CHATTER)


def quiet_libraries(verbose: bool = False) -> None:
    """Hide library chatter unless `verbose`."""
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
    chatter = _DropChatter()
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
