"""Benchmarks ``stocks``, ``sines`` (TimeGAN protocol, BENCHMARKS.md §5), ``sp500-facts`` (§6), ``ff-panel``
(a multi-factor panel: cross-asset correlation) and ``scenarios`` (context-conditional scenarios, scored with
proper scoring rules).

Each ``run`` returns ``{"benchmark", "protocol", "results"}``; the protocol records every setting behind
the numbers (budgets, iterations, seeds, machine). ``quick=True`` is a reduced protocol for smoke runs and is
labelled ``"reduced": true``; its numbers are not comparable with published ones.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from polemos.bench import BENCHMARKS, progress_note
from polemos.checks import check_seed
from polemos.errors import PolemosError
from polemos.series import baselines, data, metrics
from polemos.series.model import SeriesGAN, TrainingSummary

__all__ = ["load_fama_french", "run_ff_panel", "run_scenarios", "run_sines", "run_sp500_facts", "run_stocks"]

_DEFAULT_STOCKS = Path(__file__).resolve().parents[4] / "shared" / "data" / "stocks" / "stock_data.csv"
# the benchmark's published reference numbers (BENCHMARKS.md §5 table)
_PUBLISHED = {
    "stocks": {"TimeGAN": {"discriminative": 0.102, "predictive": 0.038}, "real data": {"predictive": 0.036}},
    "sines": {"TimeGAN": {"discriminative": 0.011, "predictive": 0.093}, "real data": {"predictive": 0.094}},
}


def _machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }


# training steps "without limit": a time budget stops the run
_NO_STEP_LIMIT = 10**9


def _training_budget(time_budget: float | None, budget: float | None, quick: bool, quick_default: float) -> float:
    """Seconds of each seed's fit: ``time_budget`` (scripts) or ``budget`` (``polemos bench --budget``) or a default."""
    chosen = time_budget if time_budget is not None else budget
    if chosen is not None:
        if not chosen > 0:
            raise PolemosError(f"the training budget must be positive seconds, got {chosen}; e.g. --budget 60")
        return float(chosen)
    return quick_default if quick else 600.0


def _timegan_benchmark(
    name: str,
    windows: np.ndarray,
    seeds: int,
    quick: bool,
    time_budget: float | None,
    discriminative_iterations: int | None,
    predictive_iterations: int | None,
    threads: int,
    model_options: dict[str, Any],
) -> dict[str, Any]:
    SeriesGAN(**model_options)  # bad options fail before the first progress line
    torch.set_num_threads(threads)
    budget = _training_budget(time_budget, None, quick, 60.0)
    disc_iterations = discriminative_iterations or (500 if quick else 2000)
    pred_iterations = predictive_iterations or (1000 if quick else 5000)
    discriminative, predictive, trainings = [], [], []
    for seed in range(seeds):
        progress_note(name, f"seed {seed}: training for {budget:.0f} s")
        gan = SeriesGAN(seed=seed, **model_options).fit(windows, steps=_NO_STEP_LIMIT, time_budget=budget)
        synthetic = gan.sample(len(windows), seed=seed + 1000)
        summary = gan.summary
        assert summary is not None
        trainings.append({"seed": seed, "steps": summary.steps, "seconds": round(summary.seconds, 1)})
        discriminative.append(metrics.discriminative_score(windows, synthetic, disc_iterations, seed=seed))
        predictive.append(metrics.predictive_score(windows, synthetic, pred_iterations, seed=seed))
        progress_note(
            name,
            f"seed {seed}: {summary.steps} steps, discriminative {discriminative[-1]:.4f}, "
            f"predictive {predictive[-1]:.4f}",
        )
    # train-on-real, test-on-real predictive score in the same harness, as the reference
    real_predictive = [metrics.predictive_score(windows, windows, pred_iterations, seed=seed) for seed in range(seeds)]
    return {
        "benchmark": name,
        "protocol": {
            "reduced": quick or disc_iterations < 2000 or pred_iterations < 5000 or seeds < 3,
            "windows": list(windows.shape),
            "preprocessing": "TimeGAN: reverse, min-max over the series, windows of 24 stride 1, shuffle"
            if name == "stocks"
            else "TimeGAN sines: sin(f t + phi), f, phi ~ U(0, 0.1), scaled (x + 1) / 2",
            "seeds": seeds,
            "training_budget_seconds": budget,
            "discriminative_iterations": disc_iterations,
            "predictive_iterations": pred_iterations,
            "synthetic_windows": len(windows),
            "model": {"class": "SeriesGAN", **model_options},
            "machine": _machine(),
        },
        "results": {
            "discriminative": vars(metrics.repeated(discriminative)),
            "predictive": vars(metrics.repeated(predictive)),
            "real_data_predictive": vars(metrics.repeated(real_predictive)),
            "training": trainings,
            "published": _PUBLISHED[name],
        },
    }


@BENCHMARKS.register("stocks", "TimeGAN Stocks (GOOG): discriminative and predictive scores")
def run_stocks(
    seeds: int = 3,  # models trained (one per seed), one scoring run each
    quick: bool = False,  # reduced protocol: 60 s training, 500/1000 scoring iterations
    data_path: str | Path | None = None,  # stock_data.csv; default ../shared/data/stocks/stock_data.csv
    time_budget: float | None = None,  # seconds of each seed's whole fit (default 600, quick 60)
    budget: float | None = None,  # the same, as passed by `polemos bench stocks --budget S`
    discriminative_iterations: int | None = None,  # default 2000 (quick 500)
    predictive_iterations: int | None = None,  # default 5000 (quick 1000)
    threads: int = 2,  # torch CPU threads
    **model_options: Any,  # SeriesGANConfig overrides
) -> dict[str, Any]:
    """Stocks benchmark under the TimeGAN protocol (BENCHMARKS.md §5)."""
    path = Path(data_path) if data_path is not None else _DEFAULT_STOCKS
    if not path.is_file():
        raise PolemosError(f"stock data not found at {path}; pass data_path=... (TimeGAN's stock_data.csv)")
    windows = data.load_stocks(path)
    return _timegan_benchmark(
        "stocks",
        windows,
        seeds,
        quick,
        time_budget if time_budget is not None else budget,
        discriminative_iterations,
        predictive_iterations,
        threads,
        model_options,
    )


@BENCHMARKS.register("sines", "TimeGAN Sines (10,000 x 24 x 5): discriminative and predictive scores")
def run_sines(
    seeds: int = 3,
    quick: bool = False,
    time_budget: float | None = None,
    budget: float | None = None,
    discriminative_iterations: int | None = None,
    predictive_iterations: int | None = None,
    threads: int = 2,
    **model_options: Any,
) -> dict[str, Any]:
    """Sines benchmark under the TimeGAN protocol (BENCHMARKS.md §5); arguments as in :func:`run_stocks`."""
    windows = data.sine_windows(10_000, 24, 5, seed=0)
    return _timegan_benchmark(
        "sines",
        windows,
        seeds,
        quick,
        time_budget if time_budget is not None else budget,
        discriminative_iterations,
        predictive_iterations,
        threads,
        model_options,
    )


# a smaller network than the default: windows are longer than TimeGAN's 24 steps, training is CPU-bound.
# Long paths: slow AR(1) noise inputs (time scales 10, 50, 100 days) carry volatility regimes past the 64-day
# window; a 256-step burn-in before each judged window stops the generator from setting a window's volatility
# level through its initial state (which a 4,000-step path forgets); the critic also reads |r|.
_SP500_MODEL = {
    "hidden": 32,
    # a 64-channel critic with (10, 50)-day drives: 3 seeds x 2,000 steps, ACF r^2 0.367 -> 0.343, ACF|r|
    # 0.341 -> 0.363, leverage 0.328 -> 0.332, against 32 channels and (10, 50, 100) (docs/benchmarks.md §7)
    "discriminator_channels": 64,
    "batch_size": 64,
    # slowest drive 50 days: the real ACF(r^2) is ~0 beyond lag 64; slower drives kept it up there
    "slow_noise_timescales": (10.0, 50.0),
    "critic_magnitude": True,
    # the critic's |.| channels in data units, where extreme days are extreme: more clustering of big days at
    # lag 1. With the 100-day drive, 3 seeds, 600 s: ACF r^2 0.416 -> 0.362 (docs/benchmarks.md §7)
    "critic_tails": True,
    "burn_in": 256,
    # keep the generator state whose long paths best match the training series' ACF(|r|), ACF(r^2) and
    # leverage (checked every 100 steps, in-sample), then give its paths the real mean and std: on seed 0
    # (600 s) ACF|r| 0.456 -> 0.352, ACF r^2 0.516 -> 0.415, EMD-20 0.0068 -> 0.0012 (docs/benchmarks.md §7)
    "select_every": 100,
    "calibrate_scale": True,
    # every 16 steps, fit the slow-noise inputs to the series' stylized-fact curves on 1,024-step paths (the
    # critic sees 64-day windows only); 3 seeds, 600 s: ACF|r| 0.400 -> 0.343, ACF r^2 0.451 -> 0.416,
    # leverage 0.341 -> 0.331, EMD-20 0.0019 -> 0.0023 (docs/benchmarks.md §7)
    "facts_weight": 1.0,
}


# Training steps per seed by default. The kept states lie at steps 1,200-1,600 (selection every 100 steps), and a
# step count, unlike the former 600 s budget, gives the same models on a slow or a fast machine.
_SP500_TRAIN_STEPS = 2000


def _step_limits(
    train_steps: int | None,
    time_budget: float | None,
    budget: float | None,
    quick: bool,
    default_steps: int,
    quick_seconds: float,
) -> tuple[int, float | None]:
    """Training steps and seconds per seed (``_NO_STEP_LIMIT`` / ``None``: no limit) of a step-based benchmark.

    Neither limit given: ``default_steps`` (a quick run: ``quick_seconds``). A time budget alone: that many seconds,
    however many steps fit (the protocol before 2026-12-02). Both: whichever comes first stops training.
    """
    if train_steps is not None and (
        isinstance(train_steps, bool) or not isinstance(train_steps, int) or train_steps < 1
    ):
        raise PolemosError(f"train_steps must be a positive whole number of steps, got {train_steps!r}")
    seconds = time_budget if time_budget is not None else budget
    if seconds is not None and not seconds > 0:
        raise PolemosError(f"the training budget must be positive seconds, got {seconds}; e.g. --budget 60")
    if train_steps is None and seconds is None:
        # quick runs are smoke tests on a short budget; full runs train a fixed number of steps
        return (_NO_STEP_LIMIT, quick_seconds) if quick else (default_steps, None)
    return (train_steps if train_steps is not None else _NO_STEP_LIMIT), (
        float(seconds) if seconds is not None else None
    )


def _training_record(seed: int, summary: TrainingSummary, seconds: float) -> dict[str, Any]:
    """One seed's training: steps, seconds and, with selection, the kept step and its selection scores."""
    training: dict[str, Any] = {"seed": seed, "steps": summary.steps, "seconds": round(seconds, 1)}
    # the selection score of the kept and the last state: in-sample stylized-fact distances (select_every), or
    # the held-out energy score (context_holdout)
    if summary.selection:
        scores = dict(summary.selection)
        training |= {
            "selected_step": summary.selected_step,
            "selection_score_kept": scores[summary.selected_step],
            "selection_score_last": summary.selection[-1][1],
            "selection_checks": len(summary.selection),
        }
    return training


def _limits_note(max_steps: int, seconds: float | None) -> str:
    """``"2,000 steps"``, ``"600 s"`` or both, for progress notes."""
    limits = [f"{max_steps:,} steps"] if max_steps < _NO_STEP_LIMIT else []
    limits += [f"{seconds:g} s"] if seconds is not None else []
    return " or ".join(limits)


def _sp500_closes(start: str = "2009-05-01", end: str = "2018-12-31") -> Any:
    """S&P 500 adjusted closes from ``arch.data.sp500`` between ``start`` and ``end`` (inclusive), dated."""
    try:
        from arch.data import sp500
    except ImportError:
        raise PolemosError("sp500-facts needs the arch package; install it with `pip install arch`") from None
    return sp500.load()["Adj Close"].loc[start:end]


def load_sp500_prices(start: str = "2009-05-01", end: str = "2018-12-31") -> np.ndarray:
    """S&P 500 adjusted closes from ``arch.data.sp500`` between ``start`` and ``end`` (inclusive)."""
    return _sp500_closes(start, end).to_numpy(dtype=np.float64)


def _split_sp500(train_end: str) -> tuple[np.ndarray, np.ndarray, str]:
    """The closes up to ``train_end``, the log returns after it, and a description of the scored period."""
    dated = _sp500_closes()
    closes = dated.to_numpy(dtype=np.float64)
    try:
        boundary = int((dated.index <= train_end).sum())
    except (TypeError, ValueError) as error:
        raise PolemosError(f"train_end {train_end!r} is not a date; pass YYYY-MM-DD, e.g. 2015-12-31") from error
    # at least 2 x 250 + 2 returns on each side: the scores reach lag 250
    if boundary < 503 or len(closes) - boundary < 502:
        raise PolemosError(
            f"train_end {train_end} leaves {boundary - 1} training and {len(closes) - boundary} scored returns; "
            "pick a date with at least 502 returns on each side (2009-05-01 to 2018-12-31), e.g. 2015-12-31"
        )
    scored = data.log_returns(closes[boundary - 1 :])  # the first scored return is the day after train_end
    return closes[:boundary], scored, f"{len(scored)} returns after {train_end} (out of sample)"


@BENCHMARKS.register("sp500-facts", "S&P 500 stylized facts vs GARCH and bootstrap baselines")
def run_sp500_facts(
    seeds: int = 3,  # GAN models trained (one per seed); baselines use the same seeds
    quick: bool = False,  # reduced protocol: 60 s training, 100 paths x 1,000 steps
    paths: int | None = None,  # generated paths (default 500)
    steps: int | None = None,  # steps per path (default 4000)
    window: int = 64,  # GAN training window, in days
    time_budget: float | None = None,  # seconds of each seed's whole fit (default: no limit, quick 60)
    budget: float | None = None,  # the same, as passed by `polemos bench sp500-facts --budget S`
    threads: int = 2,  # torch CPU threads
    train_end: str | None = None,  # out of sample: fit on closes up to this date, score on the later returns
    train_steps: int | None = None,  # training steps per seed (default 2,000 without a time budget)
    first_seed: int = 0,  # seeds first_seed .. first_seed + seeds - 1: split one protocol over parallel runs
    **model_options: Any,  # SeriesGANConfig overrides
) -> dict[str, Any]:
    """Stylized facts of 500 x 4,000 generated S&P 500 paths vs baselines fitted in the same run (§6).

    With ``train_end`` (e.g. ``"2015-12-31"``) the scores are out of sample: the GAN (with its selection and
    facts penalty), the GARCH fits and the bootstraps see only the closes up to ``train_end``, and every method is
    scored against the returns after it. BENCHMARKS.md §6 itself scores in sample (``train_end=None``).

    By default every seed trains 2,000 steps, however fast the machine. A ``time_budget`` (or ``budget``) alone
    trains for that many seconds instead (the protocol before 2026-12-02); with ``train_steps`` too, whichever
    limit comes first stops it.
    """
    torch.set_num_threads(threads)
    n_paths = paths or (100 if quick else 500)
    length = steps or (1000 if quick else 4000)
    # selection paths as long as the scored ones: the sample ACF at long lags depends on the path length
    model_options = {**_SP500_MODEL, "select_length": length, **model_options}
    SeriesGAN(**model_options)  # bad options fail before the data is loaded and the first progress line
    check_seed(first_seed, "first_seed (-o first_seed=N)")
    check_seed(first_seed + max(seeds, 1) - 1, "first_seed + seeds - 1")
    max_steps, seconds = _step_limits(train_steps, time_budget, budget, quick, _SP500_TRAIN_STEPS, 60.0)
    if train_end is None:
        prices = load_sp500_prices()
        returns = scored_returns = data.log_returns(prices)
        scored_on = "the training returns (in sample)"
    else:
        prices, scored_returns, scored_on = _split_sp500(str(train_end))
        returns = data.log_returns(prices)
    max_lag = min(250, length - 2)
    horizons = (1, 5, 20, 100)
    per_method: dict[str, list[dict[str, Any]]] = {}
    garch_fit = baselines.fit_garch(returns, asymmetric=False, student_t=False)
    gjr_fit = baselines.fit_garch(returns, asymmetric=True, student_t=True)
    trainings = []
    for seed in range(first_seed, first_seed + seeds):
        progress_note("sp500-facts", f"seed {seed}: training for {_limits_note(max_steps, seconds)}")
        start = time.perf_counter()
        gan = SeriesGAN(seed=seed, **model_options).fit(
            prices[:, None], window=window, returns=True, steps=max_steps, time_budget=seconds
        )
        generated = {
            "SeriesGAN": gan.sample(n_paths, length=length, seed=seed + 1000)[:, :, 0],
            "GARCH(1,1)-normal": baselines.garch_paths(garch_fit, n_paths, length, seed=seed),
            "GJR-GARCH(1,1)-t": baselines.garch_paths(gjr_fit, n_paths, length, seed=seed),
            "iid bootstrap": baselines.iid_bootstrap_paths(returns, n_paths, length, seed=seed),
            "block bootstrap": baselines.block_bootstrap_paths(returns, n_paths, length, seed=seed),
        }
        summary = gan.summary
        assert summary is not None
        training = _training_record(seed, summary, time.perf_counter() - start)
        trainings.append(training)
        progress_note("sp500-facts", f"seed {seed}: trained {summary.steps} steps in {training['seconds']:.0f} s")
        for method, method_paths in generated.items():
            facts = metrics.stylized_facts(scored_returns, method_paths, horizons=horizons, max_lag=max_lag)
            per_method.setdefault(method, []).append(facts.to_dict())
    summary_table: dict[str, dict[str, Any]] = {}
    for method, records in per_method.items():
        row: dict[str, Any] = {}
        for key in ("acf_r", "acf_abs", "acf_squared", "leverage"):
            row[key] = vars(metrics.repeated([r[key] for r in records]))
        for horizon in horizons:
            row[f"emd_{horizon}"] = vars(metrics.repeated([r["emd"][str(horizon)] for r in records]))
        summary_table[method] = row

    def mean(method: str, key: str) -> float:
        return summary_table[method][key]["mean"]

    checks = {
        f"beats {baseline} on {key}": mean("SeriesGAN", key) < mean(baseline, key)
        for baseline in ("GJR-GARCH(1,1)-t", "block bootstrap")
        for key in ("acf_abs", "acf_squared", "leverage")
    }
    checks["emd_20 no worse than GJR-GARCH(1,1)-t"] = mean("SeriesGAN", "emd_20") <= mean("GJR-GARCH(1,1)-t", "emd_20")
    return {
        "benchmark": "sp500-facts",
        "protocol": {
            "reduced": quick or n_paths < 500 or length < 4000 or seeds < 3,
            "data": "arch.data.sp500 Adj Close, 2009-05-01 to 2018-12-31, daily log returns",
            "returns": len(returns),
            "train_end": None if train_end is None else str(train_end),
            "scored_on": scored_on,
            "scored_returns": len(scored_returns),
            "paths": n_paths,
            "steps": length,
            "max_lag": max_lag,
            "horizons": list(horizons),
            "emd": "Wasserstein-1 between pooled overlapping k-day cumulative log returns",
            "seeds": seeds,
            "first_seed": first_seed,
            "gan_window": window,
            "training_budget_seconds": seconds,
            "training_steps": max_steps if max_steps < _NO_STEP_LIMIT else None,
            "block_length": "Politis-White optimal (circular) for r^2, arch.bootstrap.optimal_block_length",
            "model": {"class": "SeriesGAN", "returns": True, **model_options},
            "machine": _machine(),
        },
        "results": {"methods": summary_table, "checks": checks, "training": trainings},
    }


# ----------------------------------------------------------------------------------------------------
# ff-panel: a multi-factor panel, cross-asset correlation and per-factor stylized facts

FAMA_FRENCH_FACTORS = ("Mkt-RF", "SMB", "HML")
# a small network: the panel has about 1,100 monthly rows, so about 1,100 training windows
_PANEL_MODEL = {
    "hidden": 32,
    "discriminator_channels": 32,
    "batch_size": 64,
    # the long-memory recipe of sp500-facts, in months: magnitude channels in data units, 6- and 24-month
    # drives, a 4-year burn-in, and the state whose long paths best match the factors' ACF(|r|), ACF(r^2) and
    # leverage at lags 1-24 (in sample), rescaled to the real std. 3 seeds, 6,000 steps against the former model
    # at 3,000: mean ACF|r| 0.662 -> 0.423, ACF r^2 0.498 -> 0.399, rank correlation error 0.467 -> 0.113,
    # Pearson 0.421 -> 0.476 (docs/benchmarks.md §7b)
    "critic_magnitude": True,
    "critic_tails": True,
    # the critic also reads the products of each pair of standardised factor returns, so joint extreme months
    # (where this panel's Pearson correlations come from) are visible to it. 3 seeds, 6,000 steps: Pearson
    # correlation error 0.476 -> 0.241, rank 0.113 -> 0.096, ACF|r| + ACF r^2 + leverage 1.105 -> 1.016
    "critic_products": True,
    # and each pair's product averaged over the whole batch: one window's 24 months cannot show a correlation
    # off by 0.05-0.1, a batch's 1,536 can. Adopted by a rule set before the runs; 3 seeds, 6,000 steps on the
    # same machine: rank correlation error 0.083 -> 0.072, Pearson 0.283 -> 0.225, S 1.058 -> 0.991
    "critic_batch_products": True,
    "slow_noise_timescales": (6.0, 24.0),
    "burn_in": 48,
    "select_every": 100,
    "calibrate_scale": True,
}
# Training steps per seed of ff-panel by default: a step count gives the same models on a slow or a fast machine.
# 6,000 steps: one seed of three kept a later state than step 3,000, and the 3-seed mean of ACF|r| + ACF r^2 +
# leverage fell from 1.154 to 1.105 (docs/benchmarks.md §7b)
_PANEL_TRAIN_STEPS = 6000
_STYLIZED_KEYS = ("acf_r", "acf_abs", "acf_squared", "leverage")


def load_fama_french() -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """The monthly Fama-French 3 factors shipped with ``arch`` (``arch.data.frenchdata``), offline.

    Returns:
        ``(returns (T, 3), factor names, months "YYYY-MM")``: Mkt-RF, SMB and HML monthly returns as fractions
        (the file holds percent), 1926-07 to 2018-11 in arch 8 (1,109 months). The risk-free rate is left out.

    Raises:
        PolemosError: If ``arch`` is not installed.
    """
    try:
        from arch.data import frenchdata
    except ImportError:
        raise PolemosError("ff-panel needs the arch package (it ships the factors); `pip install arch`") from None
    frame = frenchdata.load()
    index = frame.index
    codes = np.asarray(index.asi8 if isinstance(index, pd.DatetimeIndex) else index, dtype=np.int64)
    if codes.max() < 10**7:  # arch parses the YYYYMM stamps as nanoseconds after 1970: the integer is the month
        months = tuple(f"{code // 100}-{code % 100:02d}" for code in codes)
    else:
        months = tuple(f"{stamp.year}-{stamp.month:02d}" for stamp in pd.DatetimeIndex(index))
    returns = frame[list(FAMA_FRENCH_FACTORS)].to_numpy(dtype=np.float64) / 100.0
    return returns, FAMA_FRENCH_FACTORS, months


def _pairs(names: tuple[str, ...]) -> list[tuple[int, int, str]]:
    return [(i, j, f"{names[i]}/{names[j]}") for i in range(len(names)) for j in range(i + 1, len(names))]


def _summaries(records: list[dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Per-key mean ± std over seeds of a list of flat per-seed records."""
    return {key: vars(metrics.repeated([record[key] for record in records])) for key in records[0]}


def _panel_scores(
    real: np.ndarray,  # (T, F) real panel
    generated: np.ndarray,  # (P, T', F) generated paths
    names: tuple[str, ...],  # the F column names
    horizons: tuple[int, ...],  # EMD horizons, in steps
    max_lag: int,  # ACF / leverage lags
) -> dict[str, float]:
    """Flat record of one method and seed: correlation errors, pairwise correlations, per-factor facts."""
    record = {
        "cross_correlation_error": metrics.cross_correlation_error(real, generated),
        # co-movement of volatility: the same error on |r|
        "abs_cross_correlation_error": metrics.cross_correlation_error(np.abs(real), np.abs(generated)),
        # rank correlation: the dependence without the weight Pearson gives to joint extreme months
        "rank_cross_correlation_error": metrics.cross_correlation_error(real, generated, method="spearman"),
    }
    pooled = generated.reshape(-1, len(names))
    correlation = np.corrcoef(pooled, rowvar=False)
    rank_correlation = np.corrcoef(stats.rankdata(pooled, axis=0), rowvar=False)  # Spearman, as a matrix
    for i, j, pair in _pairs(names):
        record[f"corr {pair}"] = float(correlation[i, j])
        record[f"rank corr {pair}"] = float(rank_correlation[i, j])  # where the rank error comes from
    facts_by_factor = [
        metrics.stylized_facts(real[:, column], generated[:, :, column], horizons=horizons, max_lag=max_lag)
        for column in range(len(names))
    ]
    for name, facts in zip(names, facts_by_factor, strict=True):
        for key in _STYLIZED_KEYS:
            record[f"{name} {key}"] = float(getattr(facts, key))
        for horizon in horizons:
            record[f"{name} emd_{horizon}"] = facts.emd[horizon]
    # the mean over factors, for a one-line comparison
    for key in _STYLIZED_KEYS:
        record[f"mean {key}"] = float(np.mean([getattr(facts, key) for facts in facts_by_factor]))
    for horizon in horizons:
        record[f"mean emd_{horizon}"] = float(np.mean([facts.emd[horizon] for facts in facts_by_factor]))
    return record


@BENCHMARKS.register(
    "ff-panel", "Fama-French 3-factor panel: cross-correlation, stylized facts vs CCC-GARCH, bootstrap"
)
def run_ff_panel(
    seeds: int = 3,  # GAN models trained (one per seed); the baselines are re-sampled with the same seeds
    quick: bool = False,  # reduced protocol: 5 s training, 50 paths x 300 months
    paths: int | None = None,  # generated paths per method (default 200)
    steps: int | None = None,  # months per path (default: the real series' length, 1,109)
    window: int = 24,  # GAN training window, in months
    max_lag: int = 24,  # ACF / leverage lags 1..max_lag, in months
    time_budget: float | None = None,  # seconds of each seed's whole fit (default: no limit, quick 5)
    budget: float | None = None,  # the same, as passed by `polemos bench ff-panel --budget S`
    threads: int = 2,  # torch CPU threads
    train_steps: int | None = None,  # training steps per seed (default 6,000 without a time budget)
    **model_options: Any,  # SeriesGANConfig overrides
) -> dict[str, Any]:
    """Monthly Fama-French factors (Mkt-RF, SMB, HML) as one multivariate panel; baselines in the same run.

    Protocol: the 3 factor series (monthly returns as fractions, ``arch.data.frenchdata``) are modelled jointly.
    SeriesGAN is trained in returns mode (QuantGAN preprocessing per factor, ``returns_input="log-returns"``: the
    factor returns are used as they are) on windows of ``window`` months, then generates ``paths`` paths of
    ``steps`` months. Baselines fitted or resampled on the same data: a joint moving-block bootstrap (blocks of
    dates, Politis-White length), a joint i.i.d. bootstrap of rows, and constant-conditional-correlation
    GARCH(1,1)-normal and GJR-GARCH(1,1)-t (per-factor GARCH, shocks correlated with the empirical correlation
    of the standardised residuals; Student-t margins through a Gaussian copula). Scores against the real panel:
    cross-correlation error ``||corr(real) - corr(generated)||_F`` of r, of |r| and of the ranks of r (Spearman;
    pooled over paths and steps), the generated pairwise correlations, and per factor the QuantGAN stylized-fact
    scores (ACF of r, |r|, r^2 and leverage over lags 1..``max_lag``; EMD of 1-, 3- and 12-month summed returns).
    The reference ``real halves`` is the cross-correlation error between the first and second halves of the
    real data: how much the target itself moves over time. Both bootstraps reproduce the correlation by
    construction (they copy whole dates), so they bound what a generator can reach on that score.
    In this panel the positive Pearson correlations of HML with the other factors come from a few extreme
    months (mostly before 1940): their rank correlations are near 0, so a model that reproduces the
    dependence of typical months but not joint extremes (per-factor transforms, a Gaussian copula) misses
    them; compare the Spearman error.

    By default every seed trains 6,000 steps, however fast the machine. A ``time_budget`` (or ``budget``) alone
    trains for that many seconds instead (the protocol before 2026-12-02: 600 s); with ``train_steps`` too,
    whichever limit comes first stops it.
    """
    torch.set_num_threads(threads)
    returns, names, months = load_fama_french()
    n_paths = paths or (50 if quick else 200)
    length = steps or (300 if quick else len(returns))
    max_lag = min(max_lag, length - 2)
    # selection paths as long as the scored ones, scored on the same lags
    model_options = {**_PANEL_MODEL, "select_length": length, "facts_max_lag": max_lag, **model_options}
    SeriesGAN(**model_options)  # bad options fail before the baselines are fitted and the first progress line
    max_steps, seconds = _step_limits(train_steps, time_budget, budget, quick, _PANEL_TRAIN_STEPS, 5.0)
    horizons = tuple(h for h in (1, 3, 12) if h < length)
    block_length = baselines.optimal_block_length(returns)
    ccc_normal = baselines.fit_ccc_garch(returns, asymmetric=False, student_t=False)
    ccc_gjr_t = baselines.fit_ccc_garch(returns, asymmetric=True, student_t=True)
    per_method: dict[str, list[dict[str, float]]] = {}
    trainings = []
    for seed in range(seeds):
        progress_note("ff-panel", f"seed {seed}: training for {_limits_note(max_steps, seconds)}")
        start = time.perf_counter()
        gan = SeriesGAN(seed=seed, **model_options).fit(
            pd.DataFrame(returns, columns=list(names)),
            window=window,
            returns=True,
            returns_input="log-returns",  # the factor returns are modelled as they are
            steps=max_steps,
            time_budget=seconds,
        )
        summary = gan.summary
        assert summary is not None
        trainings.append(_training_record(seed, summary, time.perf_counter() - start))
        progress_note("ff-panel", f"seed {seed}: trained {summary.steps} steps in {trainings[-1]['seconds']:.0f} s")
        generated = {
            "SeriesGAN": gan.sample(n_paths, length=length, seed=seed + 1000),
            "block bootstrap (joint)": baselines.block_bootstrap_paths(returns, n_paths, length, block_length, seed),
            "iid bootstrap (joint rows)": baselines.iid_bootstrap_paths(returns, n_paths, length, seed=seed),
            "CCC-GARCH(1,1)-normal": baselines.ccc_garch_paths(ccc_normal, n_paths, length, seed=seed),
            "CCC-GJR-GARCH(1,1)-t": baselines.ccc_garch_paths(ccc_gjr_t, n_paths, length, seed=seed),
        }
        for method, method_paths in generated.items():
            per_method.setdefault(method, []).append(_panel_scores(returns, method_paths, names, horizons, max_lag))
    table = {method: _summaries(records) for method, records in per_method.items()}
    real_correlation = np.corrcoef(returns, rowvar=False)
    real_rank_correlation = stats.spearmanr(returns).correlation
    half = len(returns) // 2
    real_halves = metrics.cross_correlation_error(returns[:half], returns[half:])

    def mean(method: str, key: str) -> float:
        return table[method][key]["mean"]

    checks = {
        f"cross-correlation error below {baseline}": mean("SeriesGAN", "cross_correlation_error")
        < mean(baseline, "cross_correlation_error")
        for baseline in table
        if baseline != "SeriesGAN"
    }
    checks.update(
        {
            f"rank cross-correlation error below {baseline}": mean("SeriesGAN", "rank_cross_correlation_error")
            < mean(baseline, "rank_cross_correlation_error")
            for baseline in ("CCC-GARCH(1,1)-normal", "CCC-GJR-GARCH(1,1)-t")
        }
    )
    checks["cross-correlation error below the real halves' difference"] = (
        mean("SeriesGAN", "cross_correlation_error") < real_halves
    )
    for baseline in ("CCC-GJR-GARCH(1,1)-t", "block bootstrap (joint)"):
        for key in ("acf_abs", "acf_squared", "leverage"):
            checks[f"beats {baseline} on mean {key}"] = mean("SeriesGAN", f"mean {key}") < mean(baseline, f"mean {key}")
    return {
        "benchmark": "ff-panel",
        "protocol": {
            "reduced": quick
            or n_paths < 200
            or length < len(returns)
            or seeds < 3
            or max_steps < _PANEL_TRAIN_STEPS
            or (seconds is not None and seconds < 600),
            "data": f"arch.data.frenchdata monthly {', '.join(names)} (percent / 100), {months[0]} to {months[-1]}",
            "months": len(returns),
            "paths": n_paths,
            "steps": length,
            "max_lag": max_lag,
            "horizons_months": list(horizons),
            "emd": "Wasserstein-1 between pooled overlapping k-month summed returns, per factor",
            "cross_correlation_error": "Frobenius norm of corr(real) - corr(generated), steps and paths pooled; "
            "also on |r| and on ranks (Spearman)",
            "seeds": seeds,
            "gan_window": window,
            "training_steps": max_steps if max_steps < _NO_STEP_LIMIT else None,
            "training_budget_seconds": seconds,
            "block_length": block_length,
            "block_length_rule": "Politis-White circular length of r^2, largest over factors (arch.bootstrap)",
            "ccc_garch": "per-factor GARCH by arch on percent returns, shocks ~ Gaussian copula with the "
            "standardised residuals' correlation, t margins for the -t model, 500 burn-in steps",
            "model": {"class": "SeriesGAN", "returns": True, "returns_input": "log-returns", **model_options},
            "machine": _machine(),
        },
        "results": {
            "real": {
                **{f"corr {pair}": float(real_correlation[i, j]) for i, j, pair in _pairs(names)},
                **{f"rank corr {pair}": float(real_rank_correlation[i, j]) for i, j, pair in _pairs(names)},
                "cross_correlation_error real halves": real_halves,
            },
            "methods": table,
            "checks": checks,
            "training": trainings,
        },
    }


# ----------------------------------------------------------------------------------------------------
# scenarios: the next H steps given the last L, scored with proper scoring rules on held-out contexts

_SCENARIO_DATASETS = ("sp500", "stocks")
# the small networks sp500-facts used before its long-path options, with held-out selection (2026-12-03)
_SCENARIO_MODEL = {
    "hidden": 32,
    "discriminator_channels": 32,
    "batch_size": 64,
    # keep the state whose scenarios score best (energy score) on the last 15 % of the training returns, held out
    # of training: without it, 600 s on a fast machine (~19,000 steps) over-fitted the training continuations
    # (energy 1.802, worse than the unconditional baselines); with it 1.697-1.700 (docs/benchmarks.md §7b)
    "context_holdout": 0.15,
    "select_every": 100,
    # stop 2,000 steps after the best held-out check: the 3 seeds kept steps 200-400 of 20,000, so the same
    # states in about a tenth of the time
    "select_patience": 2000,
    # the sp500-facts critic (magnitudes of the standardised returns in data units): chosen over the plain critic
    # by the held-out energy score, 3 seeds x 20,000 steps (0.015253 against 0.015260, a near tie)
    "critic_magnitude": True,
    "critic_tails": True,
}
# Training steps per seed by default: the same models on any machine (the held-out selection keeps an earlier state)
_SCENARIO_TRAIN_STEPS = 20_000


def _scenario_prices(dataset: str, data_path: str | Path | None) -> tuple[np.ndarray, str]:
    """Daily prices ``(T + 1,)`` in time order and their description."""
    if dataset == "sp500":
        return load_sp500_prices("1999-01-01", "2018-12-31"), "arch.data.sp500 Adj Close, 1999-01-04 to 2018-12-31"
    if dataset == "stocks":
        path = Path(data_path) if data_path is not None else _DEFAULT_STOCKS
        if not path.is_file():
            raise PolemosError(f"stock data not found at {path}; pass data_path=... (TimeGAN's stock_data.csv)")
        table = data.load_series_table(path, columns=["Adj_Close"], nan_policy="raise")
        # the file runs from about 50 to about 1,200 (GOOG 2004-2019): its row order is already oldest first
        return table.values[:, 0], "stock_data.csv Adj_Close (GOOG), rows in file order"
    raise PolemosError(f"unknown scenarios dataset {dataset!r}; use one of {', '.join(_SCENARIO_DATASETS)}")


def _scenario_scores(scenarios: np.ndarray, targets: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """Scores of scenarios ``(M, K, H)`` against targets ``(M, H)``, both in percent; plus per-origin energy."""
    per_step = scenarios.transpose(0, 2, 1)  # (M, H, K)
    cumulative, cumulative_target = scenarios.sum(axis=2), targets.sum(axis=1)  # H-step log return
    energy = metrics.energy_score(scenarios, targets)
    crps_steps = metrics.crps_ensemble(per_step, targets)
    lower, upper = np.quantile(per_step, [0.05, 0.95], axis=-1)
    record = {
        "energy_score": float(energy.mean()),
        "crps_per_step": float(crps_steps.mean()),
        "crps_cumulative": float(metrics.crps_ensemble(cumulative, cumulative_target).mean()),
        "coverage_50_per_step": metrics.interval_coverage(per_step, targets, 0.5),
        "coverage_90_per_step": metrics.interval_coverage(per_step, targets, 0.9),
        "coverage_90_cumulative": metrics.interval_coverage(cumulative, cumulative_target, 0.9),
        "width_90_per_step": float((upper - lower).mean()),
    }
    for step, value in enumerate(crps_steps.mean(axis=0), start=1):
        record[f"crps_step_{step}"] = float(value)
    return record, energy


@BENCHMARKS.register("scenarios", "Context scenarios (next H days given the last L): energy score, CRPS, coverage")
def run_scenarios(
    seeds: int = 3,  # GAN models trained (one per seed); the baselines are re-sampled with the same seeds
    quick: bool = False,  # reduced protocol: 5 s training, 50 scenarios, an origin every 4 H days
    dataset: str = "sp500",  # "sp500" (arch.data.sp500) or "stocks" (GOOG Adj_Close of stock_data.csv)
    data_path: str | Path | None = None,  # stock_data.csv for dataset="stocks"
    context_length: int = 40,  # L: given days
    horizon: int = 10,  # H: generated days
    scenarios: int | None = None,  # K scenarios per origin (default 200, quick 50)
    origin_stride: int | None = None,  # days between forecast origins (default H: disjoint targets; quick 4 H)
    train_fraction: float = 0.8,  # leading share of the returns used for training; origins lie after it
    time_budget: float | None = None,  # seconds of each seed's whole fit (default: no limit, quick 5)
    budget: float | None = None,  # the same, as passed by `polemos bench scenarios --budget S`
    threads: int = 2,  # torch CPU threads
    train_steps: int | None = None,  # training steps per seed (default 20,000 without a time budget)
    **model_options: Any,  # SeriesGANConfig overrides
) -> dict[str, Any]:
    """Quality of context-conditional scenarios on held-out time: proper scores against baselines, same run.

    Protocol: daily log returns ``r`` (T of them) are split in time at ``s = floor(train_fraction T)``.
    SeriesGAN is trained in returns mode on windows of ``L + H`` days of the training prices only (so its
    QuantGAN scaling sees no test data) with ``context_length = L``. Forecast origins are
    ``t = s, s + stride, ...`` with ``t + H <= T``: the context is ``r[t-L:t]`` (it may reach back into the
    training period; targets never do) and the target is ``r[t:t+H]``. Every method draws ``K`` scenarios of the
    ``H`` next returns per origin:

    * ``SeriesGAN``: the model given the true context;
    * ``SeriesGAN, random contexts``: the same model, each scenario given a context drawn at random from the
      training period, i.e. a sample of the model's unconditional law of the next ``H`` days (does the
      context help?);
    * ``historical bootstrap``: ``K`` random contiguous ``H``-day blocks of training returns (unconditional);
    * ``GJR-GARCH(1,1)-t``: fitted on the training returns, its variance filtered through all returns before
      ``t`` with the parameters fixed, then simulated ``H`` days (a classical conditional model).

    Scores, in percent log-return units, averaged over origins (lower is better unless stated): the energy
    score of the ``H``-vector (Gneiting & Raftery 2007), the CRPS per step (mean and by step), the CRPS of the
    ``H``-day cumulative return, the empirical coverage of the central 50 % and 90 % intervals per step and of
    the cumulative return (calibrated: 0.5 / 0.9), and the mean width of the 90 % per-step interval. For each
    baseline the paired per-origin energy-score difference ``SeriesGAN - baseline`` is reported with a naive
    standard error (origins treated as independent; volatility clustering makes it optimistic).

    By default every seed trains 20,000 steps, however fast the machine, and keeps the state whose scenarios
    score best on the held-out end of the training returns (``context_holdout``). A ``time_budget`` (or
    ``budget``) alone trains for that many seconds instead (the protocol before 2026-12-03, 600 s); with
    ``train_steps`` too, whichever limit comes first stops it.
    """
    torch.set_num_threads(threads)
    model_options = {**_SCENARIO_MODEL, **model_options}
    SeriesGAN(**model_options)  # bad options fail before the data is loaded and the first progress line
    n_scenarios = scenarios or (50 if quick else 200)
    stride = origin_stride or (4 * horizon if quick else horizon)
    max_steps, seconds = _step_limits(train_steps, time_budget, budget, quick, _SCENARIO_TRAIN_STEPS, 5.0)
    if not 0.0 < train_fraction < 1.0:
        raise PolemosError(f"train_fraction must be in (0, 1), got {train_fraction}")
    prices, description = _scenario_prices(dataset, data_path)
    returns = data.log_returns(prices)
    split = int(train_fraction * len(returns))
    if split < context_length + horizon + 1:
        raise PolemosError(f"{split} training returns are too few for windows of {context_length + horizon} days")
    origins = np.arange(max(split, context_length), len(returns) - horizon + 1, stride)
    if len(origins) == 0:
        raise PolemosError("no forecast origin after the split; lower train_fraction, horizon or origin_stride")
    contexts = np.stack([returns[t - context_length : t] for t in origins])  # (M, L)
    targets = np.stack([returns[t : t + horizon] for t in origins])  # (M, H)
    garch_fit = baselines.fit_garch(returns[:split], asymmetric=True, student_t=True)
    per_method: dict[str, list[dict[str, float]]] = {}
    differences: dict[str, list[dict[str, float]]] = {}
    trainings = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        progress_note("scenarios", f"seed {seed}: training for {_limits_note(max_steps, seconds)}")
        start = time.perf_counter()
        gan = SeriesGAN(seed=seed, **model_options).fit(
            prices[: split + 1, None],  # training prices only: the returns scaling sees no test data
            window=context_length + horizon,
            returns=True,
            context_length=context_length,
            steps=max_steps,
            time_budget=seconds,
        )
        summary = gan.summary
        assert summary is not None
        trainings.append(_training_record(seed, summary, time.perf_counter() - start))
        progress_note("scenarios", f"seed {seed}: trained {summary.steps} steps in {trainings[-1]['seconds']:.0f} s")
        count = len(origins) * n_scenarios
        given = np.repeat(contexts, n_scenarios, axis=0)[:, :, None]
        random_ends = rng.integers(context_length, split + 1, size=count)  # training contexts r[u-L:u]
        random_contexts = np.stack([returns[end - context_length : end] for end in random_ends])[:, :, None]
        block_starts = rng.integers(0, split - horizon + 1, size=(len(origins), n_scenarios))
        generated = {
            "SeriesGAN": gan.sample(count, context=given, seed=seed + 1000)[:, :, 0],
            "SeriesGAN, random contexts": gan.sample(count, context=random_contexts, seed=seed + 2000)[:, :, 0],
            "historical bootstrap": returns[block_starts[:, :, None] + np.arange(horizon)],
            "GJR-GARCH(1,1)-t": baselines.garch_forecast_paths(
                garch_fit, returns, origins, n_scenarios, horizon, seed=seed
            ),
        }
        energies = {}
        for method, values in generated.items():
            scenario_set = values.reshape(len(origins), n_scenarios, horizon) * 100.0  # percent
            record, energies[method] = _scenario_scores(scenario_set, targets * 100.0)
            per_method.setdefault(method, []).append(record)
        for method in generated:
            if method == "SeriesGAN":
                continue
            difference = energies["SeriesGAN"] - energies[method]
            differences.setdefault(method, []).append(
                {"mean": float(difference.mean()), "se": float(difference.std(ddof=1) / np.sqrt(len(difference)))}
            )
    table = {method: _summaries(records) for method, records in per_method.items()}

    def mean(method: str, key: str) -> float:
        return table[method][key]["mean"]

    checks = {
        f"energy score below {baseline}": mean("SeriesGAN", "energy_score") < mean(baseline, "energy_score")
        for baseline in table
        if baseline != "SeriesGAN"
    }
    checks["90% per-step coverage within 0.85-0.95"] = 0.85 <= mean("SeriesGAN", "coverage_90_per_step") <= 0.95
    return {
        "benchmark": "scenarios",
        "protocol": {
            "reduced": (
                quick or n_scenarios < 200 or stride > horizon or seeds < 3 or (seconds is not None and seconds < 600)
            ),
            "data": f"{description}, daily log returns",
            "returns": len(returns),
            "train_returns": split,
            "origins": len(origins),
            "first_origin": int(origins[0]),
            "origin_stride": stride,
            "context_length": context_length,
            "horizon": horizon,
            "scenarios_per_origin": n_scenarios,
            "units": "percent log returns",
            "energy_score": "E||X - y|| - E||X - X'|| / 2 over the H-vector, empirical law of the K scenarios",
            "seeds": seeds,
            "training_budget_seconds": seconds,
            "training_steps": max_steps if max_steps < _NO_STEP_LIMIT else None,
            "garch": {"model": "GJR-GARCH(1,1)-t fitted on the training returns", **vars(garch_fit)},
            "model": {"class": "SeriesGAN", "returns": True, "context_length": context_length, **model_options},
            "machine": _machine(),
        },
        "results": {
            "methods": table,
            "energy_difference_vs_seriesgan": {
                method: {
                    "mean": vars(metrics.repeated([r["mean"] for r in records])),
                    "se": [r["se"] for r in records],
                }
                for method, records in differences.items()
            },
            "checks": checks,
            "training": trainings,
        },
    }


def script_main(name: str, argv: list[str] | None = None) -> None:
    """Command-line wrapper shared by the ``benchmarks/series_*.py`` scripts (same as ``polemos bench NAME``)."""
    import argparse
    import json

    from polemos.config import parse_key_value

    parser = argparse.ArgumentParser(description=f"Runs the {name!r} benchmark and prints its JSON record.")
    parser.add_argument("--seeds", type=int, default=3, help="models trained, one per seed")
    parser.add_argument("--quick", action="store_true", help="reduced protocol (smoke run, not comparable)")
    parser.add_argument("--time-budget", type=float, default=None, help="seconds per seed for the whole fit")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON record here")
    parser.add_argument(
        "--option", "-o", action="append", default=[], help="extra key=value argument (YAML value), repeatable"
    )
    args = parser.parse_args(argv)
    options = dict(parse_key_value(text, "--option key=value", "paths=200") for text in args.option)
    record = BENCHMARKS.get(name)(
        seeds=args.seeds, quick=args.quick, time_budget=args.time_budget, threads=args.threads, **options
    )
    text = json.dumps(record, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


def run_script(name: str, argv: list[str] | None = None) -> None:
    """``script_main`` for the ``benchmarks/series_*.py`` files: bad input ends in one line on stderr."""
    import sys

    try:
        script_main(name, argv)
    except PolemosError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
