"""Tests of the `polemos series` commands (fit, sample, eval) through typer's runner."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from polemos.errors import PolemosError
from polemos.series.cli import app, read_samples, write_samples

runner = CliRunner()


def _write_prices(path, length: int = 200) -> None:
    rng = np.random.default_rng(0)
    prices = 100.0 * np.exp(np.cumsum(0.01 * rng.standard_normal((length, 2)), axis=0))
    dates = pd.date_range("2020-01-01", periods=length, freq="D").astype(str)
    pd.DataFrame({"Date": dates, "a": prices[:, 0], "b": prices[:, 1], "ticker": "X"}).to_csv(path, index=False)


def test_samples_round_trip_csv_and_npy(tmp_path) -> None:
    samples = np.arange(24, dtype=float).reshape(2, 4, 3)
    samples[1, 3] = np.nan  # a shorter sequence
    for name in ("s.csv", "s.npy"):
        write_samples(samples, tmp_path / name, ["a", "b", "c"])
        np.testing.assert_array_equal(read_samples(tmp_path / name), samples)
    with pytest.raises(PolemosError, match="not found"):
        read_samples(tmp_path / "missing.csv")


def test_fit_sample_eval_levels(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv)
    result = runner.invoke(
        app,
        [
            "fit",
            str(csv),
            "--out",
            str(tmp_path / "model"),
            "--window",
            "12",
            "--columns",
            "a,b",
            "--steps",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "trained 3 steps" in result.output
    result = runner.invoke(app, ["sample", str(tmp_path / "model"), "--n", "40", "--out", str(tmp_path / "s.npy")])
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "s.npy").shape == (40, 12, 2)
    result = runner.invoke(
        app,
        [
            "eval", str(csv), str(tmp_path / "s.npy"), "--columns", "a,b", "--runs", "1",
            "--discriminative-iterations", "5", "--predictive-iterations", "5", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert 0.0 <= record["discriminative"]["mean"] <= 0.5
    assert record["predictive"]["mean"] > 0.0 and "cross_correlation_error" in record


def test_fit_returns_sample_prices_and_stylized_facts(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv, length=300)
    model = tmp_path / "model"
    result = runner.invoke(
        app,
        [
            "fit",
            str(csv),
            "--out",
            str(model),
            "--window",
            "30",
            "--columns",
            "a,b",
            "--returns",
            "--steps",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["sample", str(model), "--n", "8", "--length", "120", "--out", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        ["eval", str(csv), str(tmp_path / "r.csv"), "--columns", "a,b", "--returns", "--json",
         "--plots", str(tmp_path / "plots")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert set(record["stylized_facts"]) == {"0", "1"}
    assert set(record["stylized_facts"]["0"]["emd"]) == {"1", "5", "20", "100"}
    assert (tmp_path / "plots" / "acf_0.png").stat().st_size > 0
    result = runner.invoke(app, ["sample", str(model), "--n", "3", "--prices", "--out", str(tmp_path / "p.npy")])
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "p.npy").shape == (3, 31, 2)


def test_user_errors_are_polemos_errors(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv)
    result = runner.invoke(app, ["fit", str(csv), "--out", str(tmp_path / "m"), "--steps", "1"])
    assert isinstance(result.exception, PolemosError) and "non-numeric" in str(result.exception)
    result = runner.invoke(app, ["sample", str(tmp_path / "nothing"), "--out", str(tmp_path / "s.npy")])
    assert isinstance(result.exception, PolemosError) and "does not hold a saved SeriesGAN" in str(result.exception)


def test_fit_options_set_config_fields_and_defaults_come_from_the_config(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv)
    model = tmp_path / "model"
    base = ["fit", str(csv), "--out", str(model), "--columns", "a", "--returns", "--window", "16", "--steps", "4"]
    tiny = ["-o", "hidden=8", "-o", "layers=1", "-o", "discriminator_channels=8", "-o", "batch_size=16"]
    result = runner.invoke(app, [*base, *tiny, "-o", "slow_noise_timescales=[5, 20]", "-o", "calibrate_scale=true"])
    assert result.exit_code == 0, result.output
    config = json.loads((model / "config.json").read_text())["config"]
    assert config["hidden"] == 8 and config["slow_noise_timescales"] == [5.0, 20.0] and config["calibrate_scale"]
    # loss and penalty not given: the SeriesGANConfig defaults, not a second copy in the CLI
    from polemos.series.model import SeriesGANConfig

    assert config["loss"] == SeriesGANConfig().loss and config["penalty"] == SeriesGANConfig().penalty
    result = runner.invoke(app, [*base, "-o", "hiden=8"])
    assert isinstance(result.exception, PolemosError) and "unknown SeriesGAN option(s) hiden" in str(result.exception)
    result = runner.invoke(app, [*base, "-o", "hidden"])
    assert isinstance(result.exception, PolemosError) and "KEY=VALUE" in str(result.exception)
