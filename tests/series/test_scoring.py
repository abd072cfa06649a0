"""Tests of the differentiable energy score (polemos.series.scoring) against hand values and the numpy metric."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series import metrics
from polemos.series.scoring import energy_score_tensor


def test_energy_score_hand_values() -> None:
    # K = 2, D = 1: (|0 - 1| + |2 - 1|) / 2 - |0 - 2| / (2 * 1) = 1 - 1 = 0
    two = energy_score_tensor(torch.tensor([[[0.0], [2.0]]]), torch.tensor([[1.0]]))
    # K = 3, D = 2, y = 0: errors 0, 5, 10 (mean 5); pairs 5, 10, 5 (sum 20) / (3 * 2) -> 5 - 10 / 3
    three = energy_score_tensor(torch.tensor([[[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]]), torch.zeros(1, 2))
    assert two.tolist() == pytest.approx([0.0])
    assert three.tolist() == pytest.approx([5.0 - 10.0 / 3.0])


def test_energy_score_equals_the_fair_numpy_metric() -> None:
    rng = np.random.default_rng(0)
    samples, target = rng.normal(size=(7, 5, 3)), rng.normal(size=(7, 3))
    expected = metrics.energy_score(samples, target, fair=True)
    got = energy_score_tensor(torch.from_numpy(samples), torch.from_numpy(target)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-7)  # the metric's Gram form rounds at ~1e-9


def test_energy_score_is_lowest_for_the_true_law() -> None:
    generator = torch.Generator().manual_seed(1)
    target = torch.randn(4000, 2, generator=generator)  # y ~ N(0, I)
    scores = {
        scale: float(energy_score_tensor(scale * torch.randn(4000, 4, 2, generator=generator), target).mean())
        for scale in (0.5, 1.0, 2.0)
    }
    assert scores[1.0] < scores[0.5] and scores[1.0] < scores[2.0]


def test_energy_score_gradient_is_finite_for_equal_draws() -> None:
    samples = torch.zeros(2, 3, 4, requires_grad=True)  # every pair at distance 0
    energy_score_tensor(samples, torch.ones(2, 4)).sum().backward()
    assert samples.grad is not None and torch.isfinite(samples.grad).all()


@pytest.mark.parametrize(("samples", "target"), [((3, 1, 2), (3, 2)), ((3, 4, 2), (3, 3)), ((4, 2), (4,))])
def test_energy_score_rejects_bad_shapes(samples: tuple[int, ...], target: tuple[int, ...]) -> None:
    with pytest.raises(PolemosError):
        energy_score_tensor(torch.zeros(samples), torch.zeros(target))
