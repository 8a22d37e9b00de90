"""Lightning's model summary without a FLOPs figure it did not measure.

Lightning counts FLOPs only by running `example_input_array`, which a text classifier has no fixed shape for; it
then prints a FLOPs column of zeros and `Total FLOPs: 0`, a figure that reads as measured. This summary leaves both
out when nothing was counted, and shows them when something was.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.callbacks import ModelSummary
from lightning.pytorch.callbacks.model_summary import log
from lightning.pytorch.utilities.model_summary.model_summary import _format_summary_table


class MeasuredModelSummary(ModelSummary):
    @staticmethod
    def summarize(
        summary_data: list[tuple[str, list[str]]],
        total_parameters: int,
        trainable_parameters: int,
        model_size: float,
        total_training_modes: dict[str, int],
        total_flops: int,
        **summarize_kwargs: Any,
    ) -> None:
        if total_flops:
            ModelSummary.summarize(
                summary_data, total_parameters, trainable_parameters, model_size, total_training_modes, total_flops
            )
            return
        columns = [column for column in summary_data if column[0] != "FLOPs"]
        table = _format_summary_table(
            total_parameters, trainable_parameters, model_size, total_training_modes, 0, *columns
        )
        log.info("\n" + table.rsplit("\n", 1)[0])  # the last line is "0 Total Flops"
