"""Tests of SeriesGAN's critic_tails: the critic's magnitude channels read standardised returns in data units."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series import data
from polemos.series.model import SeriesGAN
from polemos.series.networks import ConvDiscriminator

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def first_layer_inputs(discriminator: ConvDiscriminator, windows: torch.Tensor, forward=None) -> torch.Tensor:
    """What the first convolution reads, ``(N, C, T)`` (``forward``: the unpatched method, if patched)."""
    seen: list[torch.Tensor] = []
    handle = discriminator.body[0].register_forward_hook(lambda module, args, output: seen.append(args[0]))
    with torch.no_grad():
        (forward or ConvDiscriminator.forward)(discriminator, windows)
    handle.remove()
    return seen[0]


def record_critic_inputs(monkeypatch) -> list[torch.Tensor]:
    """Patches the critic so that every call appends what its first convolution reads; returns the list."""
    inputs: list[torch.Tensor] = []
    forward = ConvDiscriminator.forward

    def recording(self, windows, mask=None, labels=None):
        inputs.append(first_layer_inputs(self, windows, forward))
        return forward(self, windows, mask, labels)

    monkeypatch.setattr(ConvDiscriminator, "forward", recording)
    return inputs


def test_magnitude_map_feeds_the_magnitude_channels() -> None:
    torch.manual_seed(0)
    windows = torch.randn(3, 16, 2)
    cube = lambda x: x**3  # noqa: E731
    mapped = first_layer_inputs(ConvDiscriminator(2, 16, 8, magnitude=True, magnitude_map=cube), windows)
    plain = first_layer_inputs(ConvDiscriminator(2, 16, 8, magnitude=True), windows)
    assert torch.equal(mapped[:, :2], windows.transpose(1, 2))  # the values themselves are unchanged
    assert torch.allclose(mapped[:, 2:], windows.transpose(1, 2).abs() ** 3)
    assert torch.allclose(plain[:, 2:], windows.transpose(1, 2).abs())


def test_magnitude_map_needs_magnitude_channels() -> None:
    with pytest.raises(ValueError, match="magnitude=True"):
        ConvDiscriminator(1, 16, 8, magnitude_map=torch.abs)


def test_critic_reads_the_standardised_returns_of_the_real_windows(prices, monkeypatch) -> None:
    inputs = record_critic_inputs(monkeypatch)
    table = prices(400)
    gan = SeriesGAN(seed=0, critic_magnitude=True, critic_tails=True, **TINY)
    gan.fit(table, window=16, returns=True, steps=1)
    real_magnitudes = inputs[0][:, 1].numpy().ravel()  # the first call judges the real batch; channel 1 is |.|
    returns = data.log_returns(table["close"].to_numpy())
    # standardised with the fitted mean and std (of the overlapping windows, so not quite the series' own)
    mean, std = gan.meta["scaling"]["mean"][0], gan.meta["scaling"]["std"][0]
    standardised = np.abs((returns - mean) / std)
    # every magnitude the critic reads is one of the real |standardised return| values (float32 round trip)
    nearest = np.abs(real_magnitudes[:, None] - standardised[None, :]).min(axis=1)
    assert nearest.max() < 1e-3
    # and these are the heavy-tailed data units, not model space: Student-t(4) tails reach further
    assert real_magnitudes.max() > inputs[0][:, 0].abs().max().item() + 0.1


def test_critic_tails_needs_magnitude_channels_and_returns(prices) -> None:
    with pytest.raises(PolemosError, match="critic_magnitude=True"):
        SeriesGAN(critic_tails=True)
    gan = SeriesGAN(critic_magnitude=True, critic_tails=True, **TINY)
    with pytest.raises(PolemosError, match="returns=True"):
        gan.fit(prices(200), window=16, steps=1)


def test_critic_tails_power_squares_the_standardised_returns(prices, monkeypatch) -> None:
    inputs = record_critic_inputs(monkeypatch)
    table = prices(400)
    gan = SeriesGAN(seed=0, critic_magnitude=True, critic_tails=True, critic_tails_power=2.0, **TINY)
    gan.fit(table, window=16, returns=True, steps=1)
    real_magnitudes = inputs[0][:, 1].numpy().ravel()
    returns = data.log_returns(table["close"].to_numpy())
    mean, std = gan.meta["scaling"]["mean"][0], gan.meta["scaling"]["std"][0]
    squared = ((returns - mean) / std) ** 2
    # every value the critic reads is one of the real squared standardised returns (float32 round trip)
    nearest = np.abs(real_magnitudes[:, None] - squared[None, :]).min(axis=1) / np.maximum(real_magnitudes, 1.0)
    assert nearest.max() < 1e-3
    assert real_magnitudes.max() > np.abs((returns - mean) / std).max() + 0.5  # squares, not magnitudes


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"critic_magnitude": True, "critic_tails": True, "critic_tails_power": 0.5}, ">= 1"),
        ({"critic_magnitude": True, "critic_tails_power": 2.0}, "critic_tails=True"),
    ],
)
def test_critic_tails_power_is_validated(options, message) -> None:
    with pytest.raises(PolemosError, match=message):
        SeriesGAN(**options)
