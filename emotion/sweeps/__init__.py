"""Hyperparameter studies on a current Optuna: the search space as Hydra overrides, a persistent study, pruning
from inside the training loop, and what a person reads afterwards. The Hydra sweeper itself is
`hydra_plugins/emotion_sweeper` (Hydra finds plugins only in that namespace); the logic is here."""
