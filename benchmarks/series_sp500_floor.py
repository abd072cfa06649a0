"""How low a smooth model can score on the S&P 500 stylized facts (BENCHMARKS.md §6), beside the block bootstrap.

The ACF and leverage scores are L2 distances over lags 1-250 to the curves of *one* real series (2,433 returns).
That curve holds its own sampling noise; a model's mean curve over 500 paths does not. This script fits, to each
real curve, the best monotone curve (isotonic regression: decreasing for ACF(|r|) and ACF(r²), increasing
towards 0 for the negative leverage curve; the zero curve for ACF(r)) and prints the L2 residual: no model whose
mean curve is monotone in the lag can score below it. The block bootstrap and GJR-GARCH-t, scored as in
`sp500-facts` (500 paths x 4,000 steps, the same seeds), are printed beside it.

Usage: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/series_sp500_floor.py [--seeds 0 1 2]` (needs `arch`).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from sklearn.isotonic import IsotonicRegression

from polemos.series import baselines, data, metrics
from polemos.series.bench import load_sp500_prices

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of the baseline paths")
    args = parser.parse_args()
    returns = data.log_returns(load_sp500_prices())
    print(json.dumps({"method": "best monotone curve (floor)", "returns": len(returns), **monotone_floors(returns)}))
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
