"""Runs the `sp500-facts` benchmark (BENCHMARKS.md §6) and prints or writes its JSON record.

Usage: `.venv/bin/python benchmarks/series_sp500_facts.py [--seeds 3] [--quick] [--time-budget S] [--threads N]
[--out FILE]`
(the same as `polemos bench sp500-facts`).
"""

from polemos.series.bench import script_main

if __name__ == "__main__":
    script_main("sp500-facts")
