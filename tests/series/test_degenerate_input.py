"""Degenerate input to the series modality: one-step windows, very few windows, constant and empty columns."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from polemos.errors import PolemosError
from polemos.series import metrics
from polemos.series.cli import app
from polemos.series.data import MinMaxScaler, make_windows
from polemos.series.model import SeriesGAN

runner = CliRunner()
TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def _prices(length: int, columns: int = 2, seed: int = 0) -> pd.DataFrame:
    steps = 0.01 * np.random.default_rng(seed).standard_normal((length, columns))
    return pd.DataFrame(100.0 * np.exp(np.cumsum(steps, axis=0)), columns=["a", "b", "c"][:columns])


def _fit_args(csv, out, *flags: str) -> list[str]:
    return ["fit", str(csv), "--out", str(out), "--steps", "2", "--quiet", "-o", "hidden=8", *flags]


def test_a_window_of_one_step_is_refused_with_the_fix(tmp_path) -> None:
    with pytest.raises(PolemosError, match=r"window must be at least 2 steps, got 1.*polemos tabular fit"):
        SeriesGAN(**TINY).fit(_prices(50), window=1, steps=1)
    with pytest.raises(PolemosError, match="the windows have 1 step"):  # a set of one-step windows
        SeriesGAN(**TINY).fit(np.random.default_rng(0).random((20, 1, 2)), steps=1)
    csv = tmp_path / "prices.csv"
    _prices(50).to_csv(csv, index=False)
    result = runner.invoke(app, _fit_args(csv, tmp_path / "model", "--window", "1"))
    assert result.exit_code != 0 and isinstance(result.exception, PolemosError)
    assert "use --window 2 or more" in str(result.exception) and "\n" not in str(result.exception)


def test_a_window_or_stride_that_is_not_a_whole_number_is_refused() -> None:
    # both failed inside numpy's striding with a TypeError
    with pytest.raises(PolemosError, match=r"window must be a whole number of steps >= 1, got 2.5"):
        SeriesGAN(**TINY).fit(_prices(50), window=2.5, steps=1)
    with pytest.raises(PolemosError, match=r"stride must be a whole number of steps >= 1, got True"):
        SeriesGAN(**TINY).fit(_prices(50), window=4, stride=True, steps=1)
    with pytest.raises(PolemosError, match="stride must be a whole number"):
        make_windows(np.zeros((10, 1)), 4, stride=1.5)


def test_a_series_shorter_than_the_window_names_both_numbers_and_the_fix() -> None:
    with pytest.raises(PolemosError, match=r"has 30 steps, shorter than the window of 31; .*\(--window 30\)"):
        SeriesGAN(**TINY).fit(_prices(30), window=31, steps=1)
    # returns mode: 24 prices are 23 returns, which the message said without naming the prices
    with pytest.raises(PolemosError, match=r"24 prices, which give 23 log returns, shorter than the window of 24; "):
        SeriesGAN(**TINY).fit(_prices(24), window=24, returns=True, steps=1)


def test_few_windows_are_noted_in_the_summary_and_the_saved_model(tmp_path) -> None:
    gan = SeriesGAN(seed=0, **TINY).fit(_prices(30), window=24, steps=2)
    assert gan.summary is not None and gan.summary.windows == 7
    (note,) = gan.summary.notes
    assert note.startswith("only 7 overlapping training windows of 24 steps, from 30 steps of the series (1.2 ")
    assert "memorises" in note and gan.meta["notes"] == [note]
    gan.save(tmp_path / "model")
    assert SeriesGAN.load(tmp_path / "model").summary.notes == (note,)
    single = SeriesGAN(seed=0, **TINY).fit(_prices(25), window=24, returns=True, steps=2)
    # 25 prices give 24 log returns: the note names what it counted
    assert single.summary.notes[0].startswith("only 1 training window of 24 steps, from 24 log returns of the series")
    sequences = SeriesGAN(seed=0, **TINY).fit(np.random.default_rng(0).random((3, 12, 2)), steps=2)
    assert sequences.summary.notes[0].startswith("only 3 training sequences")
    enough = SeriesGAN(seed=0, **TINY).fit(_prices(200), window=12, steps=2)
    assert enough.summary.notes == ()


def test_fit_prints_the_few_windows_note_on_stderr(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _prices(30).to_csv(csv, index=False)
    result = runner.invoke(app, _fit_args(csv, tmp_path / "model", "--window", "24"))
    assert result.exit_code == 0, result.output
    assert "note: only 7 overlapping training windows of 24 steps" in result.stderr
    single = pd.DataFrame(_prices(24))
    single.to_csv(csv, index=False)
    result = runner.invoke(app, _fit_args(csv, tmp_path / "one", "--window", "24"))
    assert result.exit_code == 0, result.output
    assert "on 1 window of 24 x 2" in result.stdout  # not "1 windows"


def test_a_constant_column_is_reproduced_exactly_and_noted() -> None:
    frame = _prices(60)
    frame["b"] = 5.0
    gan = SeriesGAN(seed=0, **TINY).fit(frame, window=8, steps=2)
    assert any(note.startswith("constant column(s) b = 5: samples repeat") for note in gan.summary.notes)
    samples = gan.sample(20, seed=0)
    assert np.isfinite(samples).all()
    np.testing.assert_array_equal(samples[:, :, 1], 5.0)  # was 5 + up to 1e-7 of noise
    scaler = MinMaxScaler.fit(np.array([[1.0, 3.0], [2.0, 3.0]]))
    np.testing.assert_array_equal(scaler.inverse(np.array([[0.5, 0.7]]))[:, 1], [3.0])


def test_window_sets_with_an_entirely_nan_feature_name_it() -> None:
    windows = np.random.default_rng(0).random((20, 12, 2))
    windows[:, :, 1] = np.nan  # was blamed on the sequences' lengths ("at least 2 observed steps")
    with pytest.raises(PolemosError, match=r"feature\(s\) x1 are entirely NaN"):
        SeriesGAN(**TINY).fit(windows, steps=1)


def test_the_discriminative_score_needs_two_windows_per_set() -> None:
    windows = np.random.default_rng(0).random((5, 6, 2))
    with pytest.raises(PolemosError, match="needs at least 2 real windows, got 1"):
        metrics.discriminative_score(windows[:1], windows, iterations=1)
    with pytest.raises(PolemosError, match="needs at least 2 synthetic windows, got 1"):
        metrics.discriminative_score(windows, windows[:1], iterations=1)


def _eval(real, synthetic, *flags: str):
    arguments = ["eval", str(real), str(synthetic), "--runs", "1"]
    return runner.invoke(app, [*arguments, "--discriminative-iterations", "2", "--predictive-iterations", "2", *flags])


def test_eval_refuses_one_real_window_and_notes_few(tmp_path) -> None:
    synthetic = tmp_path / "s.npy"
    np.save(synthetic, np.random.default_rng(0).uniform(95, 105, size=(30, 24, 2)))
    csv = tmp_path / "prices.csv"
    _prices(24).to_csv(csv, index=False)
    result = _eval(csv, synthetic)  # a RuntimeError from torch.randint before
    assert isinstance(result.exception, PolemosError), result.output
    assert "the real data gives 1 window of 24 steps" in str(result.exception)
    _prices(30).to_csv(csv, index=False)
    result = _eval(csv, synthetic, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["notes"][0].startswith("the real data gives only 7 windows of 24 steps, 2 held")


def test_eval_leaves_constant_columns_out_of_the_cross_correlation(tmp_path) -> None:
    real = _prices(100, columns=3)
    real["c"] = 5.0
    csv = tmp_path / "prices.csv"
    real.to_csv(csv, index=False)
    synthetic = np.random.default_rng(0).uniform(95, 105, size=(30, 12, 3))
    synthetic[:, :, 2] = 5.0
    np.save(tmp_path / "s.npy", synthetic)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warned "invalid value encountered in divide"
        assert np.isnan(metrics.cross_correlation_error(real.to_numpy(), synthetic))
    result = _eval(csv, tmp_path / "s.npy", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)  # the NaN it held before is not JSON
    expected = metrics.cross_correlation_error(make_windows(real.to_numpy()[:, :2], 12), synthetic[:, :, :2])
    assert record["cross_correlation_error"] == pytest.approx(expected)
    assert any(note.startswith("column(s) c are constant") for note in record["notes"])
    np.save(tmp_path / "ac.npy", synthetic[:, :, [0, 2]])
    result = _eval(csv, tmp_path / "ac.npy", "--columns", "a,c")  # one varying column left: no score, a note
    assert result.exit_code == 0, result.output
    assert "cross_correlation_error:" not in result.stdout and "is not computed" in result.stderr


def test_eval_returns_does_not_score_a_flat_price(tmp_path) -> None:
    real = _prices(300)
    real["b"] = 7.0
    csv = tmp_path / "prices.csv"
    real.to_csv(csv, index=False)
    np.save(tmp_path / "r.npy", 0.01 * np.random.default_rng(0).standard_normal((4, 500, 2)))
    result = runner.invoke(app, ["eval", str(csv), str(tmp_path / "r.npy"), "--returns", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert list(record["stylized_facts"]) == ["0"]  # b's distances compared with an undefined ACF before
    assert any("the real returns of b are constant" in note for note in record["notes"])
    result = runner.invoke(app, ["eval", str(csv), str(tmp_path / "r.npy"), "--returns", "--columns", "a"])
    assert isinstance(result.exception, PolemosError)
    assert "the real data has 1 column and the samples 2 features" in str(result.exception)


def test_cut_windows_gives_the_first_row_of_each_window_it_keeps() -> None:
    from polemos.series.data import cut_windows

    values = np.arange(10, dtype=float)[:, None]
    values[4] = np.nan  # windows of 3 with stride 2 start at 0, 2, 4, 6; those over row 4 are dropped
    windows, starts = cut_windows(values, 3, 2)
    assert starts.tolist() == [0, 6] and windows[:, 0, 0].tolist() == [0.0, 6.0]
