"""The figures the book draws, as matplotlib figures saved to PNG (no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from emotion.storage import atomic_file  # noqa: E402

PANEL_COLORS = ("Blues", "Oranges", "Reds", "Purples", "Greens", "Greys")


def save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    try:
        with atomic_file(path) as partial:
            fig.savefig(partial, dpi=110, bbox_inches="tight", format=path.suffix.lstrip(".") or "png")
    finally:
        plt.close(fig)
    return path


def confusion_matrix_figure(matrix: np.ndarray, names: Sequence[str], title: str) -> Figure:
    """`matrix` is row-normalized (true label per row), as in the book; `names` are the classes in id order."""
    size = max(6.0, 0.6 * len(names))
    fig, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", parse_math=False)
    ax.set_yticks(range(len(names)), names, parse_math=False)
    for (row, col), value in np.ndenumerate(matrix):
        ax.text(
            col, row, f"{value:.2f}", ha="center", va="center", color="white" if value > 0.5 else "black", fontsize=8
        )
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046)
    return fig


def save_confusion_matrix(
    gold: Sequence[int], predicted: Sequence[int], names: Sequence[str], title: str, path: Path
) -> Path:
    """Row-normalized confusion matrix of label ids, as a PNG."""
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(gold, predicted, labels=range(len(names)), normalize="true")
    return save(confusion_matrix_figure(matrix, names, title), path)


def umap_panels_figure(coords: np.ndarray, labels: np.ndarray, names: Sequence[str], title: str) -> Figure:
    """One hexbin panel per class over the same 2-D map, as the book's figure 2-4 (three panels a row)."""
    rows = -(-len(names) // 3)
    fig, axes = plt.subplots(rows, 3, figsize=(9, 3 * rows), sharex=True, sharey=True, squeeze=False)
    # One hexagon grid over the whole map, so the panels line up; empty cells stay blank.
    extent = (coords[:, 0].min(), coords[:, 0].max(), coords[:, 1].min(), coords[:, 1].max())
    for label, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if label >= len(names):
            ax.set_axis_off()
            continue
        points = coords[labels == label]
        if len(points):
            cmap = PANEL_COLORS[label % len(PANEL_COLORS)]
            ax.hexbin(points[:, 0], points[:, 1], cmap=cmap, gridsize=20, extent=extent, mincnt=1, linewidths=(0,))
        ax.set_title(names[label], parse_math=False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def umap_map_figure(
    features: np.ndarray,
    labels: np.ndarray,
    names: Sequence[str],
    seed: int,
    max_points: int | None,
    n_epochs: int | None,
    title: str,
) -> Figure:
    """The UMAP map of `features` (a seeded subset of `max_points` of them, `n_epochs` layout epochs) as
    `umap_panels_figure`: fit and drawing in one call, so that the drawing process does both."""
    from emotion.analysis.projection import umap_coordinates

    coords, labels = umap_coordinates(features, labels, seed, max_points, n_epochs)
    return umap_panels_figure(coords, labels, names, title)


def class_balance_figure(counts: dict[str, Sequence[int]], names: Sequence[str]) -> Figure:
    """Horizontal bars per class, one bar group per split."""
    fig, ax = plt.subplots(figsize=(7, 4))
    height = 0.8 / len(counts)
    for offset, (split, values) in enumerate(counts.items()):
        shares = np.asarray(values) / max(sum(values), 1)
        ax.barh(np.arange(len(names)) + offset * height, shares, height=height, label=split)
    ax.set_yticks(np.arange(len(names)) + height * (len(counts) - 1) / 2, names, parse_math=False)
    ax.set_xlabel("share of examples")
    ax.set_title("Frequency of classes")
    ax.legend()
    return fig


def words_per_tweet_figure(words_by_label: dict[str, Sequence[int]]) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.boxplot(list(words_by_label.values()), showfliers=False)
    ax.set_xticks(range(1, len(words_by_label) + 1), list(words_by_label), rotation=30, parse_math=False)
    ax.set_ylabel("words per tweet")
    ax.set_title("Words per tweet")
    return fig


def probabilities_figure(text: str, labels: Sequence[str], probabilities: Sequence[float]) -> Figure:
    """One bar per class; the text and the names are drawn as they are (`$` is not mathtext)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(range(len(labels)), 100 * np.asarray(probabilities), color="C0")
    ax.set_xticks(range(len(labels)), labels, parse_math=False)
    ax.set_ylabel("class probability (%)")
    ax.set_title(f'Prediction for "{text[:60]}{"..." if len(text) > 60 else ""}"', parse_math=False)
    return fig


def reliability_figure(probabilities: np.ndarray, labels: np.ndarray, title: str, bins: int = 15) -> Figure:
    """Accuracy against confidence of the top label in equal-width bins, with the diagonal of perfect calibration
    and each bin's share of the examples; the title carries the expected calibration error."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)  # [lo, hi) bins, as torchmetrics
    counts = np.bincount(which, minlength=bins)
    accuracy = np.bincount(which, weights=correct, minlength=bins) / np.maximum(counts, 1)
    mean_confidence = np.bincount(which, weights=confidence, minlength=bins) / np.maximum(counts, 1)
    ece = float(np.sum(counts / len(labels) * np.abs(accuracy - mean_confidence)))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5, 6), sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    centers = (edges[:-1] + edges[1:]) / 2
    shown = counts > 0
    top.bar(centers[shown], accuracy[shown], width=1 / bins, edgecolor="black", color="C0", label="accuracy")
    top.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    top.set_ylabel("accuracy")
    top.set_ylim(0, 1)
    top.legend(loc="upper left")
    top.set_title(f"{title}\nECE ({bins} bins) = {ece:.4f}")
    bottom.bar(centers, counts / len(labels), width=1 / bins, edgecolor="black", color="C1")
    bottom.set_xlabel("confidence of the top label")
    bottom.set_ylabel("share")
    bottom.set_xlim(0, 1)
    fig.tight_layout()
    return fig
