"""Runs the `sines` benchmark (BENCHMARKS.md §5) and prints or writes its JSON record.

Usage: `.venv/bin/python benchmarks/series_sines.py [--seeds 3] [--quick] [--time-budget S] [--out FILE]`
(the same as `polemos bench sines`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from polemos.series.bench import run_sines as run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="models trained, one per seed")
    parser.add_argument("--quick", action="store_true", help="reduced protocol (smoke run, not comparable)")
    parser.add_argument("--time-budget", type=float, default=None, help="training seconds per seed")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON record here")
    args = parser.parse_args()
    record = run(seeds=args.seeds, quick=args.quick, time_budget=args.time_budget, threads=args.threads)
    text = json.dumps(record, indent=2)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
