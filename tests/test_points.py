"""The points modality: mixtures, MLP networks and its spectral-norm default."""

from __future__ import annotations

import pytest
import torch

from polemos.points import MIXTURES, build_points_task, sample_mixture


def _has_spectral_norm(module: torch.nn.Module) -> bool:
    return any(torch.nn.utils.parametrize.is_parametrized(layer) for layer in module.modules())


def test_mixture_samples_sit_on_their_modes() -> None:
    modes, sigma = MIXTURES.get("ring-8")
    points = sample_mixture("ring-8", 4_000, seed=0).double()
    distance = torch.cdist(points, modes).min(dim=1).values / sigma
    # |N(0, I_2)| / 1 is Rayleigh: P(r < 3) = 1 - exp(-4.5) = 0.9889
    assert (distance < 3).double().mean().item() == pytest.approx(1 - torch.exp(torch.tensor(-4.5)).item(), abs=0.01)


@pytest.mark.parametrize(("spectral_norm", "expected"), [(None, False), (True, True), (False, False)])
def test_points_spectral_norm_default_is_off(spectral_norm, expected) -> None:
    task = build_points_task(sample_mixture("grid-25", 64, seed=0), width=8, depth=2, spectral_norm=spectral_norm)
    assert _has_spectral_norm(task.discriminator) is expected
    assert task.metadata["spectral_norm"] is expected
