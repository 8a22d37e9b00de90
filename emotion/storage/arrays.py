"""Array archives (.npz) read back from disk: arrays only, never a pickle, and a file that is cut short, damaged
or lacks what it should hold is one line naming it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from emotion.storage.zips import ZIP_READ_ERRORS
from emotion.utils.errors import UserError
from emotion.utils.hub import first_line


class ArchiveError(UserError):
    """An .npz file that cannot be read, or lacks an array it should hold."""


def read_arrays(path: Path, required: Sequence[str], what: str) -> dict[str, np.ndarray]:
    """Every array of the archive at `path`, which must hold `required`; `what` names it in an error
    (`model.teacher=...`, a cache file)."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            missing = [key for key in required if key not in stored.files]
            if missing:
                raise ArchiveError(f"{what}: not an archive of this kind (no {', '.join(missing)} in it)")
            return {key: stored[key] for key in stored.files}
    except ArchiveError:
        raise
    except (ValueError, *ZIP_READ_ERRORS) as err:
        raise ArchiveError(
            f"{what}: not a readable .npz archive ({first_line(err)[:160]}); cut short, damaged or another format"
        ) from None
