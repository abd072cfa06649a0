"""Runs the `stocks` benchmark (BENCHMARKS.md §5) and prints or writes its JSON record.

Usage: `.venv/bin/python benchmarks/series_stocks.py [--seeds 3] [--quick] [--time-budget S] [--threads N]
[--out FILE]`
(the same as `polemos bench stocks`).
"""

from polemos.series.bench import run_script

if __name__ == "__main__":
    run_script("stocks")
