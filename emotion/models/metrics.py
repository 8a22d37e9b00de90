"""The scores every evaluation reports: accuracy and weighted F1 (the book's), macro and per-class F1."""

from __future__ import annotations

import functools

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score
from torchmetrics.wrappers import ClasswiseWrapper

from emotion.data.labels import EMOTIONS

STAGES: tuple[str, ...] = ("val", "test")


def classification_metrics(stage: str) -> MetricCollection:
    """Keys look like `val/acc`, `val/f1_weighted`, `val/f1_love`; love and surprise are rare, so macro matters."""
    classes = len(EMOTIONS)
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(classes, average="micro"),
            "f1_weighted": MulticlassF1Score(classes, average="weighted"),
            "f1_macro": MulticlassF1Score(classes, average="macro"),
            "f1": ClasswiseWrapper(MulticlassF1Score(classes, average=None), labels=list(EMOTIONS), prefix="f1_"),
        },
        prefix=f"{stage}/",
    )


@functools.cache
def metric_names() -> tuple[str, ...]:
    """Every key an evaluation reports (`val/acc`, `test/f1_love`, `val/loss`, ...), e.g. to check a sweep's metric."""
    every_class = torch.arange(len(EMOTIONS))
    names = [name for stage in STAGES for name in [*scores(every_class, every_class, stage), f"{stage}/loss"]]
    return tuple(sorted(names))


def scores(preds, labels, stage: str) -> dict[str, float]:
    """The same metrics for predictions made outside Lightning (scikit-learn baselines, exported models)."""
    metrics = classification_metrics(stage)
    metrics.update(torch.as_tensor(preds), torch.as_tensor(labels))
    return {name: float(value) for name, value in metrics.compute().items()}
