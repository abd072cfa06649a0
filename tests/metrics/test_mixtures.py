"""Mode-collapse scores on hand-made point sets with known answers."""

from __future__ import annotations

import math

import pytest
import torch

from polemos.errors import PolemosError
from polemos.metrics.mixtures import mixture_scores, nearest_modes, reverse_kl_to_uniform
from polemos.points import MIXTURES, sample_mixture

SQUARE = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)


def test_points_exactly_at_every_mode_capture_all_with_zero_kl() -> None:
    for name in ("ring-8", "grid-25"):
        means, sigma = MIXTURES.get(name)
        points = means.repeat(3, 1)  # every mode three times
        scores = mixture_scores(points, means, sigma)
        assert scores.modes == len(means)
        assert scores.high_quality == 1.0
        assert scores.reverse_kl == pytest.approx(0.0, abs=1e-12)
        assert scores.counts == (3,) * len(means)


def test_all_points_on_one_mode_give_one_mode_and_log_k() -> None:
    means, sigma = MIXTURES.get("ring-8")
    points = means[2].repeat(100, 1)
    scores = mixture_scores(points, means, sigma)
    assert scores.modes == 1
    assert scores.high_quality == 1.0
    assert scores.reverse_kl == pytest.approx(math.log(8))
    assert scores.counts[2] == 100 and sum(scores.counts) == 100


def test_high_quality_threshold_is_three_sigma() -> None:
    sigma = 0.1
    # offsets 2.9 sigma (in), 3.1 sigma (out), 0 (in) from mode 0; 0.5 is midway and far from every mode
    points = torch.tensor([[0.29, 0.0], [0.0, 0.31], [1.0, 1.0], [0.5, 0.5]])
    scores = mixture_scores(points, SQUARE, sigma)
    assert scores.high_quality == pytest.approx(2 / 4)
    assert scores.counts == (1, 0, 0, 1)
    assert scores.modes == 2
    assert scores.reverse_kl == pytest.approx(math.log(2))  # p = (1/2, 1/2) on 2 of 4 modes: log(4/2)


def test_reverse_kl_hand_computed_and_empty_bins() -> None:
    # p = (3/4, 1/4, 0, 0), K = 4: 3/4 log(4 * 3/4) + 1/4 log(4 * 1/4) = 0.75 log 3
    assert reverse_kl_to_uniform(torch.tensor([3, 1, 0, 0])) == pytest.approx(0.75 * math.log(3))
    assert reverse_kl_to_uniform(torch.tensor([5, 5, 5])) == pytest.approx(0.0, abs=1e-12)
    assert reverse_kl_to_uniform(torch.tensor([0, 0, 0])) == math.inf
    with pytest.raises(PolemosError):
        reverse_kl_to_uniform(torch.tensor([1, -1]))


def test_no_high_quality_point_gives_zero_modes_and_infinite_kl() -> None:
    scores = mixture_scores(torch.full((10, 2), 0.5), SQUARE, sigma=0.01)
    assert (scores.modes, scores.high_quality, scores.reverse_kl) == (0, 0.0, math.inf)


def test_nearest_modes_indices_and_distances() -> None:
    index, distance = nearest_modes(torch.tensor([[0.9, 0.1], [0.2, 0.7]]), SQUARE)
    assert index.tolist() == [1, 2]
    assert distance.tolist() == pytest.approx([math.sqrt(0.02), math.sqrt(0.13)])


def test_real_samples_match_the_chi_square_closed_form() -> None:
    # for a 2D isotropic Gaussian, P(|x - mu| < 3 sigma) = 1 - exp(-9 / 2) = 0.98889
    for name in ("ring-8", "grid-25"):
        means, sigma = MIXTURES.get(name)
        scores = mixture_scores(sample_mixture(name, 20_000, seed=1), means, sigma)
        assert scores.modes == len(means)
        assert scores.high_quality == pytest.approx(1 - math.exp(-4.5), abs=0.004)
        assert scores.reverse_kl < 0.01


def test_shape_mismatch_and_bad_sigma_raise() -> None:
    with pytest.raises(PolemosError):
        mixture_scores(torch.zeros(4, 3), SQUARE, 0.1)
    with pytest.raises(PolemosError):
        mixture_scores(torch.zeros(4, 2), SQUARE, 0.0)
    with pytest.raises(PolemosError):
        mixture_scores(torch.zeros(0, 2), SQUARE, 0.1)
