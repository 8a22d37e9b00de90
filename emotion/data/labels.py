"""Class names: CARER's six emotions (the default data's, in the Hugging Face ClassLabel order), and the checks any
label set passes, wherever it comes from (`data.labels`, a data directory's labels.txt, a Hub ClassLabel, a train
split, a model folder)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from emotion.data.errors import DataError

EMOTIONS: tuple[str, ...] = ("sadness", "joy", "love", "anger", "fear", "surprise")
ID2LABEL: dict[int, str] = dict(enumerate(EMOTIONS))
LABEL2ID: dict[str, int] = {name: i for i, name in ID2LABEL.items()}
# A data directory may name its classes in id order, one per line; the shipped CARER copy does.
LABELS_FILE = "labels.txt"


def checked_labels(names: Sequence[object], what: str) -> tuple[str, ...]:
    """`names` as a label set: two or more distinct names of 1-100 printable characters without '/' (they become
    metric keys such as `val/f1_<name>`); else one line naming `what` they came from."""
    names = tuple(names)
    if len(names) < 2:
        raise DataError(
            f"{what}: {len(names)} class(es) ({', '.join(map(str, names))}); a classifier needs two or more"
        )
    for name in names:
        if not isinstance(name, str) or not 1 <= len(name) <= 100 or name != name.strip() or not name.isprintable():
            raise DataError(
                f"{what}: {name!r:.60} is not a class name (1 to 100 printable characters, no outer spaces)"
            )
        if "/" in name:
            raise DataError(f"{what}: {name!r:.60} holds '/', which would split its metric key (val/f1_<name>)")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"{what}: names {', '.join(repeated)} more than once; each class once, in id order")
    return names


def labels_file(directory: Path) -> tuple[str, ...] | None:
    """The class names a data directory's labels.txt gives, in id order (blank lines ignored); None without one."""
    path = Path(directory) / LABELS_FILE
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read it ({type(err).__name__})") from None
    return checked_labels([line.strip() for line in lines if line.strip()], str(path))
