"""`run_if`: a test that needs hardware this machine may lack is marked and skipped, not failed (after
lightning-hydra-template's `RunIf`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
import torch

Test = TypeVar("Test", bound=Callable)


def run_if(min_gpus: int = 1, bf16: bool = False) -> Callable[[Test], Test]:
    """Marks a test `gpu` (so `-m "not gpu"` leaves it out) and skips it unless torch sees `min_gpus` CUDA devices,
    and, with `bf16`, unless they compute in bf16."""
    gpus = torch.cuda.device_count()
    reasons = []
    if gpus < min_gpus:
        reasons.append(f"needs {min_gpus} CUDA GPU{'s' if min_gpus > 1 else ''} (this machine: {gpus})")
    elif bf16 and not torch.cuda.is_bf16_supported():
        reasons.append("needs a GPU that computes in bf16")

    def mark(test: Test) -> Test:
        return pytest.mark.gpu(pytest.mark.skipif(bool(reasons), reason="; ".join(reasons))(test))

    return mark
