"""An infinite, resumable, shardable sampler over an in-memory dataset.

Each epoch is a permutation drawn from a generator seeded by ``(seed, epoch)``, so the order is a pure function
of the seed and the position ``(epoch, cursor)`` is all that a checkpoint needs to restore it exactly.
With several processes, rank ``r`` of ``w`` takes every ``w``-th index of each permutation.
"""

from __future__ import annotations

import torch


class InfiniteSampler:
    """Yields batches of indices forever.

    Args:
        size: Number of items in the dataset.
        batch_size: Indices per batch (per process).
        seed: Seed of the permutations.
        rank: This process's rank.
        world_size: Number of processes.
    """

    def __init__(self, size: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1) -> None:
        if size < 1:
            raise ValueError("cannot sample from an empty dataset")
        self.size = size
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0
        self.cursor = 0
        self._order = self._permutation(0)

    def _permutation(self, epoch: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        order = torch.randperm(self.size, generator=generator)
        shard = order[self.rank :: self.world_size]
        return shard if len(shard) else order

    def next_batch(self) -> torch.Tensor:
        """The next ``batch_size`` indices, crossing epoch boundaries as needed."""
        pieces = []
        needed = self.batch_size
        while needed > 0:
            available = len(self._order) - self.cursor
            take = min(needed, available)
            pieces.append(self._order[self.cursor : self.cursor + take])
            self.cursor += take
            needed -= take
            if self.cursor >= len(self._order):
                self.epoch += 1
                self.cursor = 0
                self._order = self._permutation(self.epoch)
        return torch.cat(pieces)

    def state_dict(self) -> dict[str, int]:
        """The position in the stream."""
        return {"epoch": self.epoch, "cursor": self.cursor}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Restores the position saved by :meth:`state_dict`."""
        self.epoch = int(state["epoch"])
        self.cursor = int(state["cursor"])
        self._order = self._permutation(self.epoch)
