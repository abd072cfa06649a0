"""Runs the `mixtures` benchmark (BENCHMARKS.md §1: modes captured, high-quality share, reverse KL) and prints JSON.

Usage: `.venv/bin/python benchmarks/mixtures.py [--seeds 5] [--quick] [--json] [--dataset ring-8|grid-25]
[--recipe default|minimax-2014] [--steps N] [--batch-size B] [--width W] [--depth D] [--pack P] [--latent-dim Z]
[--override game.key=value ...]` (the same as `polemos bench mixtures` with the defaults).
"""

from __future__ import annotations

import argparse
import json

from polemos.metrics.bench import MIXTURE_RECIPES
from polemos.metrics.bench import run_mixtures as run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="GANs trained, one per seed (protocol: >= 5)")
    parser.add_argument("--quick", action="store_true", help="reduced protocol (smoke run, not comparable)")
    parser.add_argument("--json", action="store_true", help="print the summary only, as one JSON line")
    parser.add_argument("--dataset", choices=("ring-8", "grid-25"), default="ring-8")
    parser.add_argument("--recipe", choices=tuple(MIXTURE_RECIPES), default="default")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--override", action="append", default=[], help="dotted config override (repeatable)")
    for name in ("steps", "batch-size", "width", "depth", "pack", "latent-dim", "train-points"):
        parser.add_argument(f"--{name}", type=int, default=None, help="points-task setting")
    parser.add_argument("--runs-dir", default=None, help="keep the run folders here (default: temporary)")
    args = parser.parse_args()
    settings = {
        key: getattr(args, key)
        for key in ("steps", "batch_size", "width", "depth", "pack", "latent_dim", "train_points")
        if getattr(args, key) is not None
    }
    record = run(
        seeds=args.seeds,
        quick=args.quick,
        dataset=args.dataset,
        recipe=args.recipe,
        overrides=args.override,
        threads=args.threads,
        runs_dir=args.runs_dir,
        **settings,
    )
    print(json.dumps(record["summary"]) if args.json else json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
