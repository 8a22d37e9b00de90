"""The scores every evaluation reports: accuracy and weighted F1 (the book's), macro and per-class F1, and, from
class probabilities, calibration: expected calibration error (15 equal-width bins) and negative log-likelihood."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassCalibrationError, MulticlassF1Score
from torchmetrics.wrappers import ClasswiseWrapper

STAGES: tuple[str, ...] = ("val", "test")
ECE_BINS = 15


class NegativeLogLikelihood(Metric):
    """Mean -log p(gold label) over every example seen (summed across ranks before dividing)."""

    def __init__(self) -> None:
        super().__init__()
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, probabilities: torch.Tensor, labels: torch.Tensor) -> None:
        gold = probabilities.gather(1, labels.long().unsqueeze(1)).squeeze(1)
        self.total += -torch.log(gold.double().clamp(min=1e-12)).sum()
        self.count += len(labels)

    def compute(self) -> torch.Tensor:
        return (self.total / self.count).float()


def classification_metrics(stage: str, labels: Sequence[str], calibration: bool = True) -> MetricCollection:
    """Keys look like `val/acc`, `val/f1_weighted`, `val/f1_<class>` (`val/f1_love`), `val/ece`, `val/nll`, for
    the classes `labels` names in id order. Updated with class probabilities (N x classes); without `calibration`
    also with predicted labels (N). Rare classes (CARER's love and surprise) make macro F1 matter."""
    classes = len(labels)
    metrics = {
        "acc": MulticlassAccuracy(classes, average="micro"),
        "f1_weighted": MulticlassF1Score(classes, average="weighted"),
        "f1_macro": MulticlassF1Score(classes, average="macro"),
        "f1": ClasswiseWrapper(MulticlassF1Score(classes, average=None), labels=list(labels), prefix="f1_"),
    }
    if calibration:
        metrics |= {
            "ece": MulticlassCalibrationError(classes, n_bins=ECE_BINS, norm="l1"),
            "nll": NegativeLogLikelihood(),
        }
    return MetricCollection(metrics, prefix=f"{stage}/")


@functools.cache
def metric_names(classes: tuple[str, ...]) -> tuple[str, ...]:
    """Every key an evaluation reports (`val/acc`, `test/f1_love`, `val/ece`, ...), e.g. to check a sweep's metric."""
    every_class = torch.eye(len(classes))
    labels = torch.arange(len(classes))
    names = [name for stage in STAGES for name in [*scores(every_class, labels, stage, classes), f"{stage}/loss"]]
    return tuple(sorted(names))


def scores(predictions, labels, stage: str, classes: Sequence[str]) -> dict[str, float]:
    """The same metrics for predictions made outside Lightning: class probabilities (N x classes) give every
    metric, predicted labels (N; scikit-learn baselines) all but the calibration ones."""
    predictions = torch.as_tensor(predictions)
    metrics = classification_metrics(stage, classes, calibration=predictions.ndim == 2)
    metrics.update(predictions, torch.as_tensor(labels))
    return {name: float(value) for name, value in metrics.compute().items()}
