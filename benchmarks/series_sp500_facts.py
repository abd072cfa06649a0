"""Runs the `sp500-facts` benchmark (BENCHMARKS.md §6) and prints or writes its JSON record.

Usage: `.venv/bin/python benchmarks/series_sp500_facts.py [--seeds 3] [--quick] [--time-budget S] [--threads N]
[--out FILE] [-o train_steps=N] [-o train_end=YYYY-MM-DD]`
(the same as `polemos bench sp500-facts`).
"""

from polemos.series.bench import run_script

if __name__ == "__main__":
    run_script("sp500-facts")
