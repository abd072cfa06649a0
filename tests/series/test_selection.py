"""Tests of SeriesGAN's model selection on stylized facts (select_every) and its calibrations (calibrate_scale,
calibrate_covariance)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series.model import (
    SeriesGAN,
    SeriesGANConfig,
    _covariance_calibration,
    _FactsSelector,
    _scale_calibration,
)
from polemos.series.networks import RecurrentGenerator

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}
SELECT = {"select_paths": 8, "select_length": 80}


def test_defaults_keep_the_last_generator_and_no_calibration() -> None:
    config = SeriesGANConfig()
    assert config.select_every == 0 and config.calibrate_scale is False and config.calibrate_covariance is False


def test_selection_checks_every_k_steps_and_keeps_the_best_scoring_state(prices) -> None:
    gan = SeriesGAN(seed=0, select_every=5, **TINY, **SELECT).fit(prices(), window=16, returns=True, steps=20)
    summary = gan.summary
    assert summary is not None
    assert [step for step, _ in summary.selection] == [5, 10, 15, 20]
    scores = [score for _, score in summary.selection]
    assert summary.selected_step == summary.selection[int(np.argmin(scores))][0]
    # the kept generator is the selected one: re-scoring it reproduces the best score
    selector = _FactsSelector(np.diff(np.log(prices()["close"].to_numpy()))[:, None], gan.config)
    rescored = selector.check(0, gan.generator, gan._to_data_space)
    assert rescored == pytest.approx(min(scores), abs=1e-4)


def test_selection_restores_an_earlier_state_when_it_scored_better() -> None:
    series = np.random.default_rng(0).standard_normal((500, 1)) * 0.01
    config = SeriesGANConfig(**TINY, **SELECT)
    selector = _FactsSelector(series, config)
    generator = RecurrentGenerator(1, hidden=8, layers=1, noise_dim=2, output="volatility")
    first = selector.check(1, generator, lambda values: values * 0.01)
    kept = {name: value.clone() for name, value in generator.state_dict().items()}
    with torch.no_grad():  # a broken generator (NaN paths) scores inf and must not replace the kept state
        generator.head.bias.fill_(float("nan"))
    second = selector.check(2, generator, lambda values: values * 0.01)
    assert np.isfinite(first) and second == float("inf") and selector.best_step == 1
    assert selector.history == [(1, round(first, 5)), (2, float("inf"))]
    selector.restore_best(generator)
    for name, value in generator.state_dict().items():
        torch.testing.assert_close(value, kept[name])


def test_calibration_gives_generated_paths_the_real_mean_and_std() -> None:
    torch.manual_seed(0)
    generator = RecurrentGenerator(1, hidden=8, layers=1, noise_dim=2, output="volatility").eval()
    config = SeriesGANConfig(select_paths=200, select_length=100)
    real = np.random.default_rng(1).standard_normal((1000, 1)) * 2.0 + 0.5
    calibration = _scale_calibration(generator, config, real)
    with torch.random.fork_rng():
        torch.manual_seed(1)  # the calibration's own draw: the map is exact on it
        paths = generator(200, 100).detach().double().numpy().reshape(-1, 1)
    mapped = paths * np.asarray(calibration["scale"]) + np.asarray(calibration["shift"])
    np.testing.assert_allclose(mapped.mean(axis=0), real.mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(mapped.std(axis=0), real.std(axis=0), rtol=1e-9)


def test_calibrated_model_samples_with_the_map_and_keeps_it_after_save_and_load(tmp_path, prices) -> None:
    gan = SeriesGAN(seed=0, calibrate_scale=True, **TINY, **SELECT).fit(prices(), window=16, returns=True, steps=10)
    calibration = gan.meta["calibration"]
    assert len(calibration["scale"]) == 1 and calibration["scale"][0] > 0
    uncalibrated = SeriesGAN(seed=0, **TINY).fit(prices(), window=16, returns=True, steps=10)
    # same seed, same training: only the map differs
    a = gan.sample(4, length=50, seed=3)
    b = uncalibrated.sample(4, length=50, seed=3)
    assert not np.allclose(a, b)
    loaded = SeriesGAN.load(gan.save(tmp_path / "model"))
    np.testing.assert_allclose(loaded.sample(4, length=50, seed=3), a, rtol=1e-5, atol=1e-9)  # float32 weights
    assert loaded.summary is not None and loaded.summary.selected_step is None


def test_selection_summary_survives_save_and_load(tmp_path, prices) -> None:
    gan = SeriesGAN(seed=0, select_every=5, **TINY, **SELECT).fit(prices(), window=16, returns=True, steps=10)
    loaded = SeriesGAN.load(gan.save(tmp_path / "model"))
    assert loaded.summary == gan.summary


@pytest.mark.parametrize("option", [{"select_every": 5}, {"calibrate_scale": True}, {"calibrate_covariance": True}])
def test_selection_and_calibration_need_one_returns_series(option, prices) -> None:
    windows = np.random.default_rng(0).random((40, 16, 1))
    with pytest.raises(PolemosError, match="returns=True on one series"):
        SeriesGAN(seed=0, **TINY, **option).fit(windows, steps=2)
    with pytest.raises(PolemosError, match="returns=True on one series"):
        SeriesGAN(seed=0, **TINY, **option).fit(prices(), window=16, steps=2)  # levels, not returns


def test_selection_rejects_empty_draws(prices) -> None:
    with pytest.raises(PolemosError, match="select_paths"):
        SeriesGAN(seed=0, select_every=5, select_paths=0, **TINY).fit(prices(), window=16, returns=True, steps=2)


def test_selection_checks_leave_the_training_trajectory_unchanged(prices) -> None:
    selected = SeriesGAN(seed=0, select_every=5, **TINY, **SELECT).fit(prices(), window=16, returns=True, steps=10)
    plain = SeriesGAN(seed=0, **TINY, **SELECT).fit(prices(), window=16, returns=True, steps=10)
    assert selected.summary is not None and selected.summary.selection[-1][0] == 10
    # the plain run's final state scores exactly what the selecting run's last check (step 10) scored
    selector = _FactsSelector(np.diff(np.log(prices()["close"].to_numpy()))[:, None], selected.config)
    assert selector.check(10, plain.generator, plain._to_data_space) == pytest.approx(
        selected.summary.selection[-1][1], abs=1e-5
    )


def test_negative_select_every_is_refused_at_construction() -> None:
    with pytest.raises(PolemosError, match="select_every must be a number of steps >= 0"):
        SeriesGAN(select_every=-5)


def test_covariance_map_gives_the_real_mean_and_covariance_and_is_symmetric() -> None:
    rng = np.random.default_rng(0)
    # generated: independent, unequal scales; real: correlated (0.6 / -0.3 / 0.2), other scales and means
    generated = rng.standard_normal((5000, 3)) * np.array([1.0, 3.0, 0.5])
    real_covariance = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]]) * np.outer([2, 1, 4], [2, 1, 4])
    real = rng.multivariate_normal([0.1, -0.2, 0.3], real_covariance, size=4000)
    real[7, 1] = np.nan  # a NaN row is dropped, not propagated
    calibration = _covariance_calibration(generated, real)
    matrix = np.asarray(calibration["matrix"])
    np.testing.assert_allclose(matrix, matrix.T)
    mapped = generated @ matrix + np.asarray(calibration["shift"])
    finite = real[np.isfinite(real).all(axis=1)]
    np.testing.assert_allclose(mapped.mean(axis=0), finite.mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(np.cov(mapped, rowvar=False), np.cov(finite, rowvar=False), rtol=1e-8, atol=1e-10)


def test_covariance_map_is_the_identity_when_the_covariances_already_agree() -> None:
    data = np.random.default_rng(1).standard_normal((2000, 2)) @ np.array([[1.0, 0.5], [0.0, 1.0]])
    calibration = _covariance_calibration(data, data)
    np.testing.assert_allclose(np.asarray(calibration["matrix"]), np.eye(2), atol=1e-8)


def test_covariance_map_with_one_feature_is_the_ratio_of_standard_deviations() -> None:
    rng = np.random.default_rng(2)
    generated, real = rng.standard_normal((3000, 1)), rng.standard_normal((3000, 1)) * 0.02
    matrix = np.asarray(_covariance_calibration(generated, real)["matrix"])
    assert matrix.shape == (1, 1) and matrix[0, 0] == pytest.approx(real.std(ddof=1) / generated.std(ddof=1))


def test_covariance_calibrated_panel_samples_the_real_correlation_and_keeps_it_after_save_and_load(tmp_path) -> None:
    rng = np.random.default_rng(3)
    returns = rng.multivariate_normal([0.0, 0.0], [[1.0, -0.8], [-0.8, 1.0]], size=600) * 0.01
    gan = SeriesGAN(seed=0, calibrate_covariance=True, **TINY, **SELECT).fit(
        returns, window=16, returns=True, returns_input="log-returns", steps=4
    )
    paths = gan.sample(40, length=80, seed=5)
    pooled = paths.reshape(-1, 2)
    # 4 steps cannot learn a correlation of -0.8: the map imposes it (up to the sampling noise of 3,200 steps)
    assert np.corrcoef(pooled, rowvar=False)[0, 1] == pytest.approx(np.corrcoef(returns, rowvar=False)[0, 1], abs=0.06)
    assert pooled.std(axis=0) == pytest.approx(returns.std(axis=0), rel=0.15)
    loaded = SeriesGAN.load(gan.save(tmp_path / "model"))
    np.testing.assert_allclose(loaded.sample(40, length=80, seed=5), paths, rtol=1e-5, atol=1e-9)
    # calibration draws its own fixed paths: the caller's random state moves as without it
    torch.manual_seed(11)
    SeriesGAN(seed=0, calibrate_covariance=True, **TINY, **SELECT).fit(
        returns, window=16, returns=True, returns_input="log-returns", steps=2
    )
    after_calibrated = torch.rand(1)
    torch.manual_seed(11)
    SeriesGAN(seed=0, **TINY, **SELECT).fit(returns, window=16, returns=True, returns_input="log-returns", steps=2)
    assert torch.equal(after_calibrated, torch.rand(1))


def test_facts_max_lag_sets_the_lags_of_the_selection_and_of_the_facts_penalty(prices) -> None:
    # default: a quarter of the path length, at most 250 (daily returns, BENCHMARKS.md §6)
    assert SeriesGANConfig().facts_lags(4000) == 250 and SeriesGANConfig().facts_lags(400) == 100
    config = SeriesGAN(facts_max_lag=6, **TINY, **SELECT).config
    assert config.facts_lags(80) == 6 and config.facts_lags(16) == 4
    returns = np.diff(np.log(prices()["close"].to_numpy()))[:, None]
    assert _FactsSelector(returns, config).distance.max_lag == 6
    assert _FactsSelector(returns, SeriesGAN(**TINY, **SELECT).config).distance.max_lag == 20
    # the trained model's selection scores are those of the 6-lag curves
    gan = SeriesGAN(seed=0, select_every=5, facts_max_lag=6, **TINY, **SELECT).fit(
        prices(), window=16, returns=True, steps=5
    )
    assert gan.summary is not None
    rescored = _FactsSelector(returns, gan.config).check(0, gan.generator, gan._to_data_space)
    assert rescored == pytest.approx(gan.summary.selection[-1][1], abs=1e-4)


@pytest.mark.parametrize("value", [0, -3, 2.5, True])
def test_facts_max_lag_must_be_a_positive_whole_number(value) -> None:
    with pytest.raises(PolemosError, match="facts_max_lag must be a whole number of steps >= 1"):
        SeriesGAN(facts_max_lag=value)


def test_select_correlation_adds_the_weighted_rank_correlation_error_to_the_selection_score() -> None:
    rng = np.random.default_rng(4)
    series = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.7], [0.7, 1.0]], size=400) * 0.01
    generator = RecurrentGenerator(2, hidden=8, layers=1, noise_dim=2, output="volatility")
    seen = []

    def to_data_space(values: np.ndarray) -> np.ndarray:
        seen.append(values)
        return values * 0.01

    plain = _FactsSelector(series, SeriesGANConfig(**TINY, **SELECT)).check(1, generator, to_data_space)
    weighted = _FactsSelector(series, SeriesGANConfig(select_correlation=2.5, **TINY, **SELECT))
    score = weighted.check(1, generator, to_data_space)
    np.testing.assert_array_equal(seen[0], seen[1])  # both checks scored the same fixed-noise paths

    def spearman(values: np.ndarray) -> np.ndarray:  # by hand: Pearson correlation of each column's ranks
        flat = values.reshape(-1, 2)
        ranks = flat.argsort(axis=0).argsort(axis=0)
        return np.corrcoef(ranks, rowvar=False)

    error = np.linalg.norm(spearman(series) - spearman(seen[0] * 0.01))
    assert error > 0.1  # an untrained generator does not have the real correlation of 0.7
    assert score == pytest.approx(plain + 2.5 * error, abs=2e-5)
    assert weighted.history == [(1, round(score, 5))]


def test_select_correlation_enters_the_scores_of_a_trained_panel() -> None:
    rng = np.random.default_rng(5)
    returns = rng.multivariate_normal([0.0, 0.0], [[1.0, -0.6], [-0.6, 1.0]], size=300) * 0.01
    options = {"select_every": 3, **TINY, **SELECT}
    fit = {"window": 16, "returns": True, "returns_input": "log-returns", "steps": 3}
    weighted = SeriesGAN(seed=0, select_correlation=1.0, **options).fit(returns, **fit)
    plain = SeriesGAN(seed=0, **options).fit(returns, **fit)
    assert weighted.summary is not None and plain.summary is not None
    # same seed, same training: the scores differ by the rank-correlation error of the same paths
    difference = weighted.summary.selection[-1][1] - plain.summary.selection[-1][1]
    rescored = _FactsSelector(returns, weighted.config).check(0, weighted.generator, weighted._to_data_space)
    assert difference > 0.05 and rescored == pytest.approx(weighted.summary.selection[-1][1], abs=1e-4)


@pytest.mark.parametrize("value", [-0.5, float("nan"), "1", True])
def test_select_correlation_must_be_a_weight_of_zero_or_more(value) -> None:
    with pytest.raises(PolemosError, match="select_correlation must be a weight >= 0"):
        SeriesGAN(select_correlation=value)


@pytest.mark.parametrize(
    ("options", "columns"), [({"select_every": 3}, 1), ({"select_every": 0}, 2)], ids=["one series", "no selection"]
)
def test_select_correlation_needs_selection_and_two_series(options, columns) -> None:
    returns = np.random.default_rng(6).standard_normal((200, columns)) * 0.01
    gan = SeriesGAN(select_correlation=1.0, **options, **TINY, **SELECT)
    with pytest.raises(PolemosError, match="select_correlation weighs the cross-correlation") as error:
        gan.fit(returns, window=16, returns=True, returns_input="log-returns", steps=2)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("select_every", [5, 10_000], ids=["checks during training", "no check before the end"])
def test_time_budget_covers_the_whole_fit_with_its_last_check_and_calibration(
    prices, monkeypatch, select_every
) -> None:
    import types

    import polemos.series.model as model

    # a fake clock: 10 ms per reading, 1 s per selection check or calibration draw (deterministic, machine-free)
    clock = {"now": 0.0}

    def perf_counter() -> float:
        clock["now"] += 0.01
        return clock["now"]

    def slow(function):
        def wrapper(*args, **kwargs):
            clock["now"] += 1.0
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(model, "time", types.SimpleNamespace(perf_counter=perf_counter))
    monkeypatch.setattr(_FactsSelector, "check", slow(_FactsSelector.check))
    monkeypatch.setattr(model, "_scale_calibration", slow(_scale_calibration))
    # with no check before the budget ran out, the last one and the calibration overran it by their cost
    options = {"select_every": select_every, "calibrate_scale": True, **TINY, **SELECT}
    gan = SeriesGAN(seed=0, **options).fit(prices(), window=16, returns=True, steps=10_000, time_budget=6.0)
    summary = gan.summary
    assert summary is not None and summary.fit_seconds is not None
    # used, not overrun: the last check and the calibration were reserved (the clock's readings after the last
    # decision add a few of its 10 ms ticks: the fit overran by 2 s, a check and a calibration, before)
    assert 5.0 < summary.fit_seconds <= 6.05
    assert summary.selection[-1][0] == summary.steps and 5 < summary.steps < 10_000
    assert all(step > 0 for step, _ in summary.selection)  # the probe of a check's cost is not a candidate
    # a budget smaller than the data preparation still trains one step (a model, not an error)
    clock["now"] = 0.0
    gan = SeriesGAN(seed=0, **options).fit(prices(), window=16, returns=True, steps=10_000, time_budget=0.01)
    assert gan.summary is not None and gan.summary.steps == 1
