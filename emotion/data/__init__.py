"""Loading the emotion splits and serving them as padded batches."""

from emotion.data.datamodule import EmotionDataModule
from emotion.data.errors import DataError
from emotion.data.splits import CARER_DIR, load_splits

__all__ = ["CARER_DIR", "DataError", "EmotionDataModule", "load_splits"]
