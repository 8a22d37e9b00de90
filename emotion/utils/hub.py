"""Loading from a local folder or the Hugging Face Hub, with one clear line when neither works.

Offline, transformers and datasets fail with multi-line messages about huggingface.co (after retry warnings);
users need to hear which name failed and what the offline alternative is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from emotion.utils.errors import UserError

T = TypeVar("T")
MODEL_OFFLINE_HINT = "offline, use model=minilm_offline (installed) or model.pretrained=/path/to/model_dir"
DATA_OFFLINE_HINT = "offline, use data=carer (shipped with the package) or data.source=/path/to/data_dir"


class SourceError(UserError):
    """A model, tokenizer or data set that cannot be loaded from where the config points."""


def is_local_path(name: str) -> bool:
    """Names that can only mean a folder on disk: Hub ids never start with '.', '/' or '~'."""
    return name.startswith((".", "/", "~")) or Path(name).expanduser().exists()


TRANSPORT_ERRORS = ("TransportError", "ConnectError", "ConnectTimeout", "ReadTimeout", "Timeout")


def hub_unreachable(err: BaseException) -> bool:
    """True when `err` (or what caused it) says the Hub could not be reached or offline mode is on."""
    from huggingface_hub.errors import LocalEntryNotFoundError, OfflineModeIsEnabled

    while err is not None:
        if isinstance(err, (ConnectionError, TimeoutError, LocalEntryNotFoundError, OfflineModeIsEnabled)):
            return True
        # The HTTP client's own transport errors (requests', httpx's, or the client huggingface_hub bundles).
        if any(kind.__name__ in TRANSPORT_ERRORS for kind in type(err).__mro__):
            return True
        err = err.__cause__ or err.__context__
    return False


@contextmanager
def quiet_hub() -> Iterator[None]:
    """Hides huggingface_hub's retry warnings, which only say what the one error line will say."""
    logger = logging.getLogger("huggingface_hub")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def from_pretrained(loader: Callable[..., T], name: str, what: str = "model", **kwargs) -> T:
    """`loader(name, **kwargs)` (a `from_pretrained`) for a Hub id or a local folder, failing in one line."""
    if is_local_path(name):
        folder = Path(name).expanduser()
        if not folder.is_dir():
            raise SourceError(f"no such model folder: {name}")
        try:
            return loader(str(folder), **kwargs)
        except (OSError, ValueError) as err:  # no config.json / weights; a config without model_type
            raise SourceError(f"{name}: not a {what} folder ({first_line(err)})") from err
    try:
        with quiet_hub():
            return loader(name, **kwargs)
    except OSError as err:
        if hub_unreachable(err):
            raise SourceError(f"cannot reach the Hugging Face Hub for {name!r}; {MODEL_OFFLINE_HINT}") from err
        raise SourceError(
            f"{name!r}: not a local folder, and no such {what} on the Hugging Face Hub ({first_line(err)})"
        ) from err


def first_line(err: BaseException) -> str:
    """The first line of an error's message: library errors often run to paragraphs."""
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
