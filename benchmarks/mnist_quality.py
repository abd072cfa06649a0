"""Runs the `mnist-quality` benchmark (BENCHMARKS.md §3: default recipe vs dcgan-classic at the same wall-clock
budget; FID/KID/precision/recall on the in-house MNIST extractor) and prints JSON.

Usage: `.venv/bin/python benchmarks/mnist_quality.py [--seeds 3] [--quick] [--json] [--budget 600]
[--recipes default,dcgan-classic] [--generated 10000]` (the same as `polemos bench mnist-quality`).
Needs ../shared/data/mnist or POLEMOS_SHARED_DATA; prints a skip record otherwise.
"""

from __future__ import annotations

import argparse
import json

from polemos.metrics.bench import run_mnist_quality as run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="runs per recipe, one per seed")
    parser.add_argument("--quick", action="store_true", help="reduced protocol (smoke run, not comparable)")
    parser.add_argument("--json", action="store_true", help="print the summary only, as one JSON line")
    parser.add_argument("--budget", type=float, default=None, help="training seconds per run (default 600)")
    parser.add_argument("--recipes", default="default,dcgan-classic", help="comma-separated recipes")
    parser.add_argument("--generated", type=int, default=None, help="generated images per run (default 10k)")
    parser.add_argument("--classifier-epochs", type=int, default=None, help="epochs of the MNIST extractor")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--width", type=int, default=32, help="DCGAN base width of both recipes")
    parser.add_argument("-o", "--override", action="append", default=[], help="config key=value for every run")
    parser.add_argument("--runs-dir", default=None, help="keep the run folders here (default: temporary)")
    args = parser.parse_args()
    record = run(
        seeds=args.seeds,
        quick=args.quick,
        budget=args.budget,
        recipes=tuple(name.strip() for name in args.recipes.split(",") if name.strip()),
        generated=args.generated,
        classifier_epochs=args.classifier_epochs,
        threads=args.threads,
        width=args.width,
        overrides=tuple(args.override),
        runs_dir=args.runs_dir,
    )
    print(json.dumps(record.get("summary", record)) if args.json else json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
