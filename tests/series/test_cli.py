"""Tests of the `polemos series` commands (fit, sample, eval) through typer's runner."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from polemos.errors import PolemosError
from polemos.series.cli import app, read_samples, write_samples
from polemos.series.model import SeriesGAN

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
    # a fit leaves a report, as a training run does (polemos report was a separate step)
    assert (tmp_path / "model" / "report.html").is_file() and "report: " in result.stdout
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
    text_args = ["eval", str(csv), str(tmp_path / "s.npy"), "--columns", "a,b", "--runs", "1"]
    text_args += ["--discriminative-iterations", "5", "--predictive-iterations", "5"]
    result = runner.invoke(app, text_args)
    assert result.exit_code == 0, result.output
    # every number to 4 decimals, as the scores are (it printed all 17 digits of the error before)
    assert re.search(r"^cross_correlation_error: \d+\.\d{4} \(distance between", result.output, flags=re.MULTILINE), (
        result.output
    )


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
    assert record["columns"] == ["a", "b"]  # the names of features "0" and "1"
    assert (tmp_path / "plots" / "acf_0.png").stat().st_size > 0
    result = runner.invoke(app, ["eval", str(csv), str(tmp_path / "r.csv"), "--columns", "a,b", "--returns"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()  # a block per column, by name, instead of one line of raw JSON
    facts_of_b = lines.index("stylized facts of b (distances to the real series, lower is better; lags 1-118):")
    assert re.fullmatch(
        r"  ACF\(r\) \d\.\d{4}   ACF\(\|r\|\) \d\.\d{4}   ACF\(r²\) \d\.\d{4}   leverage \d\.\d{4}",
        lines[facts_of_b + 1],
    )
    assert lines[facts_of_b + 2].startswith("  EMD of 1/5/20/100-step cumulative returns: 0.")
    assert lines[0] == f"real: {csv}"
    assert any(re.fullmatch(r"cross_correlation_error: \d+\.\d{4} \(.*lower is better\)", line) for line in lines)
    result = runner.invoke(app, ["sample", str(model), "--n", "3", "--prices", "--out", str(tmp_path / "p.npy")])
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "p.npy").shape == (3, 31, 2)


def test_eval_returns_reads_log_returns_and_refuses_prices_as_returns(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv, length=300)
    frame = pd.read_csv(csv)
    log_returns = np.diff(np.log(frame[["a", "b"]].to_numpy()), axis=0)
    returns_csv = tmp_path / "returns.csv"
    pd.DataFrame({"Date": frame["Date"][1:], "a": log_returns[:, 0], "b": log_returns[:, 1]}).to_csv(returns_csv)
    synthetic = tmp_path / "r.npy"
    np.save(synthetic, 0.01 * np.random.default_rng(1).standard_normal((4, 600, 2)))
    scores = []
    for real, extra in ((csv, []), (returns_csv, ["--returns-input", "log-returns"])):
        result = runner.invoke(
            app, ["eval", str(real), str(synthetic), "--columns", "a,b", "--returns", "--json", *extra]
        )
        assert result.exit_code == 0, result.output
        scores.append(json.loads(result.output)["stylized_facts"])
    assert scores[0] == scores[1]  # the same returns, given as prices or as log returns
    np.save(tmp_path / "p.npy", 100.0 * np.exp(np.cumsum(np.load(synthetic), axis=1)))
    assert "p.npy holds values that look like prices (all positive, median " in _error(
        ["eval", str(csv), str(tmp_path / "p.npy"), "--columns", "a,b", "--returns"]
    )
    assert "holds values that look like prices" in _error(
        ["eval", str(csv), str(synthetic), "--columns", "a,b", "--returns", "--returns-input", "log-returns"]
    )
    assert "add --returns or drop --returns-input" in _error(
        ["eval", str(csv), str(synthetic), "--returns-input", "log-returns"]
    )
    assert "--returns-input must be 'prices' or 'log-returns'" in _error(
        ["eval", str(csv), str(synthetic), "--returns", "--returns-input", "percent"]
    )


def test_eval_notes_short_paths_and_lists_its_plots(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv, length=300)
    short = tmp_path / "short.npy"
    np.save(short, 0.01 * np.random.default_rng(1).standard_normal((8, 40, 2)))
    arguments = ["eval", str(csv), str(short), "--columns", "a,b", "--returns", "--plots", str(tmp_path / "plots")]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    # sample ACFs of 40-step paths are biased: scores that rank noise near real data get a warning
    assert "note: paths of 40 steps are short for stylized facts" in result.output
    assert "wrote 6 plots to " in result.output and "histogram_0.png, acf_0.png, paths_0.png" in result.output
    result = runner.invoke(app, [*arguments[:-2], "--json"])
    assert json.loads(result.output)["notes"][0].startswith("paths of 40 steps are short")
    long_paths = tmp_path / "long.npy"
    np.save(long_paths, 0.01 * np.random.default_rng(1).standard_normal((2, 500, 2)))
    result = runner.invoke(app, ["eval", str(csv), str(long_paths), "--columns", "a,b", "--returns"])
    assert result.exit_code == 0 and "note:" not in result.output


def test_eval_says_what_the_timegan_scores_measure(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv, length=100)
    synthetic = tmp_path / "s.npy"
    np.save(synthetic, np.random.default_rng(0).uniform(90, 110, size=(30, 12, 2)))
    arguments = ["eval", str(csv), str(synthetic), "--columns", "a,b", "--runs", "1"]
    result = runner.invoke(app, [*arguments, "--discriminative-iterations", "2", "--predictive-iterations", "2"])
    assert result.exit_code == 0, result.output
    assert "(1 run; |accuracy - 0.5| of a GRU telling real from synthetic windows, lower is better)" in result.output
    assert "predict the next step, lower is better)" in result.output
    assert "correlation matrices, lower is better)" in result.output


def test_eval_of_levels_notes_samples_in_other_units(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv, length=100)  # prices near 100
    returns = tmp_path / "r.npy"
    np.save(returns, 0.01 * np.random.default_rng(0).standard_normal((30, 12, 2)))  # log returns near 0
    arguments = ["eval", str(csv), str(returns), "--columns", "a,b", "--runs", "1"]
    result = runner.invoke(app, [*arguments, "--discriminative-iterations", "2", "--predictive-iterations", "2"])
    assert result.exit_code == 0, result.output  # still scored: a diverged model is out of range too
    assert "note: 100% of the synthetic values lie far outside the real data's range" in result.output
    assert "pass --returns, or sample --prices" in result.output


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


# ----------------------------------------------------------------------------------------------------
# bad input: one line, before any work, nothing already written lost

_TINY = ["-o", "hidden=4", "-o", "layers=1", "-o", "discriminator_channels=4", "-o", "batch_size=8"]


def _error(arguments: list[str]) -> str:
    result = runner.invoke(app, arguments)
    assert isinstance(result.exception, PolemosError), result.output
    assert "\n" not in str(result.exception)
    return str(result.exception)


def _fit(tmp_path, out, *extra: str) -> None:
    csv = tmp_path / "prices.csv"
    if not csv.exists():
        _write_prices(csv, length=80)
    arguments = ["fit", str(csv), "--out", str(out), "--columns", "a,b", "--window", "8", "--steps", "2", *_TINY]
    result = runner.invoke(app, [*arguments, *extra])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory) -> dict[str, Any]:
    """A plain model and a returns model continuing a context of 4 steps, each fitted for 2 steps."""
    folder = tmp_path_factory.mktemp("series-models")
    _fit(folder, folder / "plain")
    _fit(folder, folder / "context", "--returns", "--context-length", "4")
    return {"folder": folder, "plain": folder / "plain", "context": folder / "context"}


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        ("hidden=abc", "option hidden must be an integer >= 1, got 'abc'; e.g. hidden=64"),
        ("hidden=-4", "option hidden must be an integer >= 1, got -4"),
        ("generator_lr=fast", "option generator_lr must be a number > 0, got 'fast'"),
        ("batch_size=0", "option batch_size must be an integer >= 1, got 0"),
        ("betas=[0.5]", "option betas must be a list of 2 numbers"),
        ("window=0", "window is a setting of fit, not a SeriesGAN option; use --window"),
    ],
)
def test_fit_rejects_bad_option_values_before_reading_data(tmp_path, option, fragment) -> None:
    # the data file does not exist: the option is checked first
    arguments = ["fit", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m"), "-o", option]
    assert fragment in _error(arguments)
    assert not (tmp_path / "m").exists()


def test_fit_option_values_are_converted_to_the_field_type(tmp_path) -> None:
    # YAML reads 5e-4 (no dot) as text; the field is a float
    _fit(tmp_path, tmp_path / "m", "-o", "generator_lr=5e-4")
    assert json.loads((tmp_path / "m" / "config.json").read_text())["config"]["generator_lr"] == 5e-4


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--steps", "0"], "--steps must be at least 1, got 0"),
        (["--steps", "-10"], "--steps must be at least 1, got -10"),
        (["--time-budget", "0"], "--time-budget must be a positive number of seconds, got 0.0"),
        (["--time-budget", "-5"], "--time-budget must be a positive number of seconds, got -5.0"),
        (["--time-budget", "nan"], "--time-budget must be a positive number of seconds, got nan"),  # never stops
        (["--time-budget", "inf"], "--time-budget must be a positive number of seconds, got inf"),
        (["--returns-input", "log-returns"], "describes the columns for --returns; add --returns or drop"),
        (["--seed", "-1"], "--seed must be a non-negative integer, got -1"),
    ],
)
def test_fit_rejects_bad_limits_and_seeds(tmp_path, flags, fragment) -> None:
    assert fragment in _error(["fit", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m"), *flags])
    assert not (tmp_path / "m").exists()


def test_fit_checks_out_before_training(tmp_path) -> None:
    existing = tmp_path / "outfile.txt"
    existing.write_text("keep me")
    missing = str(tmp_path / "missing.csv")  # the data would fail later: --out is checked first
    assert "is an existing file, not a folder" in _error(["fit", missing, "--out", str(existing)])
    assert f"{existing} is a file, not a folder" in _error(["fit", missing, "--out", str(existing / "sub")])
    assert existing.read_text() == "keep me"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc (not writable, even by root)")
def test_fit_and_sample_refuse_an_unwritable_out(tmp_path, saved_models) -> None:
    assert "cannot write to --out /proc/polemos_x" in _error(["fit", "x.csv", "--out", "/proc/polemos_x"])
    assert "cannot write to the --out folder /proc" in _error(
        ["sample", str(saved_models["plain"]), "--out", "/proc/x.npy", "--n", "2"]
    )


def test_fit_refuses_a_folder_holding_a_model_unless_overwrite_and_never_another_kind(tmp_path) -> None:
    out = tmp_path / "model"
    _fit(tmp_path, out)
    weights = (out / "generator.safetensors").read_bytes()
    csv = str(tmp_path / "prices.csv")
    message = _error(["fit", csv, "--out", str(out), "--columns", "a,b", "--window", "8", "--steps", "2"])
    assert "already holds a series model; choose a new --out folder or pass --overwrite" in message
    assert (out / "generator.safetensors").read_bytes() == weights
    result = runner.invoke(
        app, ["fit", csv, "--out", str(out), "--columns", "a", "--window", "8", "--steps", "2", "--overwrite", *_TINY]
    )
    assert result.exit_code == 0, result.output
    assert "replaced the series model" in result.output
    assert json.loads((out / "config.json").read_text())["meta"]["columns"] == ["a"]
    tabular = tmp_path / "tabular"
    tabular.mkdir()
    (tabular / "model.json").write_text(json.dumps({"format_version": 1, "transformer": {}}))
    (tabular / "generator.safetensors").write_bytes(b"weights")
    message = _error(["fit", csv, "--out", str(tabular), "--overwrite"])
    assert "already holds a tabular model; choose a new --out folder" in message
    assert (tabular / "generator.safetensors").read_bytes() == b"weights" and not (tabular / "config.json").exists()


def test_sample_refuses_a_tabular_model_folder(tmp_path, saved_models) -> None:
    hybrid = tmp_path / "hybrid"  # a series folder into which a tabular model was written (older versions)
    hybrid.mkdir()
    for name in ("config.json", "generator.safetensors"):
        (hybrid / name).write_bytes((saved_models["plain"] / name).read_bytes())
    (hybrid / "model.json").write_text(json.dumps({"format_version": 1, "transformer": {}}))
    assert "holds a tabular model, not a SeriesGAN" in _error(["sample", str(hybrid), "--out", str(tmp_path / "s.npy")])


def test_sample_refuses_a_damaged_config_and_an_image_run(tmp_path, saved_models) -> None:
    # both raised a traceback (JSONDecodeError, KeyError 'config') from SeriesGAN.load
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "generator.safetensors").write_bytes((saved_models["plain"] / "generator.safetensors").read_bytes())
    (damaged / "config.json").write_text("{damaged")
    out = tmp_path / "s.npy"
    assert "config.json is corrupt" in _error(["sample", str(damaged), "--out", str(out)])
    image_run = tmp_path / "image-run"
    image_run.mkdir()
    (image_run / "generator.safetensors").write_bytes(b"weights")
    (image_run / "config.json").write_text(json.dumps({"data": {}, "model": {}, "game": {}, "train": {}}))
    (image_run / "model.json").write_text(json.dumps({"architecture": "dcgan"}))
    assert "holds no SeriesGAN (config.json is not a series model's)" in _error(
        ["sample", str(image_run), "--out", str(out)]
    )
    assert not out.exists()


def test_sample_out_checks(tmp_path, saved_models) -> None:
    model = str(saved_models["plain"])
    victim = tmp_path / "victim.csv"
    victim.write_text("training data")
    assert "exists; choose another --out or pass --overwrite" in _error(["sample", model, "--out", str(victim)])
    assert victim.read_text() == "training data"
    result = runner.invoke(app, ["sample", model, "--out", str(victim), "--n", "2", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert len(read_samples(victim)) == 2
    folder = tmp_path / "dir.npy"
    folder.mkdir()
    assert "is a folder; give a file name ending in .npy or .csv" in _error(["sample", model, "--out", str(folder)])
    assert "--seed must be a non-negative integer" in _error(["sample", model, "--out", "s.npy", "--seed", "-1"])
    for length in ("0", "-4"):
        assert f"--length must be at least 1, got {length}" in _error(
            ["sample", model, "--out", "s.npy", "--length", length]
        )


def test_sample_context_errors_name_the_cli_flags(tmp_path, saved_models) -> None:
    context_model, plain = str(saved_models["context"]), str(saved_models["plain"])
    out = str(tmp_path / "s.npy")
    assert "continues a context of 4 steps; pass --context FILE.csv" in _error(["sample", context_model, "--out", out])
    prices = saved_models["folder"] / "prices.csv"
    assert "drop --context, or fit a model with --context-length L" in _error(
        ["sample", plain, "--out", out, "--context", str(prices)]
    )
    assert "--prices (as_prices) needs a model fitted on returns; fit with --returns" in _error(
        ["sample", plain, "--out", out, "--prices"]
    )
    frame = pd.read_csv(prices)
    frame.loc[len(frame) - 2, "a"] = np.nan  # in the rows the model continues
    gappy = tmp_path / "gappy.csv"
    frame.to_csv(gappy, index=False)
    message = _error(["sample", context_model, "--out", out, "--context", str(gappy)])
    assert f"the context file {gappy} has 1 NaN value(s) in its last 5 rows" in message
    assert "nan_policy" not in message
    frame.loc[len(frame) - 2, "a"] = 1.0
    frame.loc[3, "a"] = np.nan  # long before the context: not used, no error
    frame.to_csv(gappy, index=False)
    result = runner.invoke(app, ["sample", context_model, "--out", out, "--context", str(gappy), "--n", "2"])
    assert result.exit_code == 0, result.output
    short = tmp_path / "short.csv"
    frame.tail(4).to_csv(short, index=False)  # 4 prices: 3 returns, the model continues 4
    message = _error(["sample", context_model, "--out", out, "--context", str(short), "--overwrite"])
    assert "has 4 price rows; the model continues 4 returns, which take 5 prices: give the last 5 rows" in message


def test_price_scenarios_start_from_the_context_files_last_price(tmp_path, saved_models) -> None:
    # they started from the fitted series' last price, whatever day the context ended on
    frame = pd.read_csv(saved_models["folder"] / "prices.csv")
    earlier = tmp_path / "earlier.csv"
    frame.iloc[20:40].to_csv(earlier, index=False)  # 20 days ending long before the fitted series does
    out = tmp_path / "p.npy"
    arguments = ["sample", str(saved_models["context"]), "--n", "3", "--prices", "--context", str(earlier)]
    result = runner.invoke(app, [*arguments, "--out", str(out)])
    assert result.exit_code == 0, result.output
    paths = np.load(out)
    assert paths.shape == (3, 5, 2)  # step 0 the starting price, then window 8 - context 4 steps
    np.testing.assert_allclose(paths[:, 0], np.broadcast_to(frame[["a", "b"]].to_numpy()[39], (3, 2)))
    assert not np.allclose(paths[:, 0], frame[["a", "b"]].to_numpy()[-1])


def test_api_price_scenarios_from_a_context_need_its_price() -> None:
    from polemos.series.model import SeriesGAN

    returns = 0.01 * np.random.default_rng(0).standard_normal((60, 1))
    gan = SeriesGAN(seed=0, hidden=8, layers=1, noise_dim=2, discriminator_channels=8, batch_size=16)
    gan.fit(returns, window=8, context_length=4, returns=True, returns_input="log-returns", steps=1)
    with pytest.raises(PolemosError, match="as_prices with a context needs initial_price"):
        gan.sample(2, context=returns[-4:], as_prices=True)
    paths = gan.sample(2, context=returns[-4:], as_prices=True, initial_price=50.0)
    assert paths.shape == (2, 5, 1) and (paths[:, 0] == 50.0).all()


def test_fit_says_which_checked_state_it_kept(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv, length=80)
    arguments = ["fit", str(csv), "--out", str(tmp_path / "m"), "--columns", "a", "--window", "8", "--steps", "4"]
    result = runner.invoke(app, [*arguments, "--returns", *_TINY, "-o", "select_every=2", "-o", "select_length=40"])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    kept = saved["summary"]["selected_step"]
    assert saved["data_source"] == str(csv)  # shown by `polemos report` (it said "not recorded")
    assert SeriesGAN.load(tmp_path / "m").data_source == str(csv)
    assert f"kept the generator of step {kept}: selection score " in result.output
    assert "the best of 2 checks (lower is better" in result.output


def test_sample_says_it_sorted_an_unsorted_context_file_as_fit_does(tmp_path, saved_models) -> None:
    context_model = str(saved_models["context"])
    in_order = saved_models["folder"] / "prices.csv"
    shuffled = tmp_path / "shuffled.csv"
    pd.read_csv(in_order).sample(frac=1.0, random_state=0).to_csv(shuffled, index=False)
    note = "note: rows were not in time order and were sorted by time stamp"
    outputs = {}
    for name, context in (("in_order", in_order), ("shuffled", shuffled)):
        out = tmp_path / f"{name}.npy"
        result = runner.invoke(app, ["sample", context_model, "--out", str(out), "--n", "2", "--context", str(context)])
        assert result.exit_code == 0, result.output
        assert (note in result.output) == (name == "shuffled"), result.output
        assert result.output.count("\n") == 1 + (name == "shuffled")  # one note line, one result line
        outputs[name] = np.load(out)
    np.testing.assert_array_equal(outputs["shuffled"], outputs["in_order"])  # the sorted rows were continued


def test_fit_says_a_numeric_time_column_holds_numbers_not_dates(tmp_path) -> None:
    csv = tmp_path / "prices.csv"
    _write_prices(csv)
    message = _error(["fit", str(csv), "--out", str(tmp_path / "m"), "--columns", "b", "--time-column", "a"])
    assert message.startswith("time column 'a' holds numbers, not dates: ")
    assert "drop --time-column to keep the file's row order, or name the date column with --time-column" in message
    assert "1970" not in message and "share a time stamp" not in message
    assert not (tmp_path / "m").exists()


def test_eval_rejects_bad_counts_and_files_before_scoring(tmp_path, saved_models) -> None:
    prices = str(saved_models["folder"] / "prices.csv")
    missing = str(tmp_path / "missing.npy")  # scoring would fail on it: the flags are checked first
    assert "--runs must be at least 1, got 0" in _error(["eval", prices, missing, "--runs", "0"])
    for flag in ("--discriminative-iterations", "--predictive-iterations"):
        assert f"{flag} must be at least 1, got -5" in _error(["eval", prices, missing, flag, "-5"])
    existing = tmp_path / "outfile.txt"
    existing.write_text("keep")
    assert "--plots" in _error(["eval", prices, missing, "--plots", str(existing)])
    empty, fake, flat = tmp_path / "empty.npy", tmp_path / "fake.npy", tmp_path / "flat.npy"
    np.save(empty, np.zeros((0, 8, 2)))
    fake.write_bytes(b"not a numpy file at all")
    np.save(flat, np.zeros(5))
    assert "holds no sequences" in _error(["eval", prices, str(empty)])
    assert "cannot read" in _error(["eval", prices, str(fake)]) and "as a NumPy array" in _error(
        ["eval", prices, str(fake)]
    )
    assert "must be an (N, T, F) array" in _error(["eval", str(flat), str(flat)])
    assert "is a folder, not a file" in _error(["eval", prices, str(tmp_path)])
    short = tmp_path / "short.csv"
    pd.read_csv(prices).head(5).to_csv(short, index=False)
    windows = tmp_path / "w.npy"
    np.save(windows, np.random.default_rng(0).random((4, 8, 2)))
    message = _error(["eval", str(short), str(windows), "--columns", "a,b"])
    assert "the real series has 5 steps, fewer than the 8-step synthetic sequences" in message
    assert "--length 5" in message


def test_eval_names_too_short_archived_or_complex_samples(tmp_path, saved_models) -> None:
    # 1-step paths raised RuntimeError (predictive GRU) and ValueError (negative lag); .npz read as non-UTF-8 CSV;
    # complex values were cast to real with only a warning
    prices = str(saved_models["folder"] / "prices.csv")
    one_step, two_steps = tmp_path / "one.npy", tmp_path / "two.npy"
    np.save(one_step, np.zeros((4, 1, 2)))
    np.save(two_steps, np.zeros((4, 2, 2)))
    message = _error(["eval", prices, str(one_step), "--columns", "a,b"])
    assert "the synthetic sequences have 1 step; eval needs at least 2" in message
    for short in (one_step, two_steps):
        message = _error(["eval", prices, str(short), "--returns", "--columns", "a,b"])
        assert "stylized facts need paths of at least 3 returns" in message and "--length" in message
    few_prices = tmp_path / "few.csv"
    pd.read_csv(prices).head(3).to_csv(few_prices, index=False)
    windows = tmp_path / "w.npy"
    np.save(windows, np.zeros((4, 8, 2)))
    message = _error(["eval", str(few_prices), str(windows), "--returns", "--columns", "a,b"])
    assert "got paths of 8 and 2 real returns" in message
    archive, complex_values = tmp_path / "s.npz", tmp_path / "c.npy"
    np.savez(archive, samples=np.zeros((4, 8, 2)))
    np.save(complex_values, np.zeros((4, 8, 2), dtype=complex))
    assert "is a .npz archive; save the (N, T, F) array with numpy.save" in _error(["eval", prices, str(archive)])
    assert "is a .npz archive; pass a CSV series" in _error(["eval", str(archive), str(windows)])
    assert "does not hold an array of real numbers" in _error(["eval", prices, str(complex_values)])


def test_fit_names_a_folder_given_as_data(tmp_path) -> None:
    assert "is a folder, not a file" in _error(["fit", str(tmp_path), "--out", str(tmp_path / "m")])


def test_write_samples_keeps_an_existing_file_when_writing_fails(tmp_path, monkeypatch) -> None:
    target = tmp_path / "s.npy"
    target.write_bytes(b"earlier samples")

    def failing_save(file, array) -> None:  # a disk that fills up halfway through the write
        if isinstance(file, (str, Path)):
            with open(file, "wb") as handle:
                handle.write(b"half")
        else:
            file.write(b"half")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "save", failing_save)
    with pytest.raises(OSError):
        write_samples(np.zeros((2, 3, 2)), target, ["a", "b"])
    assert target.read_bytes() == b"earlier samples" and sorted(p.name for p in tmp_path.iterdir()) == ["s.npy"]
