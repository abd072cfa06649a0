"""Can a perfect model beat the block bootstrap on the `sp500-facts` scores? A simulation where the truth is known.

The `sp500-facts` scores compare the mean curves of 500 generated paths with the curves of *one* real series
(2,433 returns), which carry that series' sampling noise. This script makes worlds where the data-generating
process is known: GJR-GARCH(1,1)-t fitted to the real S&P 500 returns is taken as the truth, and each world is one
series of the real length simulated from it. In every world it scores, as `sp500-facts` does (500 paths x 4,000
steps, lags 1-250):

* **the true process** (500 paths of the very model that made the series: a perfect generative model);
* **the block bootstrap** of that world's series (the benchmark's baseline, same block-length rule);
* **GJR-GARCH(1,1)-t refitted** on that world's series (the benchmark's other baseline).

With `--holdout N` the comparison is out of sample, as `sp500-facts -o train_end=2015-12-31` makes it (N = 754):
each world's last N returns are only scored against, and the block bootstrap and the refitted GJR-GARCH-t see only
the returns before them.

It prints, per score, the mean and median over worlds and the share of worlds in which the true process scores
below the block bootstrap. A share near 0 means that the benchmark's comparison with the block bootstrap on that
score is won by resampling the series, not by knowing its law: no model that does not copy the series can be
expected to win it. (The truth here is a GJR model, simpler than the market; the argument needs only that one
series' curves are noisy, which holds for any law with volatility clustering.)

Usage: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/series_sp500_oracle.py [--worlds 100] [--paths 500]
[--length 4000] [--holdout N] [--out FILE]` (needs `arch`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from polemos.series import baselines, data
from polemos.series.bench import load_sp500_prices
from polemos.series.facts import facts_curves

MAX_LAG = 250
SCORES = ("acf_abs", "acf_squared", "leverage")


def curves(paths: np.ndarray) -> dict[str, np.ndarray]:
    """The mean curves that `metrics.stylized_facts` compares (ACF of |r| and r², leverage), lags 1-250."""
    return dict(zip(SCORES, facts_curves(paths, MAX_LAG), strict=True))


def distances(world: dict[str, np.ndarray], model: dict[str, np.ndarray]) -> dict[str, float]:
    """L2 distances over lags between a world's curves and a method's mean curves (the benchmark's scores)."""
    return {key: float(np.linalg.norm(world[key] - model[key])) for key in SCORES}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=100, help="simulated real series (one per world)")
    parser.add_argument("--paths", type=int, default=500, help="paths per method (the benchmark: 500)")
    parser.add_argument("--length", type=int, default=4000, help="steps per path (the benchmark: 4,000)")
    parser.add_argument(
        "--holdout",
        type=int,
        default=0,
        help="score on each world's last N returns only (0: in sample, as the benchmark)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON record here")
    args = parser.parse_args(argv)
    returns = data.log_returns(load_sp500_prices())
    if args.holdout and not MAX_LAG + 2 <= args.holdout <= len(returns) - 500:
        parser.error(f"--holdout must be 0 or {MAX_LAG + 2}-{len(returns) - 500} returns (lags up to {MAX_LAG})")
    truth = baselines.fit_garch(returns, asymmetric=True, student_t=True)
    true_curves = curves(baselines.garch_paths(truth, args.paths, args.length, seed=0))
    rows: dict[str, list[dict[str, float]]] = {"true process": [], "block bootstrap": [], "GJR-GARCH-t refitted": []}
    for world in range(args.worlds):
        world_series = baselines.garch_paths(truth, 1, len(returns), seed=10_000 + world)[0]
        # in sample: fit and score on the whole series; out of sample: fit on the start, score on the last N
        series = world_series[: len(world_series) - args.holdout]
        world_curves = curves(world_series[len(world_series) - args.holdout :] if args.holdout else world_series)
        rows["true process"].append(distances(world_curves, true_curves))
        bootstrap = baselines.block_bootstrap_paths(series, args.paths, args.length, seed=world)
        rows["block bootstrap"].append(distances(world_curves, curves(bootstrap)))
        refit = baselines.fit_garch(series, asymmetric=True, student_t=True)
        rows["GJR-GARCH-t refitted"].append(
            distances(world_curves, curves(baselines.garch_paths(refit, args.paths, args.length, seed=world)))
        )
        print(f"world {world + 1}/{args.worlds}", file=sys.stderr, flush=True)
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for method, records in rows.items():
        summary[method] = {
            key: {
                "mean": float(np.mean([r[key] for r in records])),
                "median": float(np.median([r[key] for r in records])),
            }
            for key in SCORES
        }
    wins = {
        key: float(
            np.mean([t[key] < b[key] for t, b in zip(rows["true process"], rows["block bootstrap"], strict=True)])
        )
        for key in SCORES
    }
    record = {
        "protocol": {
            "truth": {"model": "GJR-GARCH(1,1)-t fitted on the S&P 500 returns 2009-05-01 to 2018-12-31"} | vars(truth),
            "worlds": args.worlds,
            "series_length": len(returns),
            "holdout": args.holdout,
            "paths": args.paths,
            "path_length": args.length,
            "max_lag": MAX_LAG,
            "command": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/series_sp500_oracle.py "
            + " ".join(argv if argv is not None else sys.argv[1:]),
        },
        "scores": summary,
        "share_of_worlds_true_process_below_block_bootstrap": wins,
    }
    text = json.dumps(record, indent=2)
    if args.out is not None:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
