"""The three emotion splits as a `DatasetDict`, from the Hugging Face Hub or a local directory."""

from __future__ import annotations

import logging
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from emotion.data.errors import DataError
from emotion.data.labels import EMOTIONS
from emotion.data.local_files import SPLIT_STEMS, find_split_file, read_split_file
from emotion.utils.hub import DATA_OFFLINE_HINT, SourceError, first_line, hub_unreachable, quiet_hub

log = logging.getLogger(__name__)
SPLITS: tuple[str, ...] = tuple(SPLIT_STEMS)
# The CARER split files that ship inside the package (see carer/README.md).
CARER_DIR = Path(__file__).resolve().parent / "carer"
FEATURES = Features({"text": Value("string"), "label": ClassLabel(names=list(EMOTIONS))})


def load_splits(source: str) -> DatasetDict:
    """A local directory if `source` is one, else a Hub data set id such as `dair-ai/emotion`."""
    path = Path(source).expanduser()
    if path.is_dir():
        splits = _load_local(path)
    elif path.exists() or source.startswith((".", "/", "~")):
        raise DataError(f"{source}: not a data directory")
    else:
        splits = _load_hub(source)
    _warn_missing_classes(splits, source)
    return splits


def _warn_missing_classes(splits: DatasetDict, source: str) -> None:
    """A class absent from a split is legal but usually a mistake (a filtered or truncated file): say so."""
    for name, split in splits.items():
        present = set(split.unique("label"))
        for label, emotion in enumerate(EMOTIONS):
            if label not in present:
                log.warning("%s: the %s split has no %r example", source, name, emotion)


def subsample(splits: DatasetDict, limits: dict[str, int] | None, seed: int) -> DatasetDict:
    """A reproducible random subset of at most `limits[split]` rows per split named there, for debug runs and tests."""
    limits = limits or {}
    return DatasetDict(
        {
            name: split.shuffle(seed=seed).select(range(min(limits[name], len(split)))) if name in limits else split
            for name, split in splits.items()
        }
    )


def _load_local(directory: Path) -> DatasetDict:
    splits = {}
    for split in SPLITS:
        texts, labels = read_split_file(find_split_file(directory, split))
        splits[split] = Dataset.from_dict({"text": texts, "label": labels}, features=FEATURES)
    return DatasetDict(splits)


def _load_hub(name: str) -> DatasetDict:
    from datasets import load_dataset

    try:
        with quiet_hub():
            loaded = load_dataset(name)
    except Exception as err:  # offline, unknown id, ...: say which source failed and why, on one line
        if hub_unreachable(err):
            raise SourceError(f"cannot reach the Hugging Face Hub for data set {name!r}; {DATA_OFFLINE_HINT}") from err
        raise DataError(
            f"{name}: not a local directory, and loading it from the Hugging Face Hub failed: {first_line(err)}"
        ) from err
    missing = [split for split in SPLITS if split not in loaded]
    if missing:
        raise DataError(f"{name}: Hub data set has no {missing[0]!r} split (has {', '.join(loaded)})")
    names = getattr(loaded["train"].features.get("label"), "names", None)
    if names != list(EMOTIONS):
        raise DataError(f"{name}: field 'label' has classes {names}, expected {list(EMOTIONS)}")
    return DatasetDict({split: loaded[split].select_columns(["text", "label"]) for split in SPLITS})
