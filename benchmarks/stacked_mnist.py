"""Runs the `stacked-mnist` benchmark (BENCHMARKS.md §2: modes covered of 1,000 and KL) and prints JSON.

Usage: `.venv/bin/python benchmarks/stacked_mnist.py [--seeds 3] [--quick] [--json] [--budget S] [--steps N]
[--recipe default|dcgan-classic|...] [--classifier-epochs E]` (the same as `polemos bench stacked-mnist`).
Needs ../shared/data/mnist or POLEMOS_SHARED_DATA; prints a skip record otherwise.
"""

from __future__ import annotations

import argparse
import json

from polemos.metrics.bench import run_stacked_mnist as run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="GANs trained, one per seed")
    parser.add_argument("--quick", action="store_true", help="reduced protocol (smoke run, not comparable)")
    parser.add_argument("--json", action="store_true", help="print the summary only, as one JSON line")
    parser.add_argument("--budget", type=float, default=None, help="training seconds per seed (default 600)")
    parser.add_argument(
        "--steps", type=int, default=None, help="cap on generator steps (by default the budget ends the run)"
    )
    parser.add_argument("--recipe", default="default", help="'default' or a preset name")
    parser.add_argument("--classifier-epochs", type=int, default=None, help="epochs of the digit classifier")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--first-seed", type=int, default=0, help="run seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--override", action="append", default=[], help="dotted config override (repeatable)")
    parser.add_argument("--runs-dir", default=None, help="keep the run folders here (default: temporary)")
    args = parser.parse_args()
    record = run(
        seeds=args.seeds,
        quick=args.quick,
        budget=args.budget,
        **({} if args.steps is None else {"steps": args.steps}),
        recipe=args.recipe,
        classifier_epochs=args.classifier_epochs,
        overrides=args.override,
        threads=args.threads,
        first_seed=args.first_seed,
        runs_dir=args.runs_dir,
    )
    print(json.dumps(record.get("summary", record)) if args.json else json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
