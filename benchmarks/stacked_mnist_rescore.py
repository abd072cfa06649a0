"""Scores kept stacked-MNIST run folders again, exactly as the benchmark does (BENCHMARKS.md §2).

For run folders kept with `stacked_mnist.py --runs-dir DIR` (each `DIR/seedS`): trains the benchmark's digit
classifier, draws the benchmark's 26,000 samples from each folder's exported (EMA) generator with the run's seed,
and prints one JSON line per folder: modes, KL and its parts, digit shares and `confident_share`.

Usage: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/stacked_mnist_rescore.py DIR/seed0 [DIR/seed1 ...]
[--seed S] [--epochs 5]` (the seed defaults to the number after "seed" in each folder's name).
Needs ../shared/data/mnist or POLEMOS_SHARED_DATA; prints a skip record otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import torch

from polemos.metrics.bench import _load_mnist, _mnist_or_skip, _train_digit_classifier, score_stacked_run


def _seed_of(folder: Path, seed: int | None) -> int:
    """The seed to sample with: ``seed`` if given, else the digits of a ``seedS`` folder name."""
    if seed is not None:
        return seed
    match = re.fullmatch(r"seed(\d+)", folder.name)
    if match is None:
        sys.exit(f"error: cannot tell the seed of {folder} (not named seedS); pass --seed")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="kept run folders (DIR/seedS)")
    parser.add_argument("--seed", type=int, default=None, help="sampling seed (default: from the folder name)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of the digit classifier (benchmark: 5)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    for folder in args.runs:
        if not (folder / "model.json").is_file():
            sys.exit(f"error: {folder} holds no exported generator (model.json); pass a DIR/seedS folder")
    seeds = [_seed_of(folder, args.seed) for folder in args.runs]
    torch.set_num_threads(args.threads)
    path, skipped = _mnist_or_skip("stacked-mnist-rescore")
    if skipped is not None:
        print(json.dumps(skipped))
        return
    classifier, accuracy = _train_digit_classifier(_load_mnist(path), args.epochs, None)
    for folder, seed in zip(args.runs, seeds, strict=True):
        record = {"run": str(folder), "seed": seed, "classifier_validation_accuracy": accuracy}
        print(json.dumps({**record, **score_stacked_run(classifier, folder, seed)}), flush=True)


if __name__ == "__main__":
    main()
