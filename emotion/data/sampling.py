"""The order of training batches as a function of (seed, epoch) alone, sharded over ranks, able to start mid-epoch.

Lightning's default samplers draw an epoch's order from RNG state that a restarted process no longer has, and an
interrupted epoch restarts from its first batch. Here a run resumed from a checkpoint trains on exactly the
batches the interrupted run had left, in the same order, and N ranks together see the same samples per optimizer
step as one process with N times their batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler
from transformers.trainer_pt_utils import get_length_grouped_indices


def shard(indices: list[int], rank: int, world_size: int) -> list[int]:
    """Rank `rank`'s share, strided; padded with the first indices to an equal length per rank (as
    DistributedSampler does), so every rank runs the same number of batches and no collective waits forever."""
    if world_size == 1:
        return indices
    total = -(-len(indices) // world_size) * world_size
    padded = indices + indices[: total - len(indices)]
    return padded[rank:total:world_size]


class EpochOrder(Sampler[int]):
    """Shuffled (optionally length-grouped) from a generator seeded with seed + epoch.

    `batch_size` is one rank's batch: length groups are cut at batch_size x world_size (what all ranks load for one
    step) and then strided over ranks, so each rank's batch is its share of the one-process batch.
    `resume(epoch, batches)` makes the next pass over that epoch start after `batches` of this rank's batches.
    """

    def __init__(
        self,
        size: int,
        batch_size: int,
        seed: int,
        lengths: list[int] | None = None,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.lengths, self.rank, self.world_size = lengths, rank, world_size
        self.epoch = 0
        self._resume: tuple[int, int] | None = None

    def set_epoch(self, epoch: int) -> None:
        """Lightning calls this at the start of each epoch."""
        self.epoch = epoch

    def resume(self, epoch: int, batches: int) -> None:
        self.epoch = epoch
        self._resume = (epoch, batches * self.batch_size)

    def order(self) -> list[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        if self.lengths is not None:
            indices = get_length_grouped_indices(self.lengths, self.batch_size * self.world_size, generator=generator)
        else:
            indices = torch.randperm(self.size, generator=generator).tolist()
        return shard(indices, self.rank, self.world_size)

    def __iter__(self) -> Iterator[int]:
        indices = self.order()
        if self._resume is not None:
            epoch, skip = self._resume
            self._resume = None
            if epoch == self.epoch:
                indices = indices[skip:]
        return iter(indices)

    def __len__(self) -> int:
        """A full epoch's share, also on a resumed pass (Lightning counts the batch index on from where it was)."""
        return -(-self.size // self.world_size)
