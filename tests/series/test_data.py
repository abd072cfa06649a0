"""Tests of polemos.series.data: validation, TimeGAN windows, Sines, Lambert W and returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from polemos.errors import PolemosError
from polemos.series import data


def test_make_windows_counts_and_content() -> None:
    series = np.arange(30, dtype=float).reshape(10, 3)  # row t = [3t, 3t+1, 3t+2]
    windows = data.make_windows(series, window=4, stride=2)
    assert windows.shape == (4, 4, 3)  # starts 0, 2, 4, 6
    np.testing.assert_array_equal(windows[1, :, 0], [6.0, 9.0, 12.0, 15.0])


def test_make_windows_drops_nan_windows_only() -> None:
    series = np.arange(10, dtype=float)[:, None]
    series[5] = np.nan
    windows = data.make_windows(series, window=3)
    # 8 windows, those starting at 3, 4, 5 contain step 5
    assert windows.shape == (5, 3, 1)
    assert not np.isnan(windows).any()


def test_series_shorter_than_window_is_a_clear_error() -> None:
    with pytest.raises(PolemosError, match="shorter than the window"):
        data.make_windows(np.zeros((5, 2)), window=24)
    with pytest.raises(PolemosError, match="the series has 1 step, shorter"):
        data.make_windows(np.zeros((1, 2)), window=4)


def test_timegan_windows_protocol() -> None:
    values = np.column_stack([np.arange(100.0), 2.0 * np.arange(100.0) + 5.0])
    windows, scaler = data.timegan_windows(values, window=24, seed=None)
    assert windows.shape == (76, 24, 2)  # TimeGAN cuts T - window windows (its loop omits the last one)
    # reversed: the first window starts at the last row, scaled to 1
    assert windows[0, 0, 0] == pytest.approx(1.0, abs=1e-6)
    assert windows[0, 1, 0] == pytest.approx(98.0 / 99.0, abs=1e-6)
    np.testing.assert_allclose(scaler.inverse(scaler.transform(values)), values)
    shuffled, _ = data.timegan_windows(values, window=24, seed=3)
    assert not np.array_equal(shuffled, windows)
    np.testing.assert_allclose(np.sort(shuffled[:, 0, 0]), np.sort(windows[:, 0, 0]))


def test_stocks_protocol_has_3661_windows(shared_data) -> None:
    windows = data.load_stocks(shared_data / "stocks" / "stock_data.csv")
    assert windows.shape == (3661, 24, 6)
    assert windows.min() >= 0.0 and windows.max() <= 1.0


def test_sine_windows_are_sines_in_unit_range() -> None:
    windows = data.sine_windows(n=50, length=24, features=3, seed=1)
    assert windows.shape == (50, 24, 3)
    unscaled = 2.0 * windows - 1.0
    # sin(f t + phi) with f, phi in [0, 0.1]: the argument stays in [0, 2.4] so the sine is >= 0
    assert (unscaled >= 0).all()
    phase = np.arcsin(unscaled[:, 0])  # argument at t=0
    frequency = np.arcsin(unscaled[:, 1]) - phase  # argument at t=1 is < pi/2, so arcsin inverts it
    assert ((phase >= 0) & (phase <= 0.1 + 1e-9)).all() and ((frequency >= 0) & (frequency <= 0.1 + 1e-9)).all()
    steps = np.arange(24).reshape(1, 24, 1)
    np.testing.assert_allclose(np.sin(frequency[:, None] * steps + phase[:, None]), unscaled, atol=1e-9)


def test_validate_table_sorts_time_and_rejects_duplicates() -> None:
    frame = pd.DataFrame({"date": ["2020-01-03", "2020-01-01", "2020-01-02"], "a": [3.0, 1.0, 2.0]})
    table = data.validate_table(frame)
    np.testing.assert_array_equal(table.values[:, 0], [1.0, 2.0, 3.0])
    assert table.columns == ("a",)
    assert any("sorted" in note for note in table.notes)
    frame.loc[2, "date"] = "2020-01-03"
    with pytest.raises(PolemosError, match="share a time stamp"):
        data.validate_table(frame)


def test_numeric_time_columns_must_be_plausible_time_stamps() -> None:
    rng = np.random.default_rng(0)
    values = rng.standard_normal(50)
    price = 100.0 + np.cumsum(rng.standard_normal(50))  # fractions, out of order
    rounded = np.round(price)  # whole numbers that repeat out of order
    for close in (price, rounded):
        frame = pd.DataFrame({"close": close, "a": values})
        with pytest.raises(PolemosError) as error:
            data.validate_table(frame, time_column="close")
        message = str(error.value)
        assert message.startswith("time column 'close' holds numbers, not dates: ")
        assert message.endswith(
            "drop --time-column to keep the file's row order, or name the date column with --time-column"
        )
        assert "1970" not in message
        with pytest.raises(PolemosError, match="'time' holds numbers, not dates: .*; rename it if it is not a time"):
            data.validate_table(frame.rename(columns={"close": "time"}))  # auto-detected by its name
    # whole numbers that do not repeat are time stamps, as before: Unix seconds, step numbers, sorted when needed
    unix = 1_600_000_000 + 86_400 * np.arange(50)
    for stamps in (unix, np.arange(50), np.arange(50.0), 0.5 + np.arange(50.0)):
        table = data.validate_table(pd.DataFrame({"t": stamps, "a": values}), time_column="t")
        np.testing.assert_array_equal(table.values[:, 0], values)
        assert table.notes == ()
    order = rng.permutation(50)
    table = data.validate_table(pd.DataFrame({"t": unix[order], "a": values[order]}), time_column="t")
    np.testing.assert_array_equal(table.values[:, 0], values)
    assert table.notes == (data.SORTED_NOTE,)
    # repeats in sorted numbers are duplicate time stamps, named as written (not as nanoseconds since 1970)
    with pytest.raises(PolemosError, match=r"2 rows share a time stamp \(first: 2, data row 2\); aggregate or drop"):
        data.validate_table(pd.DataFrame({"t": [1, 2, 2, 3], "a": [1.0, 2.0, 3.0, 4.0]}), time_column="t")


def test_validate_table_rejects_non_numeric_columns() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "ticker": ["X", "Y"]})
    with pytest.raises(PolemosError, match="non-numeric column"):
        data.validate_table(frame)
    assert data.validate_table(frame, columns=["a"]).values.shape == (2, 1)


def test_nan_policies() -> None:
    values = np.array([[1.0], [np.nan], [3.0], [4.0]])
    assert np.isnan(data.validate_table(values).values).sum() == 1
    np.testing.assert_array_equal(data.validate_table(values, nan_policy="ffill").values[:, 0], [1, 1, 3, 4])
    np.testing.assert_array_equal(data.validate_table(values, nan_policy="interpolate").values[:, 0], [1, 2, 3, 4])
    with pytest.raises(PolemosError, match="NaN"):
        data.validate_table(values, nan_policy="raise")


def test_lambert_w_round_trip_and_gaussianizes() -> None:
    rng = np.random.default_rng(0)
    gaussian = rng.standard_normal(20_000)
    heavy = data.lambert_w_heavy_tail(gaussian, 0.3)
    np.testing.assert_allclose(data.lambert_w_gaussianize(heavy, 0.3), gaussian, atol=1e-10)
    # a known value: u = 1, delta = 0.5 -> z = exp(0.25)
    assert data.lambert_w_heavy_tail(np.array([1.0]), 0.5)[0] == pytest.approx(np.exp(0.25))
    fitted = data.LambertWGaussianizer.fit(heavy[:, None])
    assert fitted.delta[0] == pytest.approx(0.3, abs=0.05)


def test_lambert_w_tails_beyond_the_data_are_linear() -> None:
    rng = np.random.default_rng(2)
    heavy = data.lambert_w_heavy_tail(rng.standard_normal(5_000), 0.4)
    fitted = data.LambertWGaussianizer.fit(heavy[:, None])
    lower, upper, delta = fitted.lower[0], fitted.upper[0], fitted.delta
    assert lower == pytest.approx(data.lambert_w_gaussianize(np.array([heavy.min()]), delta)[0])
    assert upper == pytest.approx(data.lambert_w_gaussianize(np.array([heavy.max()]), delta)[0])
    # inside the data's range: the exact map
    inside = np.linspace(lower, upper, 101)[:, None]
    np.testing.assert_allclose(fitted.inverse(inside), data.lambert_w_heavy_tail(inside, delta), rtol=1e-12)
    # beyond it: continued with the slope at the bound, exp(delta u^2 / 2) (1 + delta u^2)
    slope = np.exp(delta[0] * upper**2 / 2) * (1 + delta[0] * upper**2)
    top = data.lambert_w_heavy_tail(np.array([upper]), delta)[0]
    far = np.array([[upper + 1.0], [upper + 10.0]])
    np.testing.assert_allclose(fitted.inverse(far)[:, 0], [top + slope, top + 10 * slope], rtol=1e-12)
    assert fitted.inverse(far)[1, 0] < data.lambert_w_heavy_tail(far, delta)[1, 0] / 1e6  # the plain map explodes
    # continuous, increasing and invertible on both sides
    grid = np.linspace(lower - 20, upper + 20, 4001)[:, None]
    mapped = fitted.inverse(grid)
    assert np.isfinite(mapped).all() and (np.diff(mapped[:, 0]) > 0).all()
    np.testing.assert_allclose(fitted.transform(mapped), grid, atol=1e-9)
    # without bounds (models saved before them): the plain map
    plain = data.LambertWGaussianizer(fitted.delta)
    np.testing.assert_allclose(plain.inverse(far), data.lambert_w_heavy_tail(far, delta))


def test_returns_transform_keeps_the_tail_bounds() -> None:
    rng = np.random.default_rng(3)
    transform = data.ReturnsTransform.fit(0.01 * rng.standard_t(3, size=(2000, 1)))
    state = transform.to_dict()
    assert state["gaussian_lower"][0] < 0 < state["gaussian_upper"][0]
    far = np.array([[30.0], [60.0], [90.0]])  # model-space values far beyond anything seen
    np.testing.assert_allclose(data.ReturnsTransform.from_dict(state).inverse(far), transform.inverse(far))
    steps = np.diff(transform.inverse(far)[:, 0])  # a finite, linear tail: equal steps, not exp(delta u^2 / 2)
    assert np.isfinite(steps).all() and steps[0] > 0 and steps[1] == pytest.approx(steps[0])
    old_state = {key: value for key, value in state.items() if not key.startswith("gaussian_l")}
    old_state.pop("gaussian_upper")
    old = data.ReturnsTransform.from_dict(old_state)  # saved before the bounds: loads, plain map
    assert old.gaussianizer.lower is None and old.gaussianizer.upper is None


def test_returns_transform_round_trip_and_prices() -> None:
    rng = np.random.default_rng(1)
    returns = 0.01 * rng.standard_t(4, size=(3000, 2))
    transform = data.ReturnsTransform.fit(returns)
    model_space = transform.transform(returns)
    np.testing.assert_allclose(model_space.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(model_space.std(axis=0), 1.0, atol=1e-9)
    np.testing.assert_allclose(transform.inverse(model_space), returns, atol=1e-12)
    restored = data.ReturnsTransform.from_dict(transform.to_dict())
    np.testing.assert_allclose(restored.inverse(model_space), returns, atol=1e-12)
    prices = np.array([100.0, 110.0, 99.0])
    np.testing.assert_allclose(data.returns_to_prices(data.log_returns(prices), 100.0, axis=0), prices)
    with pytest.raises(PolemosError, match="strictly positive"):
        data.log_returns(np.array([1.0, -1.0]))


def test_validation_errors_name_the_column_value_and_row() -> None:
    dates = pd.date_range("2020-01-01", periods=6, freq="D").astype(str).tolist()
    frame = pd.DataFrame({"date": dates, "a": ["1", "2", "3", "4", "abc", "6"], "b": np.arange(6.0)})
    with pytest.raises(PolemosError, match=r"column 'a' has 1 non-numeric value\(s\), the first 'abc' in data row 5"):
        data.validate_table(frame)
    frame = pd.DataFrame({"date": dates[:3] + ["notadate"] + dates[4:], "a": np.arange(6.0)})
    with pytest.raises(
        PolemosError, match=r"time column 'date' has a value that is not a date \('notadate', data row 4\)"
    ):
        data.validate_table(frame)
    frame = pd.DataFrame({"date": dates, "a": np.arange(6.0), "b": np.nan})
    with pytest.raises(PolemosError, match=r"column\(s\) b are entirely NaN"):
        data.validate_table(frame)
    with pytest.raises(PolemosError, match="'date' is the time column .*; choose feature columns among a, b"):
        data.validate_table(frame, columns=["date"])


def test_load_series_table_names_folders_encodings_and_separators(tmp_path) -> None:
    with pytest.raises(PolemosError, match="is a folder, not a file"):
        data.load_series_table(tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("caf\xe9,b\n1,2\n".encode("latin-1"))
    with pytest.raises(PolemosError, match="it is not UTF-8 text .*; re-save it as UTF-8"):
        data.load_series_table(latin)
    semicolon = tmp_path / "semicolon.csv"
    pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}).to_csv(semicolon, sep=";", index=False)
    with pytest.raises(PolemosError, match="is it semicolon-separated"):
        data.load_series_table(semicolon)


def test_a_column_named_twice_is_refused() -> None:
    # frame[["close", "close"]] made "close" a frame: the error claimed 0 non-numeric values in it
    frame = pd.DataFrame({"close": np.arange(1.0, 11.0), "open": np.arange(1.0, 11.0)})
    with pytest.raises(PolemosError, match="columns lists close more than once"):
        data.validate_table(frame, columns=["close", "open", "close"])


@pytest.mark.parametrize(("name", "kind"), [("s.npy", "NumPy array"), ("s.parquet", "Parquet file")])
def test_load_series_table_names_binary_files(tmp_path, name, kind) -> None:
    # they were read as CSV: "not UTF-8 text; re-save it as UTF-8" (or "the series is empty")
    path = tmp_path / name
    path.write_bytes(b"\x93NUMPY\x01\x00 binary")
    with pytest.raises(PolemosError, match=f"is a {kind}, not CSV; export the series as a .csv file"):
        data.load_series_table(path)
