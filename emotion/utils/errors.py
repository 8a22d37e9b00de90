"""Bad input ends a command with one line naming the file and line at fault, not a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from emotion.data import DataError

T = TypeVar("T")


def one_line_errors(task: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(task)
    def run(*args, **kwargs) -> T:
        try:
            return task(*args, **kwargs)
        except DataError as err:
            raise SystemExit(f"error: {err}") from None

    return run
