"""Tests of polemos.series.metrics and baselines; each compares with a known or closed-form value."""

from __future__ import annotations

import numpy as np
import pytest

from polemos.series import baselines, data, metrics


def test_discriminative_score_real_vs_real_small_and_real_vs_noise_large() -> None:
    # short windows and 12 features (6 hidden units) keep the test fast
    real = data.sine_windows(n=400, length=8, features=12, seed=0).astype(np.float32)
    other_real = data.sine_windows(n=400, length=8, features=12, seed=1).astype(np.float32)
    noise = np.random.default_rng(0).uniform(size=real.shape).astype(np.float32)
    assert metrics.discriminative_score(real, other_real, iterations=300, seed=0) < 0.1
    assert metrics.discriminative_score(real, noise, iterations=300, seed=0) > 0.4


def test_predictive_score_learns_a_deterministic_target() -> None:
    rng = np.random.default_rng(0)
    driver = rng.uniform(size=(500, 12, 1))
    # the last feature at step t+1 equals the first feature at step t: learnable with zero error
    target = np.concatenate([np.full((500, 1, 1), 0.5), driver[:, :-1]], axis=1)
    windows = np.concatenate([driver, target], axis=2).astype(np.float32)
    trained = metrics.predictive_score(windows, windows, iterations=1500, seed=0)
    untrained = metrics.predictive_score(windows, windows, iterations=0, seed=0)
    assert trained < 0.1 < untrained  # the mean absolute error of a U(0,1) target vs ~0.5 is ~0.25


def test_acf_of_iid_noise_is_near_zero_and_ar1_is_geometric() -> None:
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((20, 5000))
    assert np.abs(metrics.autocorrelation(noise, 10)).max() < 0.01
    phi = 0.8
    ar = np.zeros((20, 5000))
    for t in range(1, 5000):
        ar[:, t] = phi * ar[:, t - 1] + rng.standard_normal(20)
    np.testing.assert_allclose(metrics.autocorrelation(ar, 3), [phi, phi**2, phi**3], atol=0.03)


def test_leverage_of_series_built_with_leverage_is_negative() -> None:
    rng = np.random.default_rng(0)
    shocks = rng.standard_normal((10, 4000))
    returns = np.empty_like(shocks)
    variance = np.ones(10)
    for t in range(4000):
        returns[:, t] = np.sqrt(variance) * shocks[:, t]
        # volatility rises after negative returns only (a pure leverage effect)
        variance = 0.2 + 0.6 * variance + 0.5 * (returns[:, t] < 0) * returns[:, t] ** 2
    leverage = metrics.leverage_correlation(returns, 5)
    assert leverage[0] < -0.1
    iid = metrics.leverage_correlation(rng.standard_normal((10, 4000)), 5)
    assert np.abs(iid).max() < 0.03


def test_stylized_facts_of_identical_samples_are_zero() -> None:
    returns = 0.01 * np.random.default_rng(0).standard_t(5, size=(3, 600))
    facts = metrics.stylized_facts(returns, returns, horizons=(1, 5), max_lag=20)
    assert facts.emd == {1: 0.0, 5: 0.0}
    assert facts.acf_r == facts.acf_abs == facts.acf_squared == facts.leverage == 0.0
    shifted = metrics.stylized_facts(returns, returns + 0.002, horizons=(1, 5), max_lag=20)
    # shifting every return by c shifts k-day sums by k c, and moves the EMD by exactly that
    assert shifted.emd[1] == pytest.approx(0.002)
    assert shifted.emd[5] == pytest.approx(0.010)


def test_cross_correlation_error() -> None:
    rng = np.random.default_rng(0)
    base = rng.standard_normal((20000, 1))
    correlated = np.hstack([base, base + rng.standard_normal((20000, 1))])  # corr = 1/sqrt(2)
    independent = rng.standard_normal((20000, 2))
    assert metrics.cross_correlation_error(correlated, correlated) == pytest.approx(0.0, abs=1e-12)
    # two off-diagonal entries differ by 1/sqrt(2): Frobenius norm = sqrt(2 * 1/2) = 1
    assert metrics.cross_correlation_error(correlated, independent) == pytest.approx(1.0, abs=0.03)


def test_repeated_summary() -> None:
    summary = metrics.repeated([0.1, 0.3])
    assert summary.mean == pytest.approx(0.2) and summary.std == pytest.approx(0.1)


def test_baseline_paths_shapes_and_bootstrap_blocks() -> None:
    returns = np.arange(100, dtype=float)
    iid = baselines.iid_bootstrap_paths(returns, 4, 50, seed=0)
    assert iid.shape == (4, 50) and np.isin(iid, returns).all()
    blocks = baselines.block_bootstrap_paths(returns, 4, 50, block_length=10, seed=0)
    # within a block, consecutive values differ by exactly 1
    assert (np.diff(blocks.reshape(4, 5, 10), axis=2) == 1).all()
    fit = baselines.GarchFit(mu=0.0, omega=0.1, alpha=0.1, gamma=0.0, beta=0.8, nu=None)
    paths = baselines.garch_paths(fit, 200, 2000, seed=0)
    # unconditional variance omega / (1 - alpha - beta) = 1 (percent^2) -> std 0.01 in log-return units
    assert paths.std() == pytest.approx(0.01, rel=0.05)
    assert metrics.autocorrelation(paths**2, 1)[0] > 0.1  # volatility clustering


def test_fit_gjr_garch_recovers_leverage() -> None:
    pytest.importorskip("arch")
    fit = baselines.GarchFit(mu=0.0, omega=0.05, alpha=0.02, gamma=0.15, beta=0.85, nu=6.0)
    simulated = baselines.garch_paths(fit, 1, 4000, seed=2)[0]
    estimated = baselines.fit_garch(simulated, asymmetric=True, student_t=True)
    assert estimated.gamma > 0.05 and estimated.beta == pytest.approx(0.85, abs=0.08)
