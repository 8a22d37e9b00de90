"""The book's 2-D map of hidden states: MinMax scaling, then UMAP with the cosine metric."""

from __future__ import annotations

import functools
import sys
import warnings
from typing import Any

import numpy as np

# Below this many points UMAP computes exact neighbours from the full distance matrix (its own threshold).
SMALL_DATA = 4096


def umap_coordinates(
    features: np.ndarray, labels: np.ndarray, seed: int, max_points: int | None = None, n_epochs: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """2-D coordinates and their labels; `max_points` takes a seeded random subset to bound the run time, and
    `n_epochs` the layout's optimization epochs (None: UMAP's own, 500 below 10,000 points, 200 above; the epochs
    are most of a fit's time)."""
    from sklearn.metrics.pairwise import cosine_distances
    from sklearn.preprocessing import MinMaxScaler

    if max_points is not None and len(features) > max_points:
        keep = np.random.default_rng(seed).choice(len(features), size=max_points, replace=False)
        features, labels = features[keep], labels[keep]
    scaled = MinMaxScaler().fit_transform(features)
    umap = umap_class()
    if len(scaled) < SMALL_DATA:
        # What UMAP does itself on small data, but vectorized: it would call its numba cosine once per pair of
        # points from Python, millions of calls for a few thousand points.
        model = umap(n_components=2, metric="precomputed", random_state=seed, n_jobs=1, n_epochs=n_epochs)
        with warnings.catch_warnings():  # that a precomputed map has no inverse_transform: this one needs none
            warnings.filterwarnings("ignore", message="using precomputed metric")
            return model.fit_transform(cosine_distances(scaled)), labels
    model = umap(n_components=2, metric="cosine", random_state=seed, n_jobs=1, n_epochs=n_epochs)
    return model.fit_transform(scaled), labels


def umap_class() -> type:
    """`umap.UMAP`, imported with numba's on-disk cache on for umap-learn's and pynndescent's functions.

    umap-learn does not ask numba to cache its compiled functions, so every new process compiled them again (about
    25 s on 2 cores, in each job of a sweep). Imported this way they compile once per installation: numba keeps
    them next to the sources (or in `$NUMBA_CACHE_DIR`), keyed by source file and CPU, and reloads them in a second.
    """
    if "umap" not in sys.modules:
        import numba

        njit, jit = numba.njit, numba.jit
        numba.njit, numba.jit = functools.partial(_cached, njit), functools.partial(_cached, jit)
        try:
            import umap  # noqa: F401
        finally:
            numba.njit, numba.jit = njit, jit
    from umap import UMAP

    return UMAP


def _cached(decorator: Any, *args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("cache", True)
    return decorator(*args, **kwargs)
