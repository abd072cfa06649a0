"""Adult benchmark (BENCHMARKS.md section 4): polemos vs CTGAN, TVAE and GaussianCopula.

Usage:
    python benchmarks/tabular_adult.py --seeds 3 --budget 300 --json results.json
    python benchmarks/tabular_adult.py --quick

Peers need `pip install -c constraints.txt sdmetrics==0.32.0 ctgan sdv`; the protocol is in
polemos/tabular/bench.py and is returned with the results.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from polemos.tabular.bench import ALL_MODELS, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per model")
    parser.add_argument("--quick", action="store_true", help="1 seed, 60 s, 5,000 rows, polemos + GaussianCopula")
    parser.add_argument("--budget", type=float, default=None, help="wall-clock seconds for polemos and CTGAN")
    parser.add_argument("--models", default=None, help=f"comma-separated subset of {','.join(ALL_MODELS)}")
    parser.add_argument("--train-rows", type=int, default=None, help="subsample the 80%% training split")
    parser.add_argument("--data", type=Path, default=None, help="path to adult.csv")
    parser.add_argument("--no-small-data", action="store_true", help="skip the 1,000-row run")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: OMP_NUM_THREADS or 1)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    arguments = parser.parse_args(argv)
    options: dict = {}  # progress lines go to stderr by default
    if arguments.budget is not None:
        options["budget"] = arguments.budget
    if arguments.models:
        options["models"] = [name.strip() for name in arguments.models.split(",")]
    if arguments.train_rows is not None:
        options["train_rows"] = arguments.train_rows
    if arguments.data is not None:
        options["data_path"] = arguments.data
    if arguments.threads is not None:
        options["threads"] = arguments.threads
    if arguments.no_small_data:
        options["small_data"] = False
    result = run(seeds=arguments.seeds, quick=arguments.quick, **options)
    text = json.dumps(result, indent=1, default=str)
    if arguments.json is not None:
        arguments.json.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
