"""Lightning callbacks: the book's analysis plots during a fine-tune run, and progress lines where no bar shows."""

from emotion.callbacks.confusion_matrix import ConfusionMatrixPlot
from emotion.callbacks.model_summary import MeasuredModelSummary
from emotion.callbacks.progress_lines import ProgressLines
from emotion.callbacks.reliability import ReliabilityDiagram
from emotion.callbacks.umap import UmapPlot

__all__ = ["ConfusionMatrixPlot", "MeasuredModelSummary", "ProgressLines", "ReliabilityDiagram", "UmapPlot"]
