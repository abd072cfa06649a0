"""Tests of SeriesGAN's model selection on stylized facts (select_every) and scale calibration (calibrate_scale)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series.model import SeriesGAN, SeriesGANConfig, _FactsSelector, _scale_calibration
from polemos.series.networks import RecurrentGenerator

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}
SELECT = {"select_paths": 8, "select_length": 80}


def test_defaults_keep_the_last_generator_and_no_calibration() -> None:
    config = SeriesGANConfig()
    assert config.select_every == 0 and config.calibrate_scale is False


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


@pytest.mark.parametrize("option", [{"select_every": 5}, {"calibrate_scale": True}])
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
