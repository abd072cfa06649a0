"""Recognizability of generated 8x8 digits, judged by a classifier trained on the real digits.

Protocol: scikit-learn's 1,797 digits are split 2/3 train, 1/3 held out (stratified, seed 0); an RBF SVC with
Platt-scaled probabilities is trained on the train part. The score of a set of images is the share whose
highest class probability is >= 0.8. The real reference is the same share on the held-out real digits; a
generator is compared to it as a ratio. The class histogram of the confident predictions shows mode coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

CONFIDENCE = 0.8


@dataclass(frozen=True)
class DigitsRecognizability:
    """Scores of a batch of generated digits.

    Attributes:
        generated_share: Share of generated images classified with probability >= 0.8.
        real_share: The same share on held-out real digits.
        ratio: generated_share / real_share (1.0 = as recognizable as real digits).
        class_counts: Predicted class of every generated image, counted per class 0-9.
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
    classifier = CalibratedClassifierCV(SVC(gamma="scale"), ensemble=False).fit(train_x, train_y)
    real_share = float((classifier.predict_proba(test_x).max(axis=1) >= CONFIDENCE).mean())
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
    probabilities = classifier.predict_proba(features)
    share = float((probabilities.max(axis=1) >= CONFIDENCE).mean())
    counts = np.bincount(probabilities.argmax(axis=1), minlength=10)
    return DigitsRecognizability(
        generated_share=share,
        real_share=real_share,
        ratio=share / real_share,
        class_counts=tuple(int(count) for count in counts),
        n_generated=len(images),
    )
