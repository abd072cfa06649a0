"""Runs the `scenarios` benchmark (the next H days given the last L, on held-out time) and prints its JSON record.

SeriesGAN context scenarios vs the same model with random contexts, a historical block bootstrap and a conditional
GJR-GARCH(1,1)-t: energy score, CRPS, interval coverage (see `polemos.series.bench.run_scenarios`).

Usage: `.venv/bin/python benchmarks/series_scenarios.py [--seeds 3] [--quick] [--time-budget S] [--threads N]
[--out FILE] [-o train_steps=20000] [-o dataset=sp500|stocks] [-o context_length=40] [-o horizon=10] [-o scenarios=200]`
(the same as `polemos bench scenarios`).
"""

from polemos.series.bench import run_script

if __name__ == "__main__":
    run_script("scenarios")
