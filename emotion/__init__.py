"""Emotion classification of English tweets with Lightning, Hydra and Hugging Face."""
