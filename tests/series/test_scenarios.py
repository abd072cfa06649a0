"""Tests of the scenario scoring rules, the conditional GARCH baseline and the ``scenarios`` benchmark."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from polemos.errors import PolemosError
from polemos.series import baselines, bench, metrics

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def test_crps_ensemble_hand_computed() -> None:
    # members {1, 3}, y = 2: E|X - y| = 1; E|X - X'| = (0 + 2 + 2 + 0) / 4 = 1 -> 1 - 1/2
    assert metrics.crps_ensemble(np.array([1.0, 3.0]), 2.0) == pytest.approx(0.5)
    # fair: E|X - X'| over distinct pairs = 4 / 2 = 2 -> 1 - 1 = 0
    assert metrics.crps_ensemble(np.array([3.0, 1.0]), 2.0, fair=True) == pytest.approx(0.0)
    # members {0, 0, 4}, y = 1: E|X - y| = (1 + 1 + 3) / 3; pair sum = 4 * 4 = 16 -> 5/3 - 16 / 18
    assert metrics.crps_ensemble(np.array([0.0, 4.0, 0.0]), 1.0) == pytest.approx(5 / 3 - 16 / 18)
    # one member: the absolute error; leading axes are kept
    scores = metrics.crps_ensemble(np.array([[[2.0]], [[-1.0]]]), np.array([[0.5], [1.0]]))
    np.testing.assert_allclose(scores, [[1.5], [2.0]])


def test_crps_of_a_large_normal_ensemble_matches_the_closed_form() -> None:
    # CRPS(N(0, 1), y) = y (2 Phi(y) - 1) + 2 phi(y) - 1 / sqrt(pi) (Gneiting & Raftery 2007)
    members = stats.norm.ppf((np.arange(4000) + 0.5) / 4000)
    for value in (0.0, 1.5):
        closed = value * (2 * stats.norm.cdf(value) - 1) + 2 * stats.norm.pdf(value) - 1 / np.sqrt(np.pi)
        assert metrics.crps_ensemble(members, value) == pytest.approx(closed, abs=2e-3)


def test_energy_score_hand_computed_and_equal_to_crps_in_one_dimension() -> None:
    ensemble = np.array([[0.0, 0.0], [3.0, 4.0]])
    # E||X - y|| = (0 + 5) / 2; pair sum = 2 * 5 = 10 -> 2.5 - 10 / (2 * 4) = 1.25; fair: 2.5 - 10 / 4 = 0
    assert metrics.energy_score(ensemble, np.zeros(2)) == pytest.approx(1.25)
    assert metrics.energy_score(ensemble, np.zeros(2), fair=True) == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    members, values = rng.standard_normal((6, 30)), rng.standard_normal(6)
    np.testing.assert_allclose(
        metrics.energy_score(members[:, :, None], values[:, None]), metrics.crps_ensemble(members, values)
    )


def test_energy_score_prefers_the_true_dependence() -> None:
    # observations from a perfectly correlated pair: scenarios with the same margins but independent
    # components score worse than correlated ones (the score sees the joint law, not only the margins)
    rng = np.random.default_rng(1)
    common = rng.standard_normal((200, 1))
    observations = np.hstack([common, common])
    shared = rng.standard_normal((200, 100, 1))
    correlated = np.concatenate([shared, shared], axis=2)
    independent = rng.standard_normal((200, 100, 2))
    assert (
        metrics.energy_score(correlated, observations).mean() < metrics.energy_score(independent, observations).mean()
    )


def test_interval_coverage_hand_computed() -> None:
    members = np.arange(101.0)  # the 5 % and 95 % quantiles are 5 and 95
    ensemble = np.broadcast_to(members, (5, 101))
    observations = np.array([4.0, 5.0, 50.0, 95.0, 96.0])  # 5, 50 and 95 are inside the closed interval
    assert metrics.interval_coverage(ensemble, observations, 0.9) == pytest.approx(0.6)
    assert metrics.interval_coverage(ensemble, observations, 0.5) == pytest.approx(0.2)  # [25, 75]


def test_scoring_rules_reject_mismatched_shapes() -> None:
    with pytest.raises(PolemosError, match="member axis"):
        metrics.crps_ensemble(np.zeros((3, 4)), np.zeros(4))
    with pytest.raises(PolemosError, match=r"\(\.\.\., K, D\)"):
        metrics.energy_score(np.zeros((3, 4, 2)), np.zeros((3, 3)))
    with pytest.raises(PolemosError, match="level"):
        metrics.interval_coverage(np.zeros((2, 3)), np.zeros(2), 1.5)
    with pytest.raises(PolemosError, match="at least 2"):
        metrics.crps_ensemble(np.zeros((2, 1)), np.zeros(2), fair=True)


def test_garch_filter_matches_the_recursion_by_hand() -> None:
    fit = baselines.GarchFit(mu=0.1, omega=0.2, alpha=0.1, gamma=0.3, beta=0.5, nu=None)
    returns = np.array([0.011, -0.019, 0.001])  # percent: 1.1, -1.9, 0.1 -> eps = 1.0, -2.0, 0.0
    variance, innovation = baselines.garch_filter(fit, returns)
    np.testing.assert_allclose(innovation, [1.0, -2.0, 0.0], atol=1e-12)
    first = (1.0 + 4.0 + 0.0) / 3  # the backcast: mean of eps^2
    second = 0.2 + 0.1 * 1.0 + 0.5 * first  # eps = 1 > 0: no asymmetric term
    third = 0.2 + (0.1 + 0.3) * 4.0 + 0.5 * second  # eps = -2 < 0: alpha + gamma
    np.testing.assert_allclose(variance, [first, second, third])


def test_garch_forecast_paths_start_from_the_filtered_state() -> None:
    fit = baselines.GarchFit(mu=0.0, omega=0.5, alpha=0.5, gamma=0.0, beta=0.0, nu=None)
    returns = np.array([0.0, 0.0, 0.04, 0.0])  # a 4 % move at index 2
    paths = baselines.garch_forecast_paths(fit, returns, np.array([2, 3]), n_scenarios=20000, horizon=2, seed=0)
    assert paths.shape == (2, 20000, 2)
    # origin 3 follows the 4 % move: sigma^2 = 0.5 + 0.5 * 16 = 8.5 (percent^2); origin 2 follows 0: 0.5
    assert paths[1, :, 0].std() == pytest.approx(np.sqrt(8.5) / 100, rel=0.03)
    assert paths[0, :, 0].std() == pytest.approx(np.sqrt(0.5) / 100, rel=0.03)
    with pytest.raises(PolemosError, match="origins"):
        baselines.garch_forecast_paths(fit, returns, np.array([0]), 2, 2)


def test_garch_forecast_paths_with_given_shocks() -> None:
    fit = baselines.GarchFit(mu=0.1, omega=0.5, alpha=0.5, gamma=0.2, beta=0.1, nu=None)
    returns = np.array([0.0, 0.0, 0.04, 0.0])
    shocks = np.zeros((2, 3, 2))
    shocks[1, 2] = [-1.0, 2.0]  # origin 3, scenario 2
    paths = baselines.garch_forecast_paths(fit, returns, np.array([2, 3]), 3, 2, shocks=shocks) * 100
    variance, innovation = baselines.garch_filter(fit, returns)
    # by hand from origin 3: sigma2 = omega + (alpha + gamma 1[eps < 0]) eps^2 + beta sigma2_prev, r = mu + sigma z
    first = 0.5 + (0.5 + 0.2 * (innovation[2] < 0)) * innovation[2] ** 2 + 0.1 * variance[2]
    eps = -np.sqrt(first)
    second = 0.5 + (0.5 + 0.2) * eps**2 + 0.1 * first
    np.testing.assert_allclose(paths[1, 2], [0.1 + eps, 0.1 + 2.0 * np.sqrt(second)])
    np.testing.assert_allclose(paths[0], 0.1)  # zero shocks: the mean, whatever the variance
    with pytest.raises(PolemosError, match="shocks must be finite, of shape"):
        baselines.garch_forecast_paths(fit, returns, np.array([2, 3]), 3, 2, shocks=np.zeros((3, 2, 2)))


def test_scenarios_record_has_every_method_and_the_origins_by_hand() -> None:
    pytest.importorskip("arch")
    record = bench.run_scenarios(seeds=1, scenarios=8, origin_stride=100, time_budget=0.2, threads=1, **TINY)
    protocol, results = record["protocol"], record["results"]
    # 5,031 prices -> 5,030 returns; split at int(0.8 * 5030) = 4024; origins 4024, 4124, ..., 4924 (<= 5020)
    assert (protocol["returns"], protocol["train_returns"], protocol["origins"]) == (5030, 4024, 10)
    assert protocol["reduced"] is True
    assert set(results["methods"]) == {
        "SeriesGAN", "SeriesGAN, random contexts", "historical bootstrap", "GJR-GARCH(1,1)-t",
    }  # fmt: skip
    for row in results["methods"].values():
        assert 0.0 <= row["coverage_90_per_step"]["mean"] <= 1.0
        assert row["energy_score"]["mean"] > 0 and "crps_step_10" in row
    assert set(results["energy_difference_vs_seriesgan"]) == set(results["methods"]) - {"SeriesGAN"}


def test_scenarios_record_the_held_out_selection_of_each_seed() -> None:
    pytest.importorskip("arch")
    options = {"context_holdout": 0.15, "select_every": 2, "select_paths": 4}
    record = bench.run_scenarios(seeds=1, scenarios=4, origin_stride=500, time_budget=0.5, threads=1, **TINY, **options)
    assert record["protocol"]["model"]["context_holdout"] == 0.15
    training = record["results"]["training"][0]
    # every 2 steps and when the budget ends: at least one check, the kept state scoring no worse than the last
    assert training["selection_checks"] >= 1 and 1 <= training["selected_step"] <= training["steps"]
    assert training["selection_score_kept"] <= training["selection_score_last"]
    plain = bench.run_scenarios(
        seeds=1, scenarios=4, origin_stride=500, time_budget=0.2, threads=1, context_holdout=0.0, select_every=0, **TINY
    )
    assert "selected_step" not in plain["results"]["training"][0]


def test_scenarios_train_a_step_count_instead_of_the_time_budget() -> None:
    pytest.importorskip("arch")
    small = {"seeds": 1, "scenarios": 4, "origin_stride": 500, "threads": 1, **TINY}
    record = bench.run_scenarios(train_steps=3, **small)
    assert record["results"]["training"][0]["steps"] == 3  # however long 3 steps take: no time limit
    assert (record["protocol"]["training_steps"], record["protocol"]["training_budget_seconds"]) == (3, None)
    # with a time budget too, the first limit reached stops training: 0.05 s ends long before 10,000 steps
    both = bench.run_scenarios(train_steps=10_000, time_budget=0.05, **small)
    assert 1 <= both["results"]["training"][0]["steps"] < 10_000
    assert both["protocol"]["training_budget_seconds"] == 0.05 and both["protocol"]["reduced"] is True
    budgeted = bench.run_scenarios(time_budget=0.1, **small)  # the protocol before 2026-12-03: seconds only
    assert budgeted["protocol"]["training_steps"] is None
    with pytest.raises(PolemosError, match="train_steps must be a positive whole number"):
        bench.run_scenarios(train_steps=0, **small)


def test_scenarios_default_trains_a_step_count_with_held_out_selection(monkeypatch) -> None:
    pytest.importorskip("arch")
    monkeypatch.setattr(bench, "_SCENARIO_TRAIN_STEPS", 4)  # the default count (20,000), made small
    record = bench.run_scenarios(seeds=1, scenarios=4, origin_stride=500, threads=1, select_every=2, **TINY)
    protocol, training = record["protocol"], record["results"]["training"][0]
    assert (protocol["training_steps"], protocol["training_budget_seconds"], training["steps"]) == (4, None, 4)
    # the default model holds out the end of the training returns and keeps its best state there
    assert protocol["model"]["context_holdout"] == 0.15 and protocol["model"]["critic_tails"] is True
    assert training["selection_checks"] == 2 and training["selected_step"] in (2, 4)


def test_scenarios_quick_script_on_stocks(shared_data, capsys) -> None:
    record = bench.run_scenarios(
        seeds=1,
        quick=True,
        dataset="stocks",
        data_path=shared_data / "stocks" / "stock_data.csv",
        budget=0.5,  # the `polemos bench scenarios --budget` spelling
        threads=1,
        **TINY,
    )
    protocol = record["protocol"]
    assert protocol["training_budget_seconds"] == 0.5
    assert protocol["scenarios_per_origin"] == 50 and protocol["origin_stride"] == 40  # quick: K 50, 4 H
    assert protocol["returns"] == 3684 and "GOOG" in protocol["data"]
    with pytest.raises(PolemosError, match="unknown scenarios dataset"):
        bench.run_scenarios(dataset="ftse", threads=1)
