"""Perturbed copies of the training texts for the teacher to score: more points at which the student matches it.

A student distilled on the 16k training texts sees the teacher's function at those points only, and a teacher that
nearly memorized them says little there beyond the labels. Distillation gains most from matching the teacher on
many perturbed inputs ("function matching": Beyer et al. 2022, "Knowledge distillation: a good teacher is patient
and consistent"). Text has no crops or mixup; random word deletion and a random swap (EDA: Wei & Zou 2019) need no
word list or model. Each copy keeps its source's label for the label loss; the teacher's logits on the copy say
how much of the emotion the perturbation left.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Each word's chance to be dropped from a copy: EDA's setting for random deletion.
DELETE = 0.1


def perturb(text: str, rng: np.random.Generator, delete: float = DELETE) -> str:
    """`text` with each word dropped with probability `delete` (one always stays) and then two words swapped."""
    words = text.split()
    if not words:
        return text
    kept = rng.random(len(words)) >= delete
    if not kept.any():
        kept[rng.integers(len(words))] = True
    words = [word for word, keep in zip(words, kept, strict=True) if keep]
    if len(words) > 1:
        i, j = rng.choice(len(words), size=2, replace=False)
        words[i], words[j] = words[j], words[i]
    return " ".join(words)


def augmented(texts: Sequence[str], labels: Sequence[int], copies: int, seed: int,
              delete: float = DELETE) -> tuple[list[str], list[int]]:
    """The training rows in order, then `copies` perturbed copies of all of them (copy by copy), each with its
    source's label: the same rows for the same seed."""
    rng = np.random.default_rng(seed)
    out_texts, out_labels = list(texts), list(labels)
    for _ in range(copies):
        out_texts += [perturb(text, rng, delete) for text in texts]
        out_labels += list(labels)
    return out_texts, out_labels
