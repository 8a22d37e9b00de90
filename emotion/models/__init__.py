"""The sequence classifier and the checkpoints it starts from."""

from emotion.models.classifier import EmotionClassifier

__all__ = ["EmotionClassifier"]
