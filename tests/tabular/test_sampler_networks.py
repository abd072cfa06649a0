from __future__ import annotations

import numpy as np
import torch

from polemos.tabular.layout import ColumnSpan, CondSpan
from polemos.tabular.networks import Discriminator, OutputActivation
from polemos.tabular.sampler import ConditionalSampler


def _encoded_one_column(counts: list[int]) -> np.ndarray:
    slots = np.repeat(np.arange(len(counts)), counts)
    encoded = np.zeros((len(slots), len(counts)), dtype=np.float32)
    encoded[np.arange(len(slots)), slots] = 1.0
    return encoded


def test_training_by_sampling_uses_log_frequencies() -> None:
    sampler = ConditionalSampler(_encoded_one_column([90, 9, 1]), (CondSpan("c", 0, 0, 3),))
    expected = np.log([91.0, 10.0, 2.0])
    np.testing.assert_allclose(sampler.slot_probabilities[0].numpy(), expected / expected.sum())
    np.testing.assert_allclose(sampler.slot_frequencies[0], [0.9, 0.09, 0.01])
    generator = torch.Generator().manual_seed(0)
    batch = sampler.sample_conditions(20_000, generator)
    observed = np.bincount(batch.slot.numpy(), minlength=3) / 20_000
    np.testing.assert_allclose(observed, expected / expected.sum(), atol=0.015)
    # the conditional vector is the one-hot of the slot
    np.testing.assert_array_equal(batch.vector.argmax(1).numpy(), batch.slot.numpy())


def test_real_rows_match_their_condition() -> None:
    first = _encoded_one_column([5, 3, 2])
    second = np.zeros((10, 2), dtype=np.float32)
    second[np.arange(10), np.arange(10) % 2] = 1.0
    encoded = np.concatenate([first, second], axis=1)
    spans = (CondSpan("a", 0, 0, 3), CondSpan("b", 3, 3, 2))
    sampler = ConditionalSampler(encoded, spans)
    generator = torch.Generator().manual_seed(1)
    batch = sampler.sample_conditions(500, generator)
    rows = sampler.sample_rows(batch, generator).numpy()
    for row, column, slot in zip(rows, batch.column.numpy(), batch.slot.numpy(), strict=True):
        span = spans[column]
        assert encoded[row, span.data_start + slot] == 1.0


def test_output_activation_walks_the_layout() -> None:
    layout = (
        ColumnSpan("x", "scalar", 0, 1, "tanh"),
        ColumnSpan("x", "mode", 1, 3, "softmax"),
        ColumnSpan("c", "category", 4, 2, "softmax", True),
        ColumnSpan("y", "scalar", 6, 1, "tanh"),
    )
    raw = torch.tensor([[2.0, 1.0, 2.0, 3.0, 0.0, 0.0, -1.0]])
    out = OutputActivation(layout)(raw, temperature=1.0, gumbel=False)
    assert torch.allclose(out[0, [0, 6]], torch.tanh(torch.tensor([2.0, -1.0])))
    assert torch.allclose(out[0, 1:4], torch.softmax(torch.tensor([1.0, 2.0, 3.0]), 0))
    assert torch.allclose(out[0, 4:6], torch.tensor([0.5, 0.5]))


def test_discriminator_packs_rows() -> None:
    discriminator = Discriminator(input_dim=3, hidden=(8,), pac=4)
    rows = torch.randn(12, 3)
    assert discriminator(rows).shape == (3,)
    assert discriminator.pack(rows).shape == (3, 12)
    # the first pack's logit depends only on the first four rows
    changed = rows.clone()
    changed[4:] = 0.0
    discriminator.eval()
    assert torch.allclose(discriminator(rows)[0], discriminator(changed)[0])
