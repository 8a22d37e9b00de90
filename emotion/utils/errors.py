"""Bad input ends a command with one line naming the file, line or key at fault, not a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class UserError(ValueError):
    """A mistake the user can fix (bad data, a missing model folder, no Hub): shown as one `error:` line."""


class ConfigError(UserError):
    """A config value that is missing, of the wrong type or out of range; the message names the key."""


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
        except Exception as err:
            found = user_error(err)
            if found is None:
                raise
            raise SystemExit(f"error: {found}") from None

    return run
