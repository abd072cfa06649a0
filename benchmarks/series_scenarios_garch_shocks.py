"""Scenarios from GJR-GARCH-t driven by GAN shocks, against GJR-GARCH-t itself (the `scenarios` protocol).

GJR-GARCH(1,1)-t is fitted on the training returns, as `polemos bench scenarios` fits it. SeriesGAN (the scenarios
benchmark's model options: context 40 days, horizon 10, held-out selection) then learns the standardised shocks
``z_t = eps_t / sigma_t`` of the training period instead of the returns. Its scenarios of ``z``, given the 40
previous shocks, replace the Student-t draws in the GJR recursion started at each origin's filtered variance
(`baselines.garch_forecast_paths(..., shocks=...)`). Both methods draw 200 scenarios per origin with shock seed
``1000 + seed`` and are scored like the benchmark (energy score in percent units) on two sets of origins: the
held-out stretch (the last 15 % of the training returns, every 10 days) and the benchmark's test origins.

Prints one JSON line per seed with the paired per-origin energy difference (hybrid minus GJR-GARCH-t) and its naive
standard error on both sets.

Usage: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/series_scenarios_garch_shocks.py --seeds 0 1 2
[--steps 20000]` (needs `arch`).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from polemos.series import baselines, bench, data
from polemos.series.model import SeriesGAN

CONTEXT, HORIZON, SCENARIOS = 40, 10, 200


def run_seed(seed: int, steps: int, scenarios: int = SCENARIOS) -> dict:
    """Trains the shock model for one seed and scores both methods on the held-out and the test origins."""
    returns = data.log_returns(bench._scenario_prices("sp500", None)[0])
    split = int(0.8 * len(returns))  # the benchmark's training returns
    held_out = int(round(bench._SCENARIO_MODEL["context_holdout"] * split))
    fit = baselines.fit_garch(returns[:split], asymmetric=True, student_t=True)
    variance, innovation = baselines.garch_filter(fit, returns)
    shocks = innovation / np.sqrt(variance)  # z_t: unit variance if the model is right
    start = time.perf_counter()
    gan = SeriesGAN(seed=seed, **bench._SCENARIO_MODEL).fit(
        shocks[:split, None],
        window=CONTEXT + HORIZON,
        returns=True,
        returns_input="log-returns",
        context_length=CONTEXT,
        steps=steps,
    )
    record: dict = {"seed": seed, "steps": gan.summary.steps, "kept_step": gan.summary.selected_step}
    record["seconds"] = round(time.perf_counter() - start, 1)
    origin_sets = {
        "held-out": np.arange(split - held_out + CONTEXT, split - HORIZON + 1, HORIZON),
        "test": np.arange(split, len(returns) - HORIZON + 1, HORIZON),
    }
    for name, origins in origin_sets.items():
        targets = np.stack([returns[t : t + HORIZON] for t in origins]) * 100
        contexts = np.repeat(np.stack([shocks[t - CONTEXT : t] for t in origins]), scenarios, axis=0)[:, :, None]
        drawn = gan.sample(len(contexts), context=contexts, seed=seed + 1000)[:, :, 0]
        paths = {
            "hybrid": baselines.garch_forecast_paths(
                fit, returns, origins, scenarios, HORIZON, shocks=drawn.reshape(len(origins), scenarios, HORIZON)
            ),
            "GJR-GARCH(1,1)-t": baselines.garch_forecast_paths(fit, returns, origins, scenarios, HORIZON, seed + 1000),
        }
        energies = {}
        for method, values in paths.items():
            scores, energies[method] = bench._scenario_scores(values * 100, targets)
            record[f"{name}: {method}"] = {
                key: round(scores[key], 4) for key in ("energy_score", "coverage_90_per_step")
            }
        difference = energies["hybrid"] - energies["GJR-GARCH(1,1)-t"]
        record[f"{name}: hybrid minus GJR-GARCH(1,1)-t"] = {
            "mean": round(float(difference.mean()), 4),
            "se": round(float(difference.std(ddof=1) / np.sqrt(len(difference))), 4),
            "origins": len(origins),
        }
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="SeriesGAN seeds")
    parser.add_argument("--steps", type=int, default=20_000, help="most training steps (early stopping may end first)")
    parser.add_argument("--scenarios", type=int, default=SCENARIOS, help="scenarios per origin")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for seed in args.seeds:
        print(json.dumps(run_seed(seed, args.steps, args.scenarios)), flush=True)


if __name__ == "__main__":
    main()
