"""Tests of SeriesGAN's learning-rate schedule (lr_schedule, lr_final)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series import model as series_model
from polemos.series.model import SeriesGAN, SeriesGANConfig

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16, "ema_half_life": 0}


def random_walk(length: int = 120) -> np.ndarray:
    return np.cumsum(np.random.default_rng(0).standard_normal((length, 2)), axis=0)


def test_the_schedule_is_constant_by_default() -> None:
    assert SeriesGANConfig().lr_schedule == "constant"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr_schedule": "step"}, "unknown lr_schedule 'step'; choose one of constant, cosine"),
        ({"lr_final": 1.5}, r"lr_final must be a fraction of the start rate in \[0, 1\], got 1.5"),
        ({"lr_final": -0.1}, "lr_final must be"),
    ],
)
def test_bad_schedules_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(PolemosError, match=message):
        SeriesGAN(**options)


def test_cosine_rates_follow_the_formula_step_by_step(monkeypatch: pytest.MonkeyPatch) -> None:
    rates: list[tuple[float, float]] = []  # (the optimizer's base rate, its rate at each step)

    class RecordingAdam(torch.optim.Adam):
        def step(self, closure=None):  # type: ignore[override]
            rates.append((self.defaults["lr"], self.param_groups[0]["lr"]))
            return super().step(closure)

    monkeypatch.setattr(series_model.torch.optim, "Adam", RecordingAdam)
    steps = 8
    SeriesGAN(seed=0, **TINY, generator_lr=1e-3, discriminator_lr=4e-3, lr_schedule="cosine", lr_final=0.1).fit(
        random_walk(), window=12, steps=steps
    )
    generator_rates = [rate for base, rate in rates if base == 1e-3]
    discriminator_rates = [rate for base, rate in rates if base == 4e-3]
    # 0.1 + 0.9 (1 + cos(pi (s - 1) / steps)) / 2 of the base rate at step s
    expected = [0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (s - 1) / steps)) for s in range(1, steps + 1)]
    assert generator_rates == pytest.approx([1e-3 * f for f in expected])
    assert discriminator_rates == pytest.approx([4e-3 * f for f in expected])
    assert generator_rates[0] == pytest.approx(1e-3) and generator_rates[-1] < 0.15e-3


def test_a_cosine_ending_at_the_full_rate_trains_the_constant_model() -> None:
    series = random_walk()
    constant = SeriesGAN(seed=0, **TINY).fit(series, window=12, steps=5)
    flat_cosine = SeriesGAN(seed=0, **TINY, lr_schedule="cosine", lr_final=1.0).fit(series, window=12, steps=5)
    decayed = SeriesGAN(seed=0, **TINY, lr_schedule="cosine").fit(series, window=12, steps=5)
    assert np.array_equal(constant.sample(4, seed=1), flat_cosine.sample(4, seed=1))
    assert not np.allclose(constant.sample(4, seed=1), decayed.sample(4, seed=1))
