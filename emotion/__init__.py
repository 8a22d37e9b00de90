"""Emotion classification of English tweets with Lightning, Hydra and Hugging Face."""

from emotion.utils import resolvers as _resolvers  # noqa: F401  (registers ${package_dir:...} for conf/)
