"""EMA with a half-life in samples."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from polemos.game.ema import EMA, ema_beta


def test_beta_halves_after_one_half_life_whatever_the_batch() -> None:
    for batch in (16, 64, 256):
        steps = 10_000 // batch
        beta = ema_beta(batch, half_life_samples=10_000, samples_seen=10**9, rampup=None)
        assert beta**steps == pytest.approx(0.5 ** (steps * batch / 10_000))
    assert ema_beta(100, 100, 10**9, None) == pytest.approx(0.5)


def test_rampup_caps_the_half_life_early() -> None:
    early = ema_beta(64, half_life_samples=10_000, samples_seen=640, rampup=0.05)
    assert early == pytest.approx(0.5 ** (64 / 32))  # half-life capped at 0.05 * 640 = 32 samples
    late = ema_beta(64, half_life_samples=10_000, samples_seen=10**7, rampup=0.05)
    assert late == pytest.approx(0.5 ** (64 / 10_000))


def test_update_blends_parameters_and_copies_buffers() -> None:
    source = nn.BatchNorm1d(3)
    ema = EMA(source, half_life_samples=10, rampup=None)
    with torch.no_grad():
        source.weight.fill_(3.0)  # average starts at 1.0
        source.running_mean.fill_(7.0)
    beta = ema.update(source, batch_size=10, samples_seen=10)
    assert beta == pytest.approx(0.5)
    assert torch.allclose(ema.module.weight, torch.full((3,), 2.0))  # 0.5 * 1 + 0.5 * 3
    assert torch.equal(ema.module.running_mean, torch.full((3,), 7.0))
    assert not ema.module.weight.requires_grad
