"""The three emotion splits as a `DatasetDict`, from the Hugging Face Hub or a local directory."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

from emotion.data.errors import DataError
from emotion.data.labels import LABELS_FILE, checked_labels, labels_file
from emotion.data.local_files import SPLIT_STEMS, SplitRows, class_id, find_split_file, read_split_file
from emotion.utils.hub import DATA_OFFLINE_HINT, SourceError, first_line, hub_unreachable, quiet_hub

log = logging.getLogger(__name__)
SPLITS: tuple[str, ...] = tuple(SPLIT_STEMS)
# The CARER split files that ship inside the package (see carer/README.md).
CARER_DIR = Path(__file__).resolve().parent / "carer"


def load_splits(source: str, labels: Sequence[str] | None = None) -> DatasetDict:
    """A local directory if `source` is one, else a Hub data set id such as `dair-ai/emotion`. The splits' `label`
    is a ClassLabel whose names are the run's classes in id order: `labels` (data.labels) when given, else the Hub
    data's ClassLabel, a directory's labels.txt, or the train split's labels, sorted."""
    if labels is not None:
        labels = checked_labels(labels, f"data.labels={list(labels)}")
    path = Path(source).expanduser()
    if path.is_dir():
        splits = _load_local(path, labels)
    elif path.exists() or source.startswith((".", "/", "~")):
        raise DataError(f"{source}: not a data directory")
    else:
        splits = _load_hub(source, labels)
    _check_classes(splits, source)
    return splits


def label_names(splits: DatasetDict) -> tuple[str, ...]:
    return tuple(splits["train"].features["label"].names)


def _check_classes(splits: DatasetDict, source: str) -> None:
    """Training needs two or more classes; a class absent from a split is legal but usually a mistake (a filtered
    or truncated file): say so."""
    names = label_names(splits)
    present = set(splits["train"].unique("label"))
    if len(present) < 2:
        raise DataError(
            f"{source}: every train example has the label {names[present.pop()]!r}; a classifier needs two or more "
            "classes"
        )
    for name, split in splits.items():
        present = set(split.unique("label"))
        for label, class_name in enumerate(names):
            if label not in present:
                log.warning("%s: the %s split has no %r example", source, name, class_name)


def subsample(splits: DatasetDict, limits: dict[str, int] | None, seed: int) -> DatasetDict:
    """A reproducible random subset of at most `limits[split]` rows per split named there, for debug runs and tests."""
    limits = limits or {}
    return DatasetDict(
        {
            name: split.shuffle(seed=seed).select(range(min(limits[name], len(split)))) if name in limits else split
            for name, split in splits.items()
        }
    )


def _load_local(directory: Path, labels: tuple[str, ...] | None) -> DatasetDict:
    rows = {split: read_split_file(find_split_file(directory, split)) for split in SPLITS}
    from_file = labels_file(directory)
    if labels is not None:
        names, declared = labels, "as data.labels declares"
        if from_file is not None and from_file != labels:
            log.warning("%s: data.labels overrides %s", directory, directory / LABELS_FILE)
    elif from_file is not None:
        names, declared = from_file, f"as {directory / LABELS_FILE} declares"
    else:
        names, declared = _train_labels(rows["train"]), f"the labels of {rows['train'].path}"
    features = Features({"text": Value("string"), "label": ClassLabel(names=list(names))})
    return DatasetDict(
        {
            split: Dataset.from_dict({"text": r.texts, "label": r.label_ids(names, declared)}, features=features)
            for split, r in rows.items()
        }
    )


def _train_labels(train: SplitRows) -> tuple[str, ...]:
    """The train split's class names, sorted: the label set of a directory that declares none."""
    for where, label in zip(train.wheres, train.labels, strict=True):
        if class_id(label) is not None:
            raise DataError(
                f"{where}: class id {label} with no class names to give it: declare them in id order, "
                f"data.labels=[a,b,...] or a {LABELS_FILE} beside the split files"
            )
    return checked_labels(sorted(set(train.labels)), f"{train.path} (its labels)")


def _load_hub(name: str, labels: tuple[str, ...] | None) -> DatasetDict:
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
    for column in ("text", "label"):
        if column not in loaded["train"].column_names:
            raise DataError(f"{name}: no {column!r} column (has {', '.join(loaded['train'].column_names)})")
    feature = loaded["train"].features["label"]
    if not isinstance(feature, (ClassLabel, Value)):
        raise DataError(f"{name}: 'label' is {type(feature).__name__}, not one class per text (multi-label data?)")
    splits = DatasetDict({split: loaded[split].select_columns(["text", "label"]) for split in SPLITS})
    if isinstance(feature, ClassLabel):
        names = checked_labels(feature.names, f"{name} (its ClassLabel)")
        if labels is not None and labels != names:
            raise DataError(f"data.labels={list(labels)}: {name}'s ClassLabel names {list(names)} (in id order)")
        return splits
    rows = {
        split: SplitRows(
            Path(name),
            [],
            list(splits[split]["label"]),
            [f"{name} {split} row {i + 1}" for i in range(len(splits[split]))],
        )
        for split in SPLITS
    }
    names = labels or _train_labels(rows["train"])
    declared = "as data.labels declares" if labels else f"the labels of {name}'s train split"
    features = Features({"text": Value("string"), "label": ClassLabel(names=list(names))})
    return DatasetDict(
        {
            split: Dataset.from_dict(
                {"text": splits[split]["text"], "label": rows[split].label_ids(names, declared)}, features=features
            )
            for split in SPLITS
        }
    )
