"""The book's 2-D map of hidden states: MinMax scaling, then UMAP with the cosine metric."""

from __future__ import annotations

import numpy as np


def umap_coordinates(
    features: np.ndarray, labels: np.ndarray, seed: int, max_points: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """2-D coordinates and their labels; `max_points` takes a seeded random subset to bound the run time."""
    from sklearn.preprocessing import MinMaxScaler
    from umap import UMAP

    if max_points is not None and len(features) > max_points:
        keep = np.random.default_rng(seed).choice(len(features), size=max_points, replace=False)
        features, labels = features[keep], labels[keep]
    scaled = MinMaxScaler().fit_transform(features)
    coords = UMAP(n_components=2, metric="cosine", random_state=seed, n_jobs=1).fit_transform(scaled)
    return coords, labels
