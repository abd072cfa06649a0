"""Runs the `ff-panel` benchmark (Fama-French 3 factors, monthly, from the `arch` package) and prints its JSON record.

SeriesGAN on the joint factor returns vs a joint block bootstrap, a joint i.i.d. bootstrap and CCC-GARCH baselines:
cross-correlation error and per-factor stylized facts (see `polemos.series.bench.run_ff_panel`).

Usage: `.venv/bin/python benchmarks/series_ff_panel.py [--seeds 3] [--quick] [--time-budget S] [--threads N]
[--out FILE] [-o train_steps=6000] [-o paths=200] [-o window=24]`
(the same as `polemos bench ff-panel`).
"""

from polemos.series.bench import run_script

if __name__ == "__main__":
    run_script("ff-panel")
