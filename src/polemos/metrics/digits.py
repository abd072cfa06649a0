"""Recognizability of generated 8x8 digits, judged by a classifier trained on the real digits.

Protocol: scikit-learn's 1,797 digits are split 2/3 train, 1/3 held out (stratified, seed 0). An RBF SVC with
calibrated probabilities is trained on the train part plus an 11th class, "not a digit" (uniform noise,
pixel-shuffled digits, averages of two digits of different classes, noisy blobs around the mean digit: 300 of
each, seed 0); without it, a plain classifier labels uniform noise as a digit with probability >= 0.8 about 80 %
of the time (measured). The score of a set of images is the share whose highest digit-class probability is
>= 0.8. The real reference is the same share on the held-out real digits; a generator is compared to it as a
ratio. The histogram of predicted digit classes shows mode coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

CONFIDENCE = 0.8
NOT_A_DIGIT = 10  # the extra class


@dataclass(frozen=True)
class DigitsRecognizability:
    """Scores of a batch of generated digits.

    Attributes:
        generated_share: Share of generated images classified with probability >= 0.8.
        real_share: The same share on held-out real digits.
        ratio: generated_share / real_share (1.0 = as recognizable as real digits).
        class_counts: Most probable digit class of every generated image, counted per class 0-9.
        n_generated: Number of generated images scored.
    """

    generated_share: float
    real_share: float
    ratio: float
    class_counts: tuple[int, ...]
    n_generated: int

    @property
    def max_min_class_ratio(self) -> float:
        """Most frequent over least frequent predicted class (inf when a class is missing)."""
        counts = np.asarray(self.class_counts)
        return float("inf") if counts.min() == 0 else float(counts.max() / counts.min())


def _not_digits(rng: np.random.Generator, digits: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Images that must not be recognised as digits (pixels in [0, 1], shape (4 * count, 64))."""
    noise = rng.random((count, 64))
    shuffled = np.array([rng.permutation(row) for row in digits[rng.integers(len(digits), size=count)]])
    first, second = rng.integers(len(digits), size=(2, 4 * count))
    different = labels[first] != labels[second]
    mixed = (digits[first[different][:count]] + digits[second[different][:count]]) / 2
    blobs = np.clip(digits.mean(axis=0) + rng.normal(0.0, 0.1, (count, 64)), 0.0, 1.0)
    return np.concatenate([noise, shuffled, mixed, blobs])


@lru_cache(maxsize=1)
def _classifier() -> tuple[object, float]:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    digits = load_digits()
    features = digits.data / 16.0
    train_x, test_x, train_y, _ = train_test_split(
        features, digits.target, test_size=1 / 3, stratify=digits.target, random_state=0
    )
    negatives = _not_digits(np.random.default_rng(0), train_x, train_y, 300)
    inputs = np.concatenate([train_x, negatives])
    targets = np.concatenate([train_y, np.full(len(negatives), NOT_A_DIGIT)])
    classifier = CalibratedClassifierCV(SVC(gamma="scale"), ensemble=False).fit(inputs, targets)
    real_share = float((classifier.predict_proba(test_x)[:, :NOT_A_DIGIT].max(axis=1) >= CONFIDENCE).mean())
    return classifier, real_share


def digits_recognizability(images: torch.Tensor) -> DigitsRecognizability:
    """Scores generated digits.

    Args:
        images: Floats in [-1, 1] of shape (N, 1, 8, 8), as produced by a generator trained on ``digits``.
    """
    if images.ndim != 4 or tuple(images.shape[1:]) != (1, 8, 8):
        raise ValueError(f"expected images of shape (N, 1, 8, 8), got {tuple(images.shape)}")
    classifier, real_share = _classifier()
    features = ((images.detach().float().cpu().clamp(-1, 1) + 1) / 2).reshape(len(images), 64).numpy()
    digit_probabilities = classifier.predict_proba(features)[:, :NOT_A_DIGIT]
    share = float((digit_probabilities.max(axis=1) >= CONFIDENCE).mean())
    counts = np.bincount(digit_probabilities.argmax(axis=1), minlength=NOT_A_DIGIT)
    return DigitsRecognizability(
        generated_share=share,
        real_share=real_share,
        ratio=share / real_share,
        class_counts=tuple(int(count) for count in counts),
        n_generated=len(images),
    )
