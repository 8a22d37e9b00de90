"""Inference on new text: one predictor for the CLI, the HTTP service and the benchmark."""

from emotion.inference.predictor import BACKENDS, Prediction, Predictor

__all__ = ["BACKENDS", "Prediction", "Predictor"]
