"""What real data scores on the stacked-MNIST protocol: the floor under the generator's KL (BENCHMARKS.md §2).

Draws 26,000 stacked images from the 10k test digits (as the benchmark's training set is drawn) and scores their
1,000-class histogram against uniform, once by the true labels and once through the benchmark's digit classifier.

Usage: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/stacked_mnist_floor.py [--epochs 5 15] [--seeds 101 102]`.
Needs ../shared/data/mnist or POLEMOS_SHARED_DATA; prints a skip record otherwise.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from polemos.metrics.bench import (
    STACKED_MNIST_SAMPLES,
    _load_mnist,
    _mnist_or_skip,
    _train_digit_classifier,
    confident_share,
    stacked_kl_parts,
    stacked_mnist,
    stacked_predictions,
)
from polemos.metrics.mixtures import reverse_kl_to_uniform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[5], help="classifier epochs to try")
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102], help="seeds of the stacked draws")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    path, skipped = _mnist_or_skip("stacked-mnist-floor")
    if skipped is not None:
        print(json.dumps(skipped))
        return
    mnist = _load_mnist(path)
    rows = []
    for epochs in args.epochs:
        started = time.perf_counter()
        classifier, accuracy = _train_digit_classifier(mnist, epochs, None)
        for seed in args.seeds:
            images, classes = stacked_mnist(mnist, STACKED_MNIST_SAMPLES, seed=seed)
            predicted, top_probabilities = stacked_predictions(classifier, images)
            rows.append(
                {
                    "classifier_epochs": epochs,
                    "classifier_validation_accuracy": accuracy,
                    "seed": seed,
                    "kl_true_labels": reverse_kl_to_uniform(torch.bincount(classes, minlength=1000)),
                    "kl_classifier": reverse_kl_to_uniform(torch.bincount(predicted, minlength=1000)),
                    "stacked_accuracy": float((predicted == classes).float().mean()),
                    "confident_share": confident_share(top_probabilities),
                    "kl_parts_classifier": {
                        key: value
                        for key, value in stacked_kl_parts(predicted).items()
                        if key not in ("kl", "digit_share")
                    },
                    "seconds": time.perf_counter() - started,
                }
            )
            print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
