"""Lightning callbacks that draw the book's analysis plots during a fine-tune run."""

from emotion.callbacks.confusion_matrix import ConfusionMatrixPlot
from emotion.callbacks.reliability import ReliabilityDiagram
from emotion.callbacks.umap import UmapPlot

__all__ = ["ConfusionMatrixPlot", "ReliabilityDiagram", "UmapPlot"]
