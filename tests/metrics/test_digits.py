"""The digits recognizability score separates real digits from noise."""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits

from polemos.metrics.digits import digits_recognizability


def test_real_digits_score_near_one_and_noise_near_zero() -> None:
    digits = torch.tensor(load_digits().images, dtype=torch.float32).unsqueeze(1) / 16 * 2 - 1
    real = digits_recognizability(digits[:1000])
    assert real.ratio > 0.9
    assert min(real.class_counts) > 0 and real.max_min_class_ratio < 1.5
    noise = digits_recognizability(torch.rand(500, 1, 8, 8) * 2 - 1)
    assert noise.generated_share < 0.05  # an 11th "not a digit" class keeps noise from scoring
    ones = digits[torch.tensor(load_digits().target) == 1][:100]
    single = digits_recognizability(ones)
    assert single.max_min_class_ratio == float("inf")  # one class only: collapse is visible
