"""The resumable, shardable infinite sampler."""

from __future__ import annotations

import torch

from polemos.train.sampler import InfiniteSampler


def test_each_epoch_visits_every_item_once() -> None:
    sampler = InfiniteSampler(size=10, batch_size=5, seed=3)
    first_epoch = torch.cat([sampler.next_batch(), sampler.next_batch()])
    assert sorted(first_epoch.tolist()) == list(range(10))
    assert sampler.epoch == 1 and sampler.cursor == 0


def test_batches_cross_epoch_boundaries() -> None:
    sampler = InfiniteSampler(size=7, batch_size=5, seed=0)
    batches = [sampler.next_batch() for _ in range(3)]
    assert all(len(batch) == 5 for batch in batches)
    assert sampler.epoch == 2


def test_state_restores_the_exact_stream() -> None:
    sampler = InfiniteSampler(size=13, batch_size=4, seed=1)
    for _ in range(5):
        sampler.next_batch()
    state = sampler.state_dict()
    expected = [sampler.next_batch() for _ in range(6)]
    restored = InfiniteSampler(size=13, batch_size=4, seed=1)
    restored.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(expected, [restored.next_batch() for _ in range(6)], strict=True))


def test_ranks_take_disjoint_shards() -> None:
    shards = [InfiniteSampler(size=12, batch_size=6, seed=0, rank=rank, world_size=2).next_batch() for rank in (0, 1)]
    assert set(shards[0].tolist()).isdisjoint(shards[1].tolist())
    assert sorted(shards[0].tolist() + shards[1].tolist()) == list(range(12))
