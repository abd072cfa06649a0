"""How low a smooth model can score on the S&P 500 stylized facts (BENCHMARKS.md §6), beside the block bootstrap.

The ACF and leverage scores are L2 distances over lags 1-250 to the curves of *one* real series (2,433 returns).
That curve holds its own sampling noise; a model's mean curve over 500 paths does not. This script fits, to each
real curve, the best monotone curve (isotonic regression: decreasing for ACF(|r|) and ACF(r²), increasing
towards 0 for the negative leverage curve; the zero curve for ACF(r)) and prints the L2 residual: no model whose
mean curve is monotone in the lag can score below it. The block bootstrap and GJR-GARCH-t, scored as in
`sp500-facts` (500 paths x 4,000 steps, the same seeds), are printed beside it.

With `--without START END` it also prints how far each real curve moves when the returns dated START to END
(inclusive) are removed and the two remaining pieces joined: the L2 distance between the two curves, in total and
per lag band, i.e. how much of a score one episode of the real series decides.

Usage: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/series_sp500_floor.py [--seeds 0 1 2]
[--without 2011-07-22 2011-09-01]` (needs `arch`).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from sklearn.isotonic import IsotonicRegression

from polemos.series import baselines, data, metrics
from polemos.series.bench import load_sp500_prices
from polemos.series.facts import facts_curves

MAX_LAG = 250


def monotone_floors(returns: np.ndarray, max_lag: int = MAX_LAG) -> dict[str, float]:
    """L2 distance from each real curve to its best monotone fit (the score's floor for monotone mean curves)."""
    lags = np.arange(1, max_lag + 1)
    curves = {
        "acf_abs": (metrics.autocorrelation(np.abs(returns), max_lag), False),
        "acf_squared": (metrics.autocorrelation(np.square(returns), max_lag), False),
        "leverage": (metrics.leverage_correlation(returns, max_lag), True),
    }
    floors = {"acf_r": float(np.linalg.norm(metrics.autocorrelation(returns, max_lag)))}  # vs the zero curve
    for key, (curve, increasing) in curves.items():
        fit = IsotonicRegression(increasing=increasing).fit_transform(lags, curve)
        floors[key] = float(np.linalg.norm(curve - fit))
    return floors


LAG_BANDS = ((1, 5), (6, 20), (21, 60), (61, 250))


def fact_curves(returns: np.ndarray, max_lag: int = MAX_LAG) -> dict[str, np.ndarray]:
    """The three curves that the ACF(|r|), ACF(r²) and leverage scores compare, at lags ``1..max_lag``."""
    return dict(zip(("acf_abs", "acf_squared", "leverage"), facts_curves(returns, max_lag), strict=True))


def episode_shift(returns: np.ndarray, removed: np.ndarray, max_lag: int = MAX_LAG) -> dict[str, dict[str, float]]:
    """L2 distance, in total and per lag band, between each real curve and the curve without the ``removed`` returns
    (a boolean mask; the remaining pieces are joined)."""
    full, without = fact_curves(returns, max_lag), fact_curves(returns[~removed], max_lag)
    shifts = {}
    for key, curve in full.items():
        difference = curve - without[key]
        bands = {f"lags {low}-{high}": float(np.linalg.norm(difference[low - 1 : high])) for low, high in LAG_BANDS}
        shifts[key] = {"total": float(np.linalg.norm(difference)), **bands}
    return shifts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of the baseline paths")
    parser.add_argument(
        "--without", nargs=2, metavar=("START", "END"), help="also: how far the real curves move without these dates"
    )
    args = parser.parse_args()
    returns = data.log_returns(load_sp500_prices())
    print(json.dumps({"method": "best monotone curve (floor)", "returns": len(returns), **monotone_floors(returns)}))
    if args.without:
        from arch.data import sp500

        start, end = args.without
        dates = sp500.load()["Adj Close"].loc["2009-05-01":"2018-12-31"].index[1:]  # the dates of the returns
        removed = np.asarray((dates >= start) & (dates <= end))
        shifts = episode_shift(returns, removed)
        short_lags = {
            "acf_squared lags 1-5, with": fact_curves(returns, 5)["acf_squared"].round(3).tolist(),
            "acf_squared lags 1-5, without": fact_curves(returns[~removed], 5)["acf_squared"].round(3).tolist(),
        }
        print(json.dumps({"without": [start, end], "returns_removed": int(removed.sum()), **shifts, **short_lags}))
    gjr_fit = baselines.fit_garch(returns, asymmetric=True, student_t=True)
    for method in ("block bootstrap", "GJR-GARCH(1,1)-t"):
        scores: dict[str, list[float]] = {}
        for seed in args.seeds:
            if method == "block bootstrap":
                paths = baselines.block_bootstrap_paths(returns, 500, 4000, seed=seed)
            else:
                paths = baselines.garch_paths(gjr_fit, 500, 4000, seed=seed)
            facts = metrics.stylized_facts(returns, paths, max_lag=MAX_LAG).to_dict()
            for key in ("acf_r", "acf_abs", "acf_squared", "leverage"):
                scores.setdefault(key, []).append(facts[key])
        print(json.dumps({"method": method, "seeds": args.seeds, **{k: float(np.mean(v)) for k, v in scores.items()}}))


if __name__ == "__main__":
    main()
