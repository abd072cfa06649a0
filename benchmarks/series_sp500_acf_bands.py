"""Where the S&P ACF(r²) distance comes from, lag band by lag band (docs §7, "Why ACF(r²) is lost out of sample").

Trains one SeriesGAN per seed exactly as `sp500-facts` does (`_SP500_MODEL`, its step count, `-o KEY=VALUE` overrides),
optionally on the returns up to `--train-end` only, draws the benchmark's paths (noise seed `1000 + seed`) and
GJR-GARCH-t paths (seed `seed`), and compares their mean ACF(r²) curves with the scored returns' curve (all returns,
or those after `--train-end`): the L2 distance over lags 1-5, 6-20, 21-64 and 65-250, the mean difference in each band,
and the curves at lags 1-5, for the scored returns and the training returns too. Prints one JSON record.

Usage: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/series_sp500_acf_bands.py --seeds 0 1 --train-end 2014-12-31
[--out FILE]` (needs `arch`; about as long per seed as `sp500-facts`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from polemos.config import parse_key_value
from polemos.series import baselines, bench, data, metrics
from polemos.series.model import SeriesGAN

BANDS = ((1, 5), (6, 20), (21, 64), (65, 250))


def band_distances(real_curve: np.ndarray, curve: np.ndarray) -> dict[str, dict[str, float]]:
    """Per lag band ``a-b``: the L2 norm and the mean of ``curve - real_curve`` over lags ``a..b`` (1-based)."""
    difference = np.asarray(curve) - np.asarray(real_curve)
    bands = [(low, min(high, len(difference))) for low, high in BANDS if low <= len(difference)]
    return {
        f"{low}-{high}": {
            "l2": float(np.linalg.norm(difference[low - 1 : high])),
            "mean_difference": float(difference[low - 1 : high].mean()),
        }
        for low, high in bands
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--train-end", default=None, help="fit on returns up to this date, score those after it")
    parser.add_argument("--paths", type=int, default=500)
    parser.add_argument("--length", type=int, default=4000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--option", "-o", action="append", default=[], help="SeriesGAN option KEY=VALUE (YAML)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    options = dict(parse_key_value(text, "--option KEY=VALUE", "train_steps=2000") for text in args.option)
    steps = int(options.pop("train_steps", bench._SP500_TRAIN_STEPS))
    if args.train_end is None:
        prices = bench.load_sp500_prices()
        scored = data.log_returns(prices)
    else:
        prices, scored, _ = bench._split_sp500(str(args.train_end))
    returns = data.log_returns(prices)
    max_lag = min(250, args.length - 2, len(scored) - 2)
    real_curve = metrics.autocorrelation(scored**2, max_lag)
    training_curve = metrics.autocorrelation(returns**2, max_lag)
    gjr_fit = baselines.fit_garch(returns, asymmetric=True, student_t=True)
    record: dict[str, Any] = {
        "train_end": args.train_end,
        "scored_returns": len(scored),
        "max_lag": max_lag,
        "lags_1_5": {"scored": real_curve[:5].tolist(), "training": training_curve[:5].tolist()},
        "training_returns": band_distances(real_curve, training_curve),
        "seeds": {},
    }
    for seed in args.seeds:
        gan = SeriesGAN(seed=seed, **{**bench._SP500_MODEL, **options}).fit(
            prices[:, None], window=64, returns=True, steps=steps
        )
        curves = {
            "SeriesGAN": metrics.autocorrelation(
                gan.sample(args.paths, length=args.length, seed=seed + 1000)[:, :, 0] ** 2, max_lag
            ),
            "GJR-GARCH(1,1)-t": metrics.autocorrelation(
                baselines.garch_paths(gjr_fit, args.paths, args.length, seed=seed) ** 2, max_lag
            ),
        }
        record["seeds"][str(seed)] = {
            "kept_step": gan.summary.selected_step if gan.summary is not None else None,
            **{
                method: {"total": float(np.linalg.norm(curve - real_curve)), "lags_1_5": curve[:5].tolist()}
                | band_distances(real_curve, curve)
                for method, curve in curves.items()
            },
        }
    text = json.dumps(record, indent=2)
    if args.out is not None:
        args.out.write_text(text)
    print(text)
    return record


if __name__ == "__main__":
    main()
