"""Scenarios of several SeriesGAN seeds pooled (an ensemble) against single models (the `scenarios` protocol).

Each seed trains exactly as `polemos bench scenarios` trains it (context 40 days, horizon 10, held-out selection,
early stopping) and draws ``K`` scenarios per origin with noise seed ``1000 + seed``. The ensemble takes the first
``K / seeds`` scenarios of every seed, so it is scored on ``K`` scenarios as a single model is. Both are scored
(energy score in percent units) on the held-out stretch (the last 15 % of the training returns, every 10 days: the
selection's own origins) and on the benchmark's test origins; the ensemble is also compared with GJR-GARCH(1,1)-t
on the test origins (paired per-origin difference and its naive standard error, one GJR draw per seed).

Prints one JSON object. Usage: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/series_scenarios_ensemble.py
--seeds 0 1 2 3 4 [--steps 20000] [--scenarios 200]` (needs `arch`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from polemos.series import baselines, bench, data
from polemos.series.model import SeriesGAN

CONTEXT, HORIZON, SCENARIOS = 40, 10, 200


def run(seeds: list[int], steps: int, scenarios: int = SCENARIOS) -> dict:
    """Trains one model per seed and scores the single models and their pooled scenarios."""
    prices, _ = bench._scenario_prices("sp500", None)
    returns = data.log_returns(prices)
    split = int(0.8 * len(returns))  # the benchmark's training returns
    held_out = int(round(bench._SCENARIO_MODEL["context_holdout"] * split))
    origin_sets = {
        "held-out": np.arange(split - held_out + CONTEXT, split - HORIZON + 1, HORIZON),
        "test": np.arange(split, len(returns) - HORIZON + 1, HORIZON),
    }
    targets = {
        name: np.stack([returns[t : t + HORIZON] for t in origins]) * 100 for name, origins in origin_sets.items()
    }
    drawn: dict[str, list[np.ndarray]] = {name: [] for name in origin_sets}
    record: dict = {"seeds": [], "single": {name: [] for name in origin_sets}}
    for seed in seeds:
        start = time.perf_counter()
        gan = SeriesGAN(seed=seed, **bench._SCENARIO_MODEL).fit(
            prices[: split + 1, None], window=CONTEXT + HORIZON, returns=True, context_length=CONTEXT, steps=steps
        )
        record["seeds"].append(
            {"seed": seed, "kept_step": gan.summary.selected_step, "seconds": round(time.perf_counter() - start, 1)}
        )
        for name, origins in origin_sets.items():
            contexts = np.repeat(np.stack([returns[t - CONTEXT : t] for t in origins]), scenarios, axis=0)[:, :, None]
            values = gan.sample(len(contexts), context=contexts, seed=seed + 1000)[:, :, 0]
            values = values.reshape(len(origins), scenarios, HORIZON) * 100  # percent
            drawn[name].append(values)
            record["single"][name].append(round(bench._scenario_scores(values, targets[name])[0]["energy_score"], 4))
        print(json.dumps(record["seeds"][-1]), file=sys.stderr, flush=True)
    share = scenarios // len(seeds)
    fit = baselines.fit_garch(returns[:split], asymmetric=True, student_t=True)
    for name, origins in origin_sets.items():
        pooled = np.concatenate([values[:, :share] for values in drawn[name]], axis=1)  # share from every seed
        scores, ensemble_energy = bench._scenario_scores(pooled, targets[name])
        record[f"ensemble {name}"] = {
            key: round(scores[key], 4) for key in ("energy_score", "crps_per_step", "coverage_90_per_step")
        }
        if name != "test":
            continue
        record["ensemble minus GJR-GARCH(1,1)-t (test)"] = []
        for seed in seeds:
            paths = baselines.garch_forecast_paths(fit, returns, origins, scenarios, HORIZON, seed=seed) * 100
            gjr_scores, gjr_energy = bench._scenario_scores(paths, targets[name])
            difference = ensemble_energy - gjr_energy
            record["ensemble minus GJR-GARCH(1,1)-t (test)"].append(
                {
                    "gjr_energy": round(gjr_scores["energy_score"], 4),
                    "mean": round(float(difference.mean()), 4),
                    "se": round(float(difference.std(ddof=1) / np.sqrt(len(difference))), 4),
                }
            )
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="SeriesGAN seeds")
    parser.add_argument("--steps", type=int, default=20_000, help="most training steps (early stopping may end first)")
    parser.add_argument("--scenarios", type=int, default=SCENARIOS, help="scenarios per origin")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(json.dumps(run(args.seeds, args.steps, args.scenarios)), flush=True)


if __name__ == "__main__":
    main()
