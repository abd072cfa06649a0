"""Tests of the differentiable stylized-fact curves and SeriesGAN's facts penalty (facts_weight)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series import metrics
from polemos.series.data import ReturnsTransform, lambert_w_heavy_tail
from polemos.series.facts import (
    FactsPenalty,
    autocorrelation_tensor,
    facts_curves_tensor,
    leverage_correlation_tensor,
)
from polemos.series.model import SeriesGAN

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def garch_like(length: int, seed: int) -> np.ndarray:
    """Returns with volatility clustering and leverage (a GJR-style recursion), ``(length,)``."""
    rng = np.random.default_rng(seed)
    variance, values = 1e-4, np.empty(length)
    for t in range(length):
        values[t] = np.sqrt(variance) * rng.standard_normal()
        variance = 1e-6 + 0.85 * variance + 0.05 * values[t] ** 2 + 0.1 * values[t] ** 2 * (values[t] < 0)
    return values


def test_tensor_curves_equal_the_metrics() -> None:
    paths = np.stack([garch_like(400, seed) for seed in range(4)])
    tensor = torch.from_numpy(paths)
    np.testing.assert_allclose(
        autocorrelation_tensor(tensor.abs(), 60).numpy(), metrics.autocorrelation(np.abs(paths), 60), atol=1e-12
    )
    np.testing.assert_allclose(
        leverage_correlation_tensor(tensor, 60).numpy(), metrics.leverage_correlation(paths, 60), atol=1e-12
    )
    curves = facts_curves_tensor(tensor, 60).numpy()
    np.testing.assert_allclose(curves[1], metrics.autocorrelation(paths**2, 60), atol=1e-12)


def test_penalty_target_is_the_mean_curve_of_the_real_stretches() -> None:
    series = garch_like(300, 0)
    penalty = FactsPenalty(series[:, None], length=100, max_lag=20, stride=50)
    stretches = np.stack([series[start : start + 100] for start in (0, 50, 100, 150, 200)])
    np.testing.assert_allclose(penalty.target[0, 1].numpy(), metrics.autocorrelation(stretches**2, 20), atol=1e-12)
    np.testing.assert_allclose(penalty.target[0, 2].numpy(), metrics.leverage_correlation(stretches, 20), atol=1e-12)
    # the real stretches themselves score exactly 0
    assert float(penalty(torch.from_numpy(stretches)[:, :, None])) == pytest.approx(0.0, abs=1e-12)


def test_series_target_is_the_whole_series_curve_and_allows_longer_paths() -> None:
    series = garch_like(300, 4)
    series_with_gap = np.concatenate([series[:100], [np.nan], series[100:]])
    penalty = FactsPenalty(series_with_gap[:, None], length=1000, max_lag=20, target="series")
    # the observed returns, NaN dropped, as the selector and the scores see them
    np.testing.assert_allclose(penalty.target[0, 0].numpy(), metrics.autocorrelation(np.abs(series), 20), atol=1e-12)
    np.testing.assert_allclose(penalty.target[0, 2].numpy(), metrics.leverage_correlation(series, 20), atol=1e-12)
    assert float(penalty(torch.from_numpy(series)[None, :, None])) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(PolemosError, match="unknown facts target 'whole'; choose one of stretches, series"):
        FactsPenalty(series[:, None], length=100, max_lag=20, target="whole")
    with pytest.raises(PolemosError, match="too few for lag 20"):
        FactsPenalty(series[:15, None], length=100, max_lag=20, target="series")


def test_penalty_is_the_summed_l2_distance_and_gradient_descent_lowers_it() -> None:
    real = garch_like(2000, 1)[:, None]
    penalty = FactsPenalty(real, length=200, max_lag=30)
    noise = torch.from_numpy(np.random.default_rng(2).standard_normal((32, 200, 1)))
    # i.i.d. returns: no clustering, far from the target; a learnable volatility filter can fix that
    expected = np.sum(
        [
            np.linalg.norm(metrics.autocorrelation(np.abs(noise[:, :, 0].numpy()), 30) - penalty.target[0, 0].numpy()),
            np.linalg.norm(metrics.autocorrelation(noise[:, :, 0].numpy() ** 2, 30) - penalty.target[0, 1].numpy()),
            np.linalg.norm(metrics.leverage_correlation(noise[:, :, 0].numpy(), 30) - penalty.target[0, 2].numpy()),
        ]
    )
    assert float(penalty(noise)) == pytest.approx(expected, rel=1e-9)
    # log-volatility = a moving average of past |shocks| with a learnable kernel
    kernel = torch.zeros(20, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([kernel], lr=0.05)

    def paths() -> torch.Tensor:
        shocks = noise[:, :, 0]
        padded = torch.nn.functional.pad(shocks.abs(), (20, 0))[:, :-1]
        log_volatility = torch.nn.functional.conv1d(padded[:, None], kernel.flip(0)[None, None])[:, 0]
        return (torch.exp(log_volatility[:, : shocks.shape[1]]) * shocks)[:, :, None]

    start = float(penalty(paths()).detach())
    for _ in range(60):
        optimizer.zero_grad()
        penalty(paths()).backward()
        optimizer.step()
    assert float(penalty(paths()).detach()) < 0.7 * start


def test_penalty_errors_name_the_fix() -> None:
    with pytest.raises(PolemosError, match="lower facts_length"):
        FactsPenalty(np.zeros((50, 1)), length=100, max_lag=10)
    with pytest.raises(PolemosError, match="max_lag"):
        FactsPenalty(np.zeros((500, 1)), length=100, max_lag=100)


def test_returns_transform_tensor_inverse_equals_the_numpy_one_with_its_tails() -> None:
    returns = garch_like(1500, 3)[:, None] * 3.0
    transform = ReturnsTransform.fit(returns)
    model_values = np.linspace(-9.0, 9.0, 301)[:, None]  # well beyond the training range: linear tails
    tensor = torch.from_numpy(model_values).requires_grad_(True)
    mapped = transform.inverse_tensor(tensor)
    np.testing.assert_allclose(mapped.detach().numpy(), transform.inverse(model_values), rtol=1e-12, atol=1e-15)
    # independent checks: the forward map (scipy's Lambert W) undoes it everywhere, the plain map holds inside
    np.testing.assert_allclose(transform.transform(mapped.detach().numpy()), model_values, atol=1e-9)
    gaussian = model_values * transform.gaussian_std + transform.gaussian_mean
    inside = (gaussian >= transform.gaussianizer.lower) & (gaussian <= transform.gaussianizer.upper)
    plain = lambert_w_heavy_tail(gaussian, transform.gaussianizer.delta) * transform.std + transform.mean
    np.testing.assert_allclose(mapped.detach().numpy()[inside], plain[inside], rtol=1e-12)
    assert inside.sum() > 50 and (~inside).sum() > 50
    mapped.sum().backward()
    assert tensor.grad is not None and torch.isfinite(tensor.grad).all() and (tensor.grad > 0).all()


@pytest.mark.parametrize(
    "extra",
    # the real stretches; paths longer than the 399-return series, against its whole curve
    [{}, {"facts_target": "series", "facts_length": 500}],
)
def test_facts_penalty_changes_only_the_slow_noise_input_weights(prices, extra) -> None:
    # the penalty applies at step 4 only, with its own noise: up to its update both runs are identical
    options = {**TINY, "slow_noise_timescales": (5.0, 20.0), "facts_paths": 4, "facts_length": 120, **extra}
    data = prices(400)
    plain = SeriesGAN(seed=0, **options).fit(data, window=16, returns=True, steps=4)
    penalised = SeriesGAN(seed=0, facts_weight=1.0, facts_every=4, **options).fit(
        data, window=16, returns=True, steps=4
    )
    assert plain.generator is not None and penalised.generator is not None
    plain_state, penalised_state = plain.generator.state_dict(), penalised.generator.state_dict()
    for name, value in plain_state.items():
        if name != "gru.weight_ih_l0":
            torch.testing.assert_close(penalised_state[name], value, rtol=0, atol=0)
    first = penalised.generator.gru.input_size - 2  # the two slow-noise inputs come last
    torch.testing.assert_close(
        penalised_state["gru.weight_ih_l0"][:, :first], plain_state["gru.weight_ih_l0"][:, :first]
    )
    # every trained column moved
    moved = (penalised_state["gru.weight_ih_l0"][:, first:] != plain_state["gru.weight_ih_l0"][:, first:]).any(dim=0)
    assert moved.all()
    assert np.isfinite(penalised.sample(2, length=200, seed=0)).all()


def test_facts_penalty_options_are_checked(prices) -> None:
    with pytest.raises(PolemosError, match="facts_weight must be >= 0"):
        SeriesGAN(facts_weight=-1.0)
    with pytest.raises(PolemosError, match="facts_every"):
        SeriesGAN(facts_weight=1.0, facts_every=0)
    with pytest.raises(PolemosError, match="unknown facts_target 'all'; choose one of stretches, series"):
        SeriesGAN(facts_target="all")
    with pytest.raises(PolemosError, match="set slow_noise_timescales"):
        SeriesGAN(facts_weight=1.0)
    slow = {**TINY, "slow_noise_timescales": (5.0,)}
    with pytest.raises(PolemosError, match="facts_weight need returns=True"):
        SeriesGAN(facts_weight=1.0, **slow).fit(prices(), window=16, steps=2)
    with pytest.raises(PolemosError, match="lower facts_length"):
        SeriesGAN(facts_weight=1.0, facts_length=1000, **slow).fit(prices(), window=16, returns=True, steps=2)
