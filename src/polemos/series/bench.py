"""Benchmarks ``stocks``, ``sines`` (TimeGAN protocol, BENCHMARKS.md §5) and ``sp500-facts`` (§6).

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
import torch

from polemos.bench import BENCHMARKS
from polemos.errors import PolemosError
from polemos.series import baselines, data, metrics
from polemos.series.model import SeriesGAN

__all__ = ["run_sines", "run_sp500_facts", "run_stocks"]

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
    torch.set_num_threads(threads)
    budget = time_budget if time_budget is not None else (60.0 if quick else 600.0)
    disc_iterations = discriminative_iterations or (500 if quick else 2000)
    pred_iterations = predictive_iterations or (1000 if quick else 5000)
    discriminative, predictive, trainings = [], [], []
    for seed in range(seeds):
        gan = SeriesGAN(seed=seed, **model_options).fit(windows, steps=10**9, time_budget=budget)
        synthetic = gan.sample(len(windows), seed=seed + 1000)
        summary = gan.summary
        assert summary is not None
        trainings.append({"seed": seed, "steps": summary.steps, "seconds": round(summary.seconds, 1)})
        discriminative.append(metrics.discriminative_score(windows, synthetic, disc_iterations, seed=seed))
        predictive.append(metrics.predictive_score(windows, synthetic, pred_iterations, seed=seed))
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
    time_budget: float | None = None,  # training seconds per seed (default 600, quick 60)
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
        time_budget,
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
        time_budget,
        discriminative_iterations,
        predictive_iterations,
        threads,
        model_options,
    )


# a smaller network than the default: windows are longer than TimeGAN's 24 steps, training is CPU-bound
_SP500_MODEL = {"hidden": 32, "discriminator_channels": 32, "batch_size": 64}


def load_sp500_prices(start: str = "2009-05-01", end: str = "2018-12-31") -> np.ndarray:
    """S&P 500 adjusted closes from ``arch.data.sp500`` between ``start`` and ``end`` (inclusive)."""
    try:
        from arch.data import sp500
    except ImportError:
        raise PolemosError("sp500-facts needs the arch package; install it with `pip install arch`") from None
    return sp500.load()["Adj Close"].loc[start:end].to_numpy(dtype=np.float64)


@BENCHMARKS.register("sp500-facts", "S&P 500 stylized facts vs GARCH and bootstrap baselines")
def run_sp500_facts(
    seeds: int = 3,  # GAN models trained (one per seed); baselines use the same seeds
    quick: bool = False,  # reduced protocol: 60 s training, 100 paths x 1,000 steps
    paths: int | None = None,  # generated paths (default 500)
    steps: int | None = None,  # steps per path (default 4000)
    window: int = 64,  # GAN training window, in days
    time_budget: float | None = None,  # training seconds per seed (default 600, quick 60)
    threads: int = 2,  # torch CPU threads
    **model_options: Any,  # SeriesGANConfig overrides
) -> dict[str, Any]:
    """Stylized facts of 500 x 4,000 generated S&P 500 paths vs baselines fitted in the same run (§6)."""
    torch.set_num_threads(threads)
    model_options = {**_SP500_MODEL, **model_options}
    n_paths = paths or (100 if quick else 500)
    length = steps or (1000 if quick else 4000)
    budget = time_budget if time_budget is not None else (60.0 if quick else 600.0)
    prices = load_sp500_prices()
    returns = data.log_returns(prices)
    max_lag = min(250, length - 2)
    horizons = (1, 5, 20, 100)
    per_method: dict[str, list[dict[str, Any]]] = {}
    garch_fit = baselines.fit_garch(returns, asymmetric=False, student_t=False)
    gjr_fit = baselines.fit_garch(returns, asymmetric=True, student_t=True)
    trainings = []
    for seed in range(seeds):
        start = time.perf_counter()
        gan = SeriesGAN(seed=seed, **model_options).fit(
            prices[:, None], window=window, returns=True, steps=10**9, time_budget=budget
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
        trainings.append({"seed": seed, "steps": summary.steps, "seconds": round(time.perf_counter() - start, 1)})
        for method, method_paths in generated.items():
            facts = metrics.stylized_facts(returns, method_paths, horizons=horizons, max_lag=max_lag)
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
            "paths": n_paths,
            "steps": length,
            "max_lag": max_lag,
            "horizons": list(horizons),
            "emd": "Wasserstein-1 between pooled overlapping k-day cumulative log returns",
            "seeds": seeds,
            "gan_window": window,
            "training_budget_seconds": budget,
            "block_length": "Politis-White optimal (circular) for r^2, arch.bootstrap.optimal_block_length",
            "model": {"class": "SeriesGAN", "returns": True, **model_options},
            "machine": _machine(),
        },
        "results": {"methods": summary_table, "checks": checks, "training": trainings},
    }


def script_main(name: str, argv: list[str] | None = None) -> None:
    """Command-line wrapper shared by the ``benchmarks/series_*.py`` scripts (same as ``polemos bench NAME``)."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description=f"Runs the {name!r} benchmark and prints its JSON record.")
    parser.add_argument("--seeds", type=int, default=3, help="models trained, one per seed")
    parser.add_argument("--quick", action="store_true", help="reduced protocol (smoke run, not comparable)")
    parser.add_argument("--time-budget", type=float, default=None, help="training seconds per seed")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON record here")
    args = parser.parse_args(argv)
    record = BENCHMARKS.get(name)(
        seeds=args.seeds, quick=args.quick, time_budget=args.time_budget, threads=args.threads
    )
    text = json.dumps(record, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)
