"""Tests of SeriesGAN's tilted batches (tilt_quantile): part of every batch conditioned on an extreme step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series import data
from polemos.series.model import SeriesGAN
from polemos.series.networks import ConvDiscriminator

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def test_half_of_each_batch_holds_an_extreme_step(prices, monkeypatch) -> None:
    seen: list[torch.Tensor] = []
    forward = ConvDiscriminator.forward

    def recording(self, windows, mask=None, labels=None):
        seen.append(windows.detach().clone())
        return forward(self, windows, mask, labels)

    monkeypatch.setattr(ConvDiscriminator, "forward", recording)
    table = prices(400)
    gan = SeriesGAN(seed=0, tilt_quantile=0.97, tilt_fraction=0.5, **TINY)
    gan.fit(table, window=16, returns=True, steps=3)  # no R1 step (every 4): per step real, fake, fake
    assert len(seen) == 9
    # the threshold: the 0.97 quantile of |x| over the real training windows, in model space
    series = gan._to_model_space(data.log_returns(table["close"].to_numpy())[:, None])[:, 0]
    windows = np.lib.stride_tricks.sliding_window_view(series, 16)
    threshold = np.quantile(np.abs(windows), 0.97)
    uniform_share = (np.abs(windows).max(axis=1) > threshold).mean()
    assert 0.2 < uniform_share < 0.6  # so "all 8 extreme" is not an accident

    def extreme(batch: torch.Tensor) -> np.ndarray:
        return batch.abs().amax(dim=(1, 2)).numpy() > threshold + 1e-5

    for step in range(3):
        real, *fakes = seen[3 * step : 3 * step + 3]
        assert extreme(real)[:8].all()
        for fake in fakes:
            # the first 8 fakes are redrawn from the batch's extreme fakes, whenever it has any
            flags = extreme(fake)
            assert flags[:8].all() or not flags.any()


def test_tilt_off_by_default_and_on_changes_training(prices) -> None:
    table = prices(400)
    plain = SeriesGAN(seed=0, **TINY).fit(table, window=16, returns=True, steps=3)
    tilted = SeriesGAN(seed=0, tilt_quantile=0.97, **TINY).fit(table, window=16, returns=True, steps=3)
    again = SeriesGAN(seed=0, tilt_quantile=0.0, **TINY).fit(table, window=16, returns=True, steps=3)
    np.testing.assert_array_equal(plain.sample(2, length=30, seed=1), again.sample(2, length=30, seed=1))
    assert not np.allclose(plain.sample(2, length=30, seed=1), tilted.sample(2, length=30, seed=1))


def test_bad_tilt_options(prices) -> None:
    for options in ({"tilt_quantile": 1.0}, {"tilt_quantile": -0.1}, {"tilt_fraction": 0.0}, {"tilt_fraction": 1}):
        with pytest.raises(PolemosError, match="tilt_quantile must be in"):
            SeriesGAN(**options)
    with pytest.raises(PolemosError, match="tilt_quantile needs unconditional full-length windows"):
        SeriesGAN(tilt_quantile=0.99, **TINY).fit(prices(), window=16, returns=True, context_length=4, steps=1)
