"""Runs the `sines` benchmark (BENCHMARKS.md §5) and prints or writes its JSON record.

Usage: `.venv/bin/python benchmarks/series_sines.py [--seeds 3] [--quick] [--time-budget S] [--threads N]
[--out FILE]`
(the same as `polemos bench sines`).
"""

from polemos.series.bench import script_main

if __name__ == "__main__":
    script_main("sines")
