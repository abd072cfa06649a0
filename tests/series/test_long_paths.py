"""Tests of the long-path options of SeriesGAN: slow AR(1) noise, the |x| critic channels and the burn-in."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series.model import SeriesGAN, SeriesGANConfig
from polemos.series.networks import ConvDiscriminator, RecurrentGenerator, slow_noise, window_statistics

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def test_defaults_leave_the_options_off() -> None:
    config = SeriesGANConfig()
    assert config.slow_noise_timescales == () and config.critic_magnitude is False and config.burn_in == 0
    assert config.critic_statistics_lags == ()


def test_slow_noise_is_stationary_ar1_with_the_given_time_scale() -> None:
    torch.manual_seed(0)
    values = slow_noise(20_000, 41, (10.0, 1.0)).double()
    assert values.shape == (20_000, 41, 2)
    # unit variance at the start and at the end (stationary from step 0)
    for step in (0, 40):
        torch.testing.assert_close(values[:, step].var(dim=0), torch.ones(2, dtype=torch.float64), atol=0.04, rtol=0)
    # corr(s_t, s_{t+k}) = exp(-k / tau): tau = 10, k = 10 -> e^-1; tau = 1, k = 2 -> e^-2
    lag10 = float(torch.corrcoef(torch.stack([values[:, 20, 0], values[:, 30, 0]]))[0, 1])
    lag2 = float(torch.corrcoef(torch.stack([values[:, 20, 1], values[:, 22, 1]]))[0, 1])
    assert abs(lag10 - math.exp(-1.0)) < 0.03
    assert abs(lag2 - math.exp(-2.0)) < 0.03


def test_slow_noise_follows_the_ar1_recursion_exactly() -> None:
    torch.manual_seed(3)
    values = slow_noise(4, 30, (5.0, 80.0)).double()
    torch.manual_seed(3)
    innovations = torch.randn(4, 30, 2).double()  # the same draws
    phi = torch.exp(-1.0 / torch.tensor([5.0, 80.0], dtype=torch.float64))
    state = innovations[:, 0]
    torch.testing.assert_close(values[:, 0], state, atol=1e-6, rtol=0)
    for step in range(1, 30):
        state = phi * state + torch.sqrt(1 - phi.square()) * innovations[:, step]  # s_t = phi s_(t-1) + c e_t
        torch.testing.assert_close(values[:, step], state, atol=1e-5, rtol=0)
    assert slow_noise(2, 1, (5.0,)).shape == (2, 1, 1) and slow_noise(2, 0, (5.0,)).shape == (2, 0, 1)


def test_warm_up_drops_steps_and_truncates_gradients() -> None:
    generator = RecurrentGenerator(1, hidden=8, layers=2, noise_dim=2, output="volatility", slow_timescales=(20.0,))
    torch.manual_seed(5)
    full = generator(3, 12 + 7)
    torch.manual_seed(5)
    warmed = generator(3, 7, warm_up=12)
    # the same random draws give the same values: the tail of the full run
    torch.testing.assert_close(warmed, full[:, 12:])
    # the initial state acts only through the warm-up, which is not tracked: no gradient reaches it
    warmed.square().sum().backward()
    assert generator.initial_state.weight.grad is None
    assert generator.gru.weight_hh_l0.grad is not None and generator.head.weight.grad is not None
    generator.zero_grad(set_to_none=True)
    full[:, 12:].square().sum().backward()  # without warm-up, backpropagation reaches the first step
    assert generator.initial_state.weight.grad is not None
    with pytest.raises(ValueError, match="warm_up"):
        generator(1, 3, warm_up=-1)


def test_generator_reads_slow_noise() -> None:
    plain = RecurrentGenerator(1, hidden=8, layers=1, noise_dim=2, output="volatility")
    slow = RecurrentGenerator(1, hidden=8, layers=1, noise_dim=2, output="volatility", slow_timescales=(5.0, 50.0))
    # GRU input: noise (2) + previous shock (1) + one channel per time scale
    assert plain.gru.input_size == 3 and slow.gru.input_size == 5
    assert slow(3, 500).shape == (3, 500, 1)
    # the slow channels change the output: zeroing their input weights changes the path for the same seed
    torch.manual_seed(1)
    before = slow(2, 30)
    with torch.no_grad():
        slow.gru.weight_ih_l0[:, 3:] = 0.0
    torch.manual_seed(1)
    after = slow(2, 30)
    assert not torch.allclose(before, after)
    with pytest.raises(ValueError, match="positive"):
        RecurrentGenerator(1, slow_timescales=(0.0,))


def test_magnitude_critic_reads_absolute_values() -> None:
    torch.manual_seed(0)
    discriminator = ConvDiscriminator(2, window=16, channels=8, magnitude=True)
    first = discriminator.body[0]
    assert first.in_channels == 4  # x and |x| per feature
    windows = torch.randn(5, 16, 2)
    # with the signed channels switched off only |x| is read: the logits are invariant to x -> -x
    assert not torch.allclose(discriminator(windows), discriminator(-windows))
    with torch.no_grad():
        first.weight[:, :2] = 0.0
    torch.testing.assert_close(discriminator(windows), discriminator(-windows))
    # masks still hide the padded steps
    masked = ConvDiscriminator(1, window=10, channels=8, masked=True, magnitude=True)
    assert masked.body[0].in_channels == 3
    series = torch.randn(2, 10, 1)
    mask = torch.arange(10)[None, :] < torch.tensor([[6], [10]])
    changed = series.clone()
    changed[0, 6:] = -50.0
    torch.testing.assert_close(masked(series, mask), masked(changed, mask))


def test_window_statistics_by_hand() -> None:
    windows = torch.tensor([1.0, -2.0, 3.0, -4.0]).view(1, 4, 1)
    statistics = window_statistics(windows, (1,))
    # |x| = 1, 2, 3, 4: centred -1.5, -0.5, 0.5, 1.5; lag-1 autocovariance 1.25 over energy 5
    # x_t = 1, -2, 3 (centred 1/3, -8/3, 7/3) against |x_{t+1}| = 2, 3, 4 (centred -1, 0, 1): 2 / sqrt(114 / 9 * 2)
    expected = torch.tensor([[0.25, 2.0 / math.sqrt(114.0 / 9.0 * 2.0), math.log(7.5)]])
    torch.testing.assert_close(statistics, expected)


def test_statistics_critic() -> None:
    torch.manual_seed(0)
    discriminator = ConvDiscriminator(2, window=16, channels=8, statistics_lags=(1, 4))
    assert discriminator.logit.in_features == 2 * 8 + 8
    windows = torch.randn(5, 16, 2, requires_grad=True)
    logits = discriminator(windows)
    assert logits.shape == (5,)
    # the statistics path carries gradient back to the inputs (for the generator and the penalties)
    (gradient,) = torch.autograd.grad(logits.sum(), windows)
    assert torch.isfinite(gradient).all()
    # switching the statistics layer off changes the logits
    with torch.no_grad():
        discriminator.logit.weight[:, 16:] = 0.0
    assert not torch.allclose(logits, discriminator(windows))
    with pytest.raises(ValueError, match="masks"):
        ConvDiscriminator(1, window=16, masked=True, statistics_lags=(1,))
    with pytest.raises(ValueError, match="statistics_lags"):
        ConvDiscriminator(1, window=16, statistics_lags=(16,))


def test_burn_in_sampling_drops_the_warm_up_steps(prices) -> None:
    gan = SeriesGAN(seed=0, burn_in=7, slow_noise_timescales=(20,), critic_magnitude=True, **TINY)
    gan.fit(prices(), window=16, returns=True, steps=3)
    samples = gan.sample(4, length=50, seed=11)
    assert samples.shape == (4, 50, 1) and np.isfinite(samples).all()
    # the returned path is the tail of a burn_in + length run of the generator, mapped back to returns
    torch.manual_seed(11)
    with torch.no_grad():
        full = gan.generator(4, 57).numpy().astype(np.float64)
    np.testing.assert_allclose(samples, gan._to_data_space(full[:, 7:]), rtol=1e-6, atol=1e-9)
    with pytest.raises(PolemosError, match="burn_in"):
        SeriesGAN(seed=0, burn_in=4, **TINY).fit(prices(), window=16, returns=True, context_length=4, steps=1)


def test_long_path_options_round_trip(tmp_path, prices) -> None:
    gan = SeriesGAN(
        seed=0,
        burn_in=5,
        slow_noise_timescales=(10.0, 100.0),
        critic_magnitude=True,
        critic_statistics_lags=(1, 8, 64),  # 64 is beyond the window: dropped
        **TINY,
    )
    gan.fit(prices(), window=16, returns=True, steps=2)
    gan.save(tmp_path / "model")
    loaded = SeriesGAN.load(tmp_path / "model")
    assert loaded.config == gan.config and loaded.config.slow_noise_timescales == (10.0, 100.0)
    assert loaded.config.critic_statistics_lags == (1, 8, 64)
    np.testing.assert_allclose(
        loaded.sample(3, length=40, seed=2), gan.sample(3, length=40, seed=2), rtol=1e-5, atol=1e-8
    )


def test_bad_long_path_options() -> None:
    with pytest.raises(PolemosError, match="slow_noise_timescales"):
        SeriesGAN(slow_noise_timescales=(-1.0,))
    with pytest.raises(PolemosError, match="burn_in"):
        SeriesGAN(burn_in=-3)
    windows = np.random.default_rng(0).normal(size=(20, 10, 1))
    windows[0, 7:] = np.nan  # a shorter sequence: masked training
    with pytest.raises(PolemosError, match="critic_statistics_lags"):
        SeriesGAN(critic_statistics_lags=(2,), **TINY).fit(windows, steps=1)


def test_generator_reads_the_size_of_yesterdays_shock() -> None:
    generator = RecurrentGenerator(1, hidden=8, layers=1, noise_dim=2, output="volatility", slow_timescales=(5.0,))
    sized = RecurrentGenerator(
        1, hidden=8, layers=1, noise_dim=2, output="volatility", slow_timescales=(5.0,), shock_magnitude=True
    )
    # GRU input: noise (2) + previous shock (1) + its size (1) + slow noise (1, still the last column)
    assert generator.gru.input_size == 4 and sized.gru.input_size == 5
    seen: list[torch.Tensor] = []
    sized.gru.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0].detach()))
    torch.manual_seed(3)
    paths = sized(2, 20)
    inputs = seen[0]  # (2, 20, 5)
    # the shock column at step t + 1 is eps_t; the next column is |eps_t| - sqrt(2 / pi)
    torch.testing.assert_close(inputs[:, :, 3], inputs[:, :, 2].abs() - math.sqrt(2.0 / math.pi))
    # and the slow column is an AR(1) with phi = exp(-1/5): it is not the size channel
    assert not torch.allclose(inputs[:, :, 4], inputs[:, :, 3])
    assert paths.shape == (2, 20, 1)
    with pytest.raises(ValueError, match="shock_magnitude"):
        RecurrentGenerator(1, output="sigmoid", shock_magnitude=True)


def test_shock_magnitude_round_trip_and_needs_returns(tmp_path, prices) -> None:
    gan = SeriesGAN(seed=0, shock_magnitude=True, **TINY).fit(prices(), window=16, returns=True, steps=2)
    assert gan.generator is not None and gan.generator.gru.input_size == 2 + 1 + 1
    gan.save(tmp_path / "model")
    loaded = SeriesGAN.load(tmp_path / "model")
    assert loaded.config.shock_magnitude is True
    np.testing.assert_allclose(loaded.sample(2, length=30, seed=4), gan.sample(2, length=30, seed=4), rtol=1e-5)
    with pytest.raises(PolemosError, match="shock_magnitude"):
        SeriesGAN(shock_magnitude=True, **TINY).fit(prices(), window=16, steps=1)  # levels, not returns
