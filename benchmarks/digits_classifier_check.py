"""Why the digits score needs a "not a digit" class: how often uniform noise passes as a confident digit.

Protocol: the split of `polemos.metrics.digits` (2/3 train, stratified, seed 0); a 10-class RBF SVC with calibrated
probabilities (no 11th class) vs the 11-class classifier that `digits_recognizability` uses; 500 uniform-noise
images (seed 0) in [0, 1]; share with top digit probability >= 0.8.

Usage: .venv/bin/python benchmarks/digits_classifier_check.py
"""

from __future__ import annotations

import json

import numpy as np
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from polemos.metrics.digits import CONFIDENCE, digits_recognizability


def main() -> None:
    digits = load_digits()
    train_x, _, train_y, _ = train_test_split(
        digits.data / 16.0, digits.target, test_size=1 / 3, stratify=digits.target, random_state=0
    )
    noise = np.random.default_rng(0).random((500, 64))
    plain = CalibratedClassifierCV(SVC(gamma="scale"), ensemble=False).fit(train_x, train_y)
    plain_share = float((plain.predict_proba(noise).max(axis=1) >= CONFIDENCE).mean())
    images = torch.tensor(noise, dtype=torch.float32).reshape(500, 1, 8, 8) * 2 - 1
    with_negatives = digits_recognizability(images).generated_share
    print(json.dumps({"noise_share_10_classes": plain_share, "noise_share_with_not_a_digit": with_negatives}))


if __name__ == "__main__":
    main()
