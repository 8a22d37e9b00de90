"""Bad input ends a command with one line naming the file, line or key at fault, not a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class UserError(ValueError):
    """A mistake the user can fix (bad data, a missing model folder, no Hub): shown as one `error:` line."""


class ConfigError(UserError):
    """A config value that is missing, of the wrong type or out of range; the message names the key."""


class JobStopped(Exception):
    """The job was stopped from outside (a SIGTERM, a lost rank): one line saying what happened and how to resume,
    and a non-zero exit status, so that a scheduler or torchrun restarts it rather than recording success."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def user_error(err: BaseException) -> UserError | None:
    """The UserError behind `err`, looking through wrappers such as Hydra's InstantiationException."""
    while err is not None:
        if isinstance(err, UserError):
            return err
        err = err.__cause__
    return None


def one_line_errors(task: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(task)
    def run(*args, **kwargs) -> T:
        try:
            return task(*args, **kwargs)
        except JobStopped as err:
            print(f"error: {err}", file=sys.stderr, flush=True)
            raise SystemExit(err.exit_code) from None
        except Exception as err:
            found = user_error(err)
            if found is None:
                raise
            raise SystemExit(f"error: {found}") from None

    return run
