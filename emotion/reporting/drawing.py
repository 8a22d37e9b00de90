"""A second process that draws a job's figures, so that the training process never waits for matplotlib, UMAP's fit
or numba.

`start()` at the top of a job launches it; its imports (matplotlib, umap-learn, numba's cached functions: several
seconds) then run on another core while the training process imports the trainer. A figure is then a future: the
callbacks hand over arrays, the process renders the PNG while the job goes on (the test split, the export), and the
job waits only for what is still drawing when it ends. This module imports nothing heavy itself: the process runs
it by spawning a fresh interpreter that must not load torch.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.util
import os
import resource
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

# The variables torchrun, Lightning's launchers and SLURM set to the process's global rank: only rank 0 draws.
RANK_VARIABLES = ("RANK", "SLURM_PROCID")

_pool: ProcessPoolExecutor | None = None


def start() -> None:
    """Launches the drawing process (once per Python process) and has it import its libraries now."""
    global _pool
    if _pool is None:
        # A spawned interpreter first sets the parent's default start method. In a joblib worker
        # (hydra/launcher=workers) that is loky's own, which a fresh interpreter cannot look up: it would die at birth.
        if multiprocessing.get_start_method(allow_none=True) not in (None, *multiprocessing.get_all_start_methods()):
            multiprocessing.set_start_method("spawn", force=True)
        _pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up)
        # A multiprocessing child (a joblib worker) joins its own children before the exit handlers that would end
        # the pool run, so the pool is ended by multiprocessing's own finalizers instead, ahead of those that close
        # its queues (priority 10): else the process waits forever for a drawing process that was never told.
        multiprocessing.util.Finalize(_pool, _pool.shutdown, exitpriority=100)
        _pool.submit(int)  # the pool starts its process on the first task; this one makes that now


def is_global_zero() -> bool:
    """Rank 0 by the launcher's variables, before any trainer exists (Lightning's own `ddp` children see
    LOCAL_RANK/NODE_RANK too, and RANK only when launched by torchrun or Lightning: both are covered)."""
    return all(os.environ.get(name, "0") == "0" for name in (*RANK_VARIABLES, "LOCAL_RANK", "NODE_RANK"))


def submit(builder: Callable[..., Any], args: tuple, path: Path) -> Future[Path]:
    """`builder(*args)` (a function of `emotion.reporting.figures` that returns a matplotlib figure) saved as
    `path`, in the drawing process; started here when `start()` was not called."""
    start()
    assert _pool is not None
    return _pool.submit(_render, builder, args, Path(path))


def peak_rss_gib() -> float | None:
    """The drawing process's peak resident memory (GiB), None when it never started: a job's memory request must
    cover it beside the training process's."""
    return None if _pool is None else _pool.submit(_peak_rss_gib).result()


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _warm_up() -> None:
    from emotion.analysis.projection import umap_class
    from emotion.reporting import figures  # noqa: F401  (matplotlib, Agg)

    umap_class()
    # Registered last, so it runs first at exit: every figure is saved by then, and the interpreter's teardown of
    # numba and matplotlib, which the job's own exit would wait for, is skipped.
    atexit.register(_exit_now)


def _exit_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _render(builder: Callable[..., Any], args: tuple, path: Path) -> Path:
    from emotion.reporting.figures import save

    return save(builder(*args), path)
