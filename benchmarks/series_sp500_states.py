"""Every state the `sp500-facts` selection checked, scored as the benchmark scores the kept one (docs §7).

Trains one SeriesGAN per seed exactly as `run_sp500_facts` does (`_SP500_MODEL`, 2,000 steps, selection every 100
steps), keeps a copy of the generator at every selection check, and then scores each copy from step `--min-step`
on as the benchmark scores the kept state: its own scale calibration, 500 paths x 4,000 steps of noise seed
`1000 + seed`, ACF(|r|), ACF(r²) and leverage over lags 1-250 against the whole series. Prints one JSON line per
state: the selection score, the three scores and EMD-20, so one can see how far a better choice among the checked
states could go. The copies are taken by wrapping the selection's private record method: a measurement tool, not
an API.

Usage: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/series_sp500_states.py --seeds 0 1 2 3 4 [--min-step 600]
[-o train_steps=2500]` (needs `arch`; about as long per seed as `sp500-facts`, plus ~10 s per scored state).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import torch

from polemos.config import parse_key_value
from polemos.series import bench, data, metrics
from polemos.series import model as series_model
from polemos.series.model import SeriesGAN


def checked_states(seed: int, options: dict[str, Any], min_step: int) -> list[dict[str, Any]]:
    """Trains seed ``seed`` as the benchmark does and scores every checked state from ``min_step`` on."""
    steps = options.pop("train_steps", bench._SP500_TRAIN_STEPS)
    states: dict[int, dict[str, torch.Tensor]] = {}
    record = series_model._Selector._record

    def record_and_copy(selector: Any, step: int, score: float, generator: Any) -> float:
        states[step] = {name: value.detach().clone() for name, value in generator.state_dict().items()}
        return record(selector, step, score, generator)

    calibration_inputs: dict[str, Any] = {}
    calibrate = series_model._scale_calibration

    def calibrate_and_keep_inputs(generator: Any, config: Any, series: Any) -> Any:
        calibration_inputs.update(config=config, series=series)
        return calibrate(generator, config, series)

    prices = bench.load_sp500_prices()
    returns = data.log_returns(prices)
    series_model._Selector._record = record_and_copy
    series_model._scale_calibration = calibrate_and_keep_inputs
    try:
        gan = SeriesGAN(seed=seed, **{**bench._SP500_MODEL, "select_length": 4000, **options}).fit(
            prices[:, None], window=64, returns=True, steps=steps
        )
    finally:
        series_model._Selector._record, series_model._scale_calibration = record, calibrate
    assert gan.summary is not None and gan.generator is not None
    selection = dict(gan.summary.selection)
    rows = []
    for step in sorted(state for state in states if state >= min_step):
        gan.generator.load_state_dict(states[step])
        gan.meta["calibration"] = calibrate(gan.generator, calibration_inputs["config"], calibration_inputs["series"])
        paths = gan.sample(500, length=4000, seed=seed + 1000)[:, :, 0]
        facts = metrics.stylized_facts(returns, paths, horizons=(20,), max_lag=250)
        rows.append(
            {
                "seed": seed,
                "step": step,
                "kept": step == gan.summary.selected_step,
                "selection_score": selection.get(step),
                "acf_abs": round(facts.acf_abs, 4),
                "acf_squared": round(facts.acf_squared, 4),
                "leverage": round(facts.leverage, 4),
                "emd_20": round(facts.emd[20], 5),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--min-step", type=int, default=600, help="score the states checked from this step on")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("-o", "--option", action="append", default=[], help="SeriesGAN option KEY=VALUE")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    options = dict(parse_key_value(text, "-o KEY=VALUE", "train_steps=2500") for text in arguments.option)
    for seed in arguments.seeds:
        checked_states(seed, dict(options), arguments.min_step)


if __name__ == "__main__":
    main()
