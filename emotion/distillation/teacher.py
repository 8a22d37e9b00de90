"""A teacher's logits over the training split, computed once and cached on disk.

A student run needs the teacher's scores for every training text, every epoch. Running the teacher (MPNet, 5x
MiniLM's size) beside the student would make each student step cost a teacher forward pass, so its logits are
computed once, keyed by the teacher's files and the exact training texts, labels and truncation, and a student run
whose key is cached never loads the teacher (the feature cache's idea: emotion/analysis/feature_cache.py).

`model.teacher` names a training run dir (its `hf_model/`), a model folder, or a cached logits file (`.npz`, e.g.
one shipped with a recipe), or a list of these: an ensemble. A logits file also keys each of its rows (text, label,
truncation), so a run on a subset of its training data (`data.max_samples`, `debug=...`) takes its rows. A teacher
whose labels are not this data's classes in order, or a logits file without a row for one of this run's
training texts, is refused in one line.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from emotion.data.labels import EMOTIONS
from emotion.inference.hf_folder import HF_FOLDER, model_labels
from emotion.storage import atomic_file
from emotion.storage.arrays import ArchiveError, read_arrays
from emotion.storage.digests import add_folder, add_split
from emotion.utils.errors import ConfigError

log = logging.getLogger(__name__)


def teacher_folder(teacher: str, names: Sequence[str] = EMOTIONS) -> Path:
    """The model folder a `model.teacher` value names, checked complete and labelled like this data (`names`, its
    classes in id order)."""
    path = Path(teacher).expanduser()
    if (path / HF_FOLDER).is_dir():
        path = path / HF_FOLDER
    labels = model_labels(path)  # checks the folder is complete first
    if labels != tuple(names):
        raise ConfigError(
            f"model.teacher={teacher}: its labels are {', '.join(labels)}, not this data's {', '.join(names)} "
            "(in that order): a teacher for another task?"
        )
    return path


def data_key(texts: Sequence[str], labels: Sequence[int], max_length: int) -> str:
    """What the logits depend on besides the teacher: the training texts and labels in order, and the truncation."""
    digest = hashlib.sha256(f"max_length={max_length}|".encode())
    add_split(digest, "train", texts, labels)
    return digest.hexdigest()[:20]


def row_keys(texts: Sequence[str], labels: Sequence[int], max_length: int) -> np.ndarray:
    """One 64-bit digest per training row (its text, label and the truncation): which rows a logits file holds."""
    return np.array(
        [
            int.from_bytes(hashlib.blake2b(f"{max_length}|{label}|{text}".encode(), digest_size=8).digest(), "little")
            for text, label in zip(texts, labels, strict=True)
        ],
        dtype=np.uint64,
    )


def teacher_logits(
    teacher: str | Sequence[str],
    texts: Sequence[str],
    labels: Sequence[int],
    max_length: int,
    cache_dir: str | Path,
    names: Sequence[str] = EMOTIONS,
) -> np.ndarray:
    """Row i: the teacher's logits for `texts[i]` (float32, one column per class of `names`, the data's classes in
    id order), from the cache when it has them.

    A list of teachers is an ensemble: each member's logits are found (or computed and cached) on their own, and
    the ensemble's are the mean of the members' log-probabilities (their normalized geometric mean as logits), so a
    member whose logits run larger does not outvote the others."""
    if isinstance(teacher, str):
        return _member_logits(teacher, texts, labels, max_length, cache_dir, names)
    members = [_member_logits(str(member), texts, labels, max_length, cache_dir, names) for member in teacher]
    log.info("An ensemble of %d teachers: the mean of their log-probabilities", len(members))
    return ensemble_logits(members)


def ensemble_logits(members: Sequence[np.ndarray]) -> np.ndarray:
    """The ensemble's logits: the mean of the members' log-probabilities."""
    from scipy.special import log_softmax

    return np.mean([log_softmax(logits, axis=-1) for logits in members], axis=0).astype(np.float32)


def _member_logits(
    teacher: str,
    texts: Sequence[str],
    labels: Sequence[int],
    max_length: int,
    cache_dir: str | Path,
    names: Sequence[str],
) -> np.ndarray:
    wanted = data_key(texts, labels, max_length)
    if str(teacher).endswith(".npz"):
        return _load(Path(teacher), wanted, teacher, row_keys(texts, labels, max_length), names)
    folder = teacher_folder(teacher, names)
    digest = hashlib.sha256(wanted.encode())
    add_folder(digest, folder)
    path = Path(cache_dir) / f"{digest.hexdigest()[:20]}.npz"
    if path.is_file():
        try:
            logits = _load(path, wanted, teacher, row_keys(texts, labels, max_length), names)
            log.info("Reusing the teacher's cached logits %s", path)
            return logits
        except ArchiveError as err:  # a cache this run can make again
            log.warning("%s; computing the teacher's logits again", err)
    import torch

    from emotion.inference.predictor import Predictor

    device = "cuda" if torch.cuda.is_available() else "cpu"
    log.info("Computing the teacher's logits over %d training texts on the %s (%s)", len(texts), device, folder)
    predictor = Predictor(folder, backend="torch", batch_size=64, max_length=max_length, device=device)
    logits, _ = predictor.logits(list(texts))
    save_logits(path, logits, texts, labels, max_length, str(folder.resolve()), names)
    log.info("Cached the teacher's logits in %s", path)
    return logits


def save_logits(
    path: Path,
    logits: np.ndarray,
    texts: Sequence[str],
    labels: Sequence[int],
    max_length: int,
    teacher: str,
    names: Sequence[str] = EMOTIONS,
) -> None:
    """A logits file `model.teacher=` reads: row i scores `texts[i]`, keyed as a whole and row by row."""
    with atomic_file(path) as partial, partial.open("wb") as handle:
        np.savez(
            handle,
            logits=logits,
            data_key=data_key(texts, labels, max_length),
            rows=row_keys(texts, labels, max_length),
            labels=np.array(list(names)),
            teacher=teacher,
        )


def _read(path: Path, teacher: str) -> dict[str, np.ndarray]:
    """A logits file's arrays, checked whole: logits of one row per key, one column per label, all finite."""
    what = f"model.teacher={teacher}" + ("" if str(path) == str(teacher) else f" (its cached logits {path})")
    stored = read_arrays(path, ("logits", "data_key", "labels"), what)
    logits, labels = stored["logits"], stored["labels"]
    if labels.ndim != 1 or labels.dtype.kind != "U":
        raise ArchiveError(f"{what}: its labels are not a list of names")
    if logits.ndim != 2 or logits.shape[1] != len(labels) or logits.dtype.kind != "f":
        raise ArchiveError(
            f"{what}: logits of shape {logits.shape} ({logits.dtype}), not one row per text and one "
            f"column per label ({len(labels)})"
        )
    if "rows" in stored and stored["rows"].shape != (len(logits),):
        raise ArchiveError(f"{what}: {len(stored['rows'])} row keys for {len(logits)} rows of logits")
    if not np.isfinite(logits).all():
        row = int(np.argwhere(~np.isfinite(logits))[0][0])
        raise ArchiveError(f"{what}: logits that are not finite (NaN or infinity), the first in row {row}")
    return stored


def _load(path: Path, wanted: str, teacher: str, rows: np.ndarray, names: Sequence[str]) -> np.ndarray:
    if not path.is_file():
        raise ConfigError(f"model.teacher={teacher}: no such logits file")
    stored = _read(path, teacher)
    if list(stored["labels"]) != list(names):
        raise ConfigError(
            f"model.teacher={teacher}: logits for labels {', '.join(stored['labels'])}, not this data's "
            f"{', '.join(names)}"
        )
    logits = stored["logits"].astype(np.float32)
    if str(stored["data_key"]) == wanted:
        return logits
    index = {int(key): i for i, key in enumerate(stored["rows"])} if "rows" in stored else {}
    missing = [i for i, key in enumerate(rows) if int(key) not in index]
    if index and not missing:
        log.info(
            "The teacher's logits for this run's %d training texts, from the %d in %s", len(rows), len(logits), path
        )
        return logits[[index[int(key)] for key in rows]]
    which = (
        f"{len(missing)} of this run's {len(rows)} training rows (text, label, data.max_length) are not "
        f"among its {len(logits)}, the first row {missing[0]}"
        if index
        else f"{len(logits)} texts, key {stored['data_key']}; this run has key {wanted}"
    )
    raise ConfigError(
        f"model.teacher={teacher}: these logits were computed for other training data ({which}: "
        "other texts, labels or data.max_length); point model.teacher at the teacher's run dir or "
        "model folder to compute them for this data"
    )
