"""Tests of the panel baselines (joint bootstraps, CCC-GARCH) and the ``ff-panel`` benchmark."""

from __future__ import annotations

import json

import numpy as np
import pytest

from polemos.bench import load_benchmarks
from polemos.errors import PolemosError
from polemos.series import baselines, bench, metrics

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def test_new_benchmarks_are_registered() -> None:
    assert {"ff-panel", "scenarios"} <= set(load_benchmarks().names())


def test_rank_cross_correlation_error() -> None:
    rng = np.random.default_rng(0)
    panel = rng.standard_normal((500, 2))
    panel[:, 1] += panel[:, 0]
    # increasing transforms of each column keep the ranks: Spearman error 0; Pearson sees the change
    transformed = np.column_stack([np.exp(3 * panel[:, 0]), panel[:, 1] ** 3])
    assert metrics.cross_correlation_error(panel, transformed, method="spearman") == pytest.approx(0.0, abs=1e-12)
    assert metrics.cross_correlation_error(panel, transformed) > 0.05
    # rank correlation +1 vs -1: both off-diagonal entries differ by 2 -> sqrt(2^2 + 2^2)
    increasing = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 45.0]])
    reversed_second = np.column_stack([increasing[:, 0], increasing[::-1, 1]])
    assert metrics.cross_correlation_error(increasing, reversed_second, method="spearman") == pytest.approx(np.sqrt(8))
    with pytest.raises(PolemosError, match="correlation method"):
        metrics.cross_correlation_error(panel, panel, method="kendall")


def test_panel_bootstraps_keep_dates_together() -> None:
    panel = np.arange(100.0)[:, None] * np.array([1.0, 10.0])  # column 1 = 10 x column 0 on every date
    blocks = baselines.block_bootstrap_paths(panel, 4, 50, block_length=10, seed=0)
    assert blocks.shape == (4, 50, 2)
    np.testing.assert_array_equal(blocks[..., 1], 10 * blocks[..., 0])
    assert (np.diff(blocks[..., 0].reshape(4, 5, 10), axis=2) == 1).all()  # consecutive dates inside blocks
    rows = baselines.iid_bootstrap_paths(panel, 3, 40, seed=1)
    assert rows.shape == (3, 40, 2)
    np.testing.assert_array_equal(rows[..., 1], 10 * rows[..., 0])


def test_ccc_garch_paths_have_the_given_correlation_and_variance() -> None:
    fit = baselines.GarchFit(mu=0.0, omega=0.1, alpha=0.1, gamma=0.0, beta=0.8, nu=None)
    heavy = baselines.GarchFit(mu=0.0, omega=0.1, alpha=0.1, gamma=0.0, beta=0.8, nu=6.0)
    correlation = np.array([[1.0, 0.6], [0.6, 1.0]])
    paths = baselines.ccc_garch_paths(baselines.CccGarchFit((fit, fit), correlation), 100, 1000, seed=0)
    assert paths.shape == (100, 1000, 2)
    # the standardised shocks have correlation 0.6; with equal GARCH parameters the returns do too
    assert np.corrcoef(paths.reshape(-1, 2), rowvar=False)[0, 1] == pytest.approx(0.6, abs=0.02)
    # unconditional variance omega / (1 - alpha - beta) = 1 percent^2 -> std 0.01
    assert paths.std() == pytest.approx(0.01, rel=0.05)
    mixed = baselines.ccc_garch_paths(baselines.CccGarchFit((fit, heavy), correlation), 100, 1000, seed=0)
    # a Gaussian copula with a t(6) margin lowers the linear correlation slightly, but only slightly
    assert 0.5 < np.corrcoef(mixed.reshape(-1, 2), rowvar=False)[0, 1] < 0.6
    assert mixed[..., 1].std() == pytest.approx(0.01, rel=0.05)


def test_fit_ccc_garch_recovers_the_residual_correlation() -> None:
    pytest.importorskip("arch")
    fit = baselines.GarchFit(mu=0.0, omega=0.05, alpha=0.08, gamma=0.0, beta=0.9, nu=None)
    truth = baselines.CccGarchFit((fit, fit), np.array([[1.0, -0.4], [-0.4, 1.0]]))
    simulated = baselines.ccc_garch_paths(truth, 1, 3000, seed=3)[0]
    estimated = baselines.fit_ccc_garch(simulated, asymmetric=False, student_t=False)
    assert estimated.correlation[0, 1] == pytest.approx(-0.4, abs=0.05)
    assert estimated.fits[0].beta == pytest.approx(0.9, abs=0.06)


def test_fama_french_loader() -> None:
    pytest.importorskip("arch")
    returns, names, months = bench.load_fama_french()
    assert names == ("Mkt-RF", "SMB", "HML") and returns.shape == (len(months), 3)
    assert months[0] == "1926-07" and months[-1] >= "2018-11"
    # the file holds percent; July 1926: Mkt-RF 2.96, SMB -2.30, HML -2.87
    np.testing.assert_allclose(returns[0], [0.0296, -0.0230, -0.0287])


def test_ff_panel_record_compares_baselines_on_the_same_data() -> None:
    pytest.importorskip("arch")
    record = bench.run_ff_panel(seeds=1, paths=8, steps=300, time_budget=0.2, threads=1, **TINY)
    protocol, results = record["protocol"], record["results"]
    assert protocol["reduced"] is True and protocol["months"] == 1109 and protocol["horizons_months"] == [1, 3, 12]
    methods = results["methods"]
    assert set(methods) == {
        "SeriesGAN", "block bootstrap (joint)", "iid bootstrap (joint rows)", "CCC-GARCH(1,1)-normal",
        "CCC-GJR-GARCH(1,1)-t",
    }  # fmt: skip
    returns, _, _ = bench.load_fama_french()
    assert results["real"]["corr Mkt-RF/SMB"] == pytest.approx(np.corrcoef(returns[:, 0], returns[:, 1])[0, 1])
    # rows resampled whole keep the correlation: 2,400 rows give a small error (about 1/sqrt(n) per entry)
    assert methods["iid bootstrap (joint rows)"]["cross_correlation_error"]["mean"] < 0.15
    # independent factors would miss the three off-diagonal correlations twice each
    independent = np.random.default_rng(0).standard_normal((2400, 3))
    assert metrics.cross_correlation_error(returns, independent) > 0.5
    for method in methods.values():
        assert {"mean acf_abs", "HML leverage", "SMB emd_12", "corr SMB/HML", "rank_cross_correlation_error"} <= set(
            method
        )
    assert "cross-correlation error below CCC-GJR-GARCH(1,1)-t" in results["checks"]
    # rows resampled whole keep the rank correlations too, pair by pair
    for pair in ("Mkt-RF/SMB", "Mkt-RF/HML", "SMB/HML"):
        resampled = methods["iid bootstrap (joint rows)"][f"rank corr {pair}"]["mean"]
        assert resampled == pytest.approx(results["real"][f"rank corr {pair}"], abs=0.1)


def test_ff_panel_trains_a_fixed_number_of_steps(capsys) -> None:
    pytest.importorskip("arch")
    record = bench.run_ff_panel(seeds=1, paths=4, steps=100, threads=1, train_steps=3, **TINY)
    # no time budget cuts the run short: exactly 3 steps, and the record says so
    assert record["results"]["training"][0]["steps"] == 3
    protocol = record["protocol"]
    assert protocol["training_steps"] == 3 and protocol["training_budget_seconds"] is None
    assert protocol["reduced"] is True  # fewer steps than the default protocol's
    # the selection draws paths as long as the scored ones and scores the same lags
    assert protocol["model"]["select_length"] == 100 and protocol["model"]["facts_max_lag"] == 24
    assert protocol["model"]["select_every"] > 0 and record["results"]["training"][0]["selected_step"] is not None
    # the critic sees joint moves of the factors (their pairwise products), where the panel's correlations live
    assert protocol["model"]["critic_products"] is True and protocol["model"]["critic_batch_products"] is True
    assert capsys.readouterr().err.startswith("ff-panel: seed 0: training for 3 steps\n")


def test_ff_panel_quick_script(tmp_path, capsys) -> None:
    pytest.importorskip("arch")
    out = tmp_path / "ff.json"
    bench.script_main(
        "ff-panel",
        ["--quick", "--seeds", "1", "--time-budget", "0.5", "--threads", "1", "--out", str(out), "-o", "window=12"],
    )
    record = json.loads(out.read_text())
    assert record["benchmark"] == "ff-panel"
    assert (record["protocol"]["paths"], record["protocol"]["steps"]) == (50, 300)  # the quick defaults
    assert record["protocol"]["training_budget_seconds"] == 0.5
    assert record["protocol"]["gan_window"] == 12  # from -o window=12
    assert '"ff-panel"' in capsys.readouterr().out


def test_benchmark_script_refuses_an_option_without_a_value() -> None:
    with pytest.raises(PolemosError, match="not of the form --option key=value"):
        bench.script_main("ff-panel", ["--quick", "-o", "window"])


def test_benchmark_script_reports_bad_input_in_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        bench.run_script("ff-panel", ["--quick", "-o", "window"])
    assert stopped.value.code == PolemosError("").exit_code
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "not of the form --option key=value" in error and error.count("\n") == 1
