"""A callback that records every training micro-batch on its rank (size and which texts), and the final weights,
for the global-batch, multi-node and exact-resume tests.

Add it to any run with the override PROBE.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import lightning as L
import torch

# The Hydra override that adds the probe to a training run.
PROBE = "+callbacks.batch_probe._target_=tests.helpers.batch_probe.BatchProbe"


class BatchProbe(L.Callback):
    """Writes `batch_probe_rank<R>.json` into the run dir: micro-batch sizes, each batch's texts (a fingerprint of
    each text's token ids), accumulation, steps, world size, and a digest of the weights at the end of fitting.
    A resumed run's record holds its own batches only."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.texts: list[list[int]] = []

    def on_train_batch_end(self, trainer: L.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self.sizes.append(len(batch["labels"]))
        rows = zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist())
        self.texts.append(sorted(hash(tuple(t for t, m in zip(ids, mask) if m)) % 2**61 for ids, mask in rows))

    def on_train_end(self, trainer: L.Trainer, pl_module) -> None:
        digest = hashlib.sha256()
        for name, tensor in sorted(pl_module.state_dict().items()):
            digest.update(name.encode() + tensor.detach().to(torch.float32).cpu().numpy().tobytes())
        record = {
            "world_size": trainer.world_size,
            "steps": trainer.global_step,
            "sizes": self.sizes,
            "texts": self.texts,
            "accumulation": trainer.accumulate_grad_batches,
            "weights": digest.hexdigest(),
        }
        (Path(trainer.default_root_dir) / f"batch_probe_rank{trainer.global_rank}.json").write_text(json.dumps(record))


def samples_per_step(run_dir: Path) -> tuple[int, list[int]]:
    """Optimizer steps, and the samples each step saw summed over all ranks (one epoch, whole accumulation groups)."""
    records = [json.loads(path.read_text()) for path in sorted(Path(run_dir).glob("batch_probe_rank*.json"))]
    assert records and len(records) == records[0]["world_size"], records
    assert len({record["steps"] for record in records}) == 1, records
    per_rank = []
    for record in records:
        group = record["accumulation"]
        per_rank.append([sum(record["sizes"][i : i + group]) for i in range(0, len(record["sizes"]), group)])
    return records[0]["steps"], [sum(column) for column in zip(*per_rank, strict=True)]
