"""Cross-fitted teacher logits: every training text scored by a teacher that never trained on it.

A teacher fine-tuned on the whole training split has nearly memorized it, so its logits there say little more than
the labels do (and repeat a mislabelled row's label with confidence). With k folds, teacher j trains on every fold
but j (a `data.source` directory of its own, written by `write_training_dir`) and scores fold j; the student
learns from these held-out scores, which are as wrong, and as unsure, as the teacher is on data it has not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from emotion.data.labels import EMOTIONS
from emotion.distillation.teacher import teacher_logits


def fold_of(labels: Sequence[int], folds: int, seed: int) -> np.ndarray:
    """Each row's fold, 0..folds-1: a shuffled split stratified by label, so every fold keeps the rare classes."""
    from sklearn.model_selection import StratifiedKFold

    fold = np.empty(len(labels), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for index, (_, held_out) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        fold[held_out] = index
    return fold


def out_of_fold_logits(teachers: Sequence[str], texts: Sequence[str], labels: Sequence[int], fold: np.ndarray,
                       max_length: int, cache_dir: str | Path) -> np.ndarray:
    """Row i: the logits of teacher `fold[i]` (a run dir, model folder or logits file) for `texts[i]`."""
    if len(teachers) != int(fold.max()) + 1:
        raise ValueError(f"{len(teachers)} teachers for {int(fold.max()) + 1} folds")
    logits = np.zeros((len(texts), len(EMOTIONS)), dtype=np.float32)
    for index, teacher in enumerate(teachers):
        rows = np.flatnonzero(fold == index)
        logits[rows] = teacher_logits(teacher, [texts[i] for i in rows], [labels[i] for i in rows], max_length,
                                      cache_dir)
    return logits
