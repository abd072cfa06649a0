"""Tests of polemos.series.summary and of real_summary.json written by SeriesGAN.save."""

from __future__ import annotations

import json

import numpy as np

from polemos.series.model import SeriesGAN
from polemos.series.summary import MAX_PATH_NUMBERS, SeriesSummary, mean_autocorrelation, summarize_windows

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def test_mean_autocorrelation_closed_form() -> None:
    alternating = np.array([[1.0, -1.0] * 5])  # mean 0, sum x^2 = 10, lag-k products sum to (-1)^k (10 - k)
    np.testing.assert_allclose(mean_autocorrelation(alternating, 3), [1.0, -0.9, 0.8, -0.7])
    short = np.array([[1.0, -1.0, 1.0, -1.0, np.nan, np.nan]])  # a 4-step sequence padded with NaN
    np.testing.assert_allclose(mean_autocorrelation(short, 1), [1.0, -0.75])
    both = np.concatenate([np.pad(short, ((0, 0), (0, 4)), constant_values=np.nan), alternating])
    np.testing.assert_allclose(mean_autocorrelation(both, 1), [1.0, (-0.75 - 0.9) / 2])
    assert np.isnan(mean_autocorrelation(np.ones((2, 5)), 2)).all()  # no variation: undefined


def test_summary_caps_the_stored_numbers() -> None:
    windows = np.random.default_rng(0).normal(size=(3000, 24, 3))
    summary = summarize_windows(windows, ["a", "b", "c"])
    assert summary.paths.size <= MAX_PATH_NUMBERS and summary.paths.shape == (8, 24, 3)
    np.testing.assert_array_equal(summary.paths[0], windows[0])
    np.testing.assert_array_equal(summary.paths[-1], windows[-1])
    wide = summarize_windows(np.zeros((5, 400, 20)) + np.arange(400)[None, :, None], [str(i) for i in range(20)])
    assert wide.paths.size <= MAX_PATH_NUMBERS and wide.paths.shape[0] == 1
    assert [sum(counts) for counts in summary.counts] == [3000 * 24] * 3
    assert summary.max_lag == 20 and summary.acf["squared"].shape == (3, 21)


def test_fit_save_writes_the_summary_and_load_tolerates_its_absence(tmp_path) -> None:
    rng = np.random.default_rng(0)
    series = np.cumsum(rng.normal(size=(120, 2)), axis=0)
    gan = SeriesGAN(seed=0, **TINY).fit(series, window=10, steps=2)
    directory = gan.save(tmp_path / "model")
    state = json.loads((directory / "real_summary.json").read_text())
    assert state["columns"] == ["x0", "x1"] and state["windows"] == 111 and state["max_lag"] == 8
    summary = SeriesSummary.from_state(state)
    # windows 0 and 110 (evenly spaced picks include both ends) are the raw series, up to min-max rounding
    np.testing.assert_allclose(summary.paths[0], series[:10], atol=1e-9)
    np.testing.assert_allclose(summary.paths[-1], series[110:120], atol=1e-9)
    np.testing.assert_allclose(summary.acf["x"], SeriesGAN.load(directory).real_summary.acf["x"])
    (directory / "real_summary.json").unlink()
    loaded = SeriesGAN.load(directory)
    assert loaded.real_summary is None
    np.testing.assert_allclose(loaded.sample(4, seed=1), gan.sample(4, seed=1), rtol=1e-6, atol=1e-7)


def test_variable_length_windows_keep_their_padding() -> None:
    windows = np.random.default_rng(1).normal(size=(20, 12, 1))
    windows[::2, 8:] = np.nan  # every other sequence ends after 8 steps
    gan = SeriesGAN(seed=0, **TINY).fit(windows, steps=2)
    assert np.isnan(gan.real_summary.paths[0, 8:]).all() and np.isfinite(gan.real_summary.paths[0, :8]).all()
    assert sum(gan.real_summary.counts[0]) == int(np.isfinite(windows).sum())
