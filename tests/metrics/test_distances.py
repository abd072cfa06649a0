"""Metric math against closed forms, hand-computed values and a brute-force reference."""

from __future__ import annotations

import logging
import math
import time
import warnings

import numpy as np
import pytest
import scipy.linalg
import torch
from scipy.spatial.distance import cdist

from polemos.errors import PolemosError
from polemos.metrics import distances
from polemos.metrics.distances import (
    METRICS,
    classifier_score,
    density_coverage,
    fid_from_features,
    frechet_distance,
    kid_from_features,
    kth_neighbour_squared_radii,
    mean_and_covariance,
    one_nearest_neighbour_accuracy,
    prdc,
    precision_recall,
    squared_distance_chunks,
)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forces many small distance chunks so the chunk bookkeeping is exercised."""
    monkeypatch.setattr(distances, "_CHUNK_ELEMENTS", 1000)


# ----------------------------------------------------------------------------------------------------
# FID


def test_fid_of_identical_sets_is_zero() -> None:
    features = torch.randn(2000, 16)  # covariance trace ~16, so 1e-3 is ~1e-4 of the scale
    assert abs(fid_from_features(features, features)) < 1e-3


def test_frechet_distance_matches_closed_form_for_diagonal_gaussians() -> None:
    mu1, mu2 = np.array([0.0, 0.0, 0.0, 0.0]), np.array([1.0, 0.0, -1.0, 0.5])
    var1, var2 = np.array([1.0, 2.0, 0.5, 1.0]), np.array([2.0, 1.0, 0.5, 3.0])
    # |mu1 - mu2|^2 + sum(s1 + s2 - 2 sqrt(s1 s2)) written out by hand
    expected = (1 + 0 + 1 + 0.25) + (3 - 2 * math.sqrt(2)) * 2 + 0.0 + (4 - 2 * math.sqrt(3))
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_matches_closed_form_for_scaled_full_covariance() -> None:
    # sigma2 = c^2 sigma1 commutes with sigma1: tr(s1 + c^2 s1 - 2 c s1) = (1 - c)^2 tr(s1)
    basis = np.array([[2.0, 0.3, -0.5], [0.1, 1.0, 0.4], [0.0, -0.2, 1.5]])
    sigma1 = basis @ basis.T
    scale = 1.7
    mu1, mu2 = np.array([0.5, -1.0, 2.0]), np.array([0.0, 1.0, 2.0])
    expected = 0.25 + 4.0 + (1 - scale) ** 2 * np.trace(sigma1)
    got = frechet_distance(torch.tensor(mu1), torch.tensor(sigma1), mu2, scale**2 * sigma1)
    assert got == pytest.approx(expected, rel=1e-9)


def test_fid_of_gaussian_samples_matches_closed_form() -> None:
    generator = torch.Generator().manual_seed(1)
    mu2 = torch.tensor([1.0, 0.0, -1.0, 0.5], dtype=torch.float64)
    std1 = torch.tensor([1.0, 2.0, 0.5, 1.0], dtype=torch.float64).sqrt()
    std2 = torch.tensor([2.0, 1.0, 0.5, 3.0], dtype=torch.float64).sqrt()
    count = 20000
    real = torch.randn(count, 4, generator=generator, dtype=torch.float64) * std1
    fake = torch.randn(count, 4, generator=generator, dtype=torch.float64) * std2 + mu2
    expected = 2.25 + (3 - 2 * math.sqrt(2)) * 2 + (4 - 2 * math.sqrt(3))  # = 3.1290
    # sampling error at N = 20000 in 4-d: std of the estimate ~0.03 (mean term 2 |dmu| sigma / sqrt(N))
    assert fid_from_features(real, fake) == pytest.approx(expected, abs=0.1)


def test_covariance_is_the_unbiased_sample_covariance_as_in_pytorch_fid() -> None:
    mean, covariance = mean_and_covariance(np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 4.0]]))
    np.testing.assert_allclose(mean, [2.0, 2.0])
    # deviations (-2, -1), (0, -1), (2, 2): sums of products / (3 - 1)
    np.testing.assert_allclose(covariance, [[4.0, 3.0], [3.0, 3.0]])


def test_fid_of_rank_deficient_features_is_finite() -> None:
    # 10 samples in 20-d: singular covariances need the eps * I fallback or a real part of sqrtm
    real, fake = torch.randn(10, 20), torch.randn(10, 20) + 1.0
    value = fid_from_features(real, fake)
    assert math.isfinite(value) and value > 0


def test_fid_of_a_constant_feature_gives_one_note_not_a_scipy_warning(caplog) -> None:
    real, fake = torch.randn(50, 8), torch.randn(50, 8) + 1.0
    real[:, 0] = fake[:, 0] = 0.0  # a feature that never varies (blank border pixels): singular covariances
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="polemos.metrics.distances"):
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)  # scipy's warning must not leak
        value = fid_from_features(real, fake)
    assert math.isfinite(value) and value > 0
    notes = [record.getMessage() for record in caplog.records]
    assert len(notes) == 1 and notes[0].startswith("note: the feature covariance is singular")


def test_fid_rejects_mismatched_widths() -> None:
    with pytest.raises(PolemosError, match="dimensions"):
        fid_from_features(torch.randn(10, 3), torch.randn(10, 4))


# ----------------------------------------------------------------------------------------------------
# KID


def _unbiased_mmd2_by_loops(x: np.ndarray, y: np.ndarray, degree: int, gamma: float, coef0: float) -> float:
    """Unbiased MMD^2 with explicit loops over pairs (independent of the vectorised implementation)."""
    m = len(x)

    def kernel(a: np.ndarray, b: np.ndarray) -> float:
        return (gamma * float(a @ b) + coef0) ** degree

    within_x = sum(kernel(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    within_y = sum(kernel(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    across = sum(kernel(x[i], y[j]) for i in range(m) for j in range(m))
    return within_x / (m * (m - 1)) + within_y / (m * (m - 1)) - 2 * across / (m * m)


def test_kid_of_two_samples_of_one_distribution_is_near_zero() -> None:
    mean, std = kid_from_features(torch.randn(2000, 32), torch.randn(2000, 32), num_subsets=20)
    assert abs(mean) < 1e-3
    assert math.isfinite(std)


def test_kid_of_a_set_with_itself_is_the_negative_diagonal_correction() -> None:
    """The unbiased estimator is *not* 0 for literally identical sets: with x = y and m points,

    MMD^2 = 2 S_off / (m (m-1)) - 2 (S_off + S_diag) / m^2 = (2 / m) (mean_off - mean_diag),

    where S_off, S_diag sum the off-diagonal and diagonal kernel values (the cross term counts k(x_i, x_i)).
    """
    features = np.random.default_rng(1).normal(size=(200, 8))
    kernel = (features @ features.T / 8 + 1.0) ** 3
    mean_diagonal = np.trace(kernel) / 200
    mean_off_diagonal = (kernel.sum() - np.trace(kernel)) / (200 * 199)
    expected = 2 / 200 * (mean_off_diagonal - mean_diagonal)
    assert expected < -0.05  # far from 0: the diagonal terms k(x, x) = (|x|^2 / d + 1)^3 are ~8
    mean, std = kid_from_features(features, features, num_subsets=3, subset_size=200)
    assert mean == pytest.approx(expected, rel=1e-9)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_kid_of_different_distributions_is_positive() -> None:
    real, fake = torch.randn(1500, 32), torch.randn(1500, 32) + 0.5
    mean, std = kid_from_features(real, fake, num_subsets=20)
    assert math.isfinite(std) and std > 0
    assert mean > 0.05 and mean > 10 * std


def test_kid_clips_subsets_to_the_smaller_set_and_matches_hand_computation() -> None:
    generator = np.random.default_rng(0)
    x, y = generator.normal(size=(50, 6)), generator.normal(0.3, 1.2, size=(50, 6))
    # subset_size 1000 > 50: every subset is the whole set, so all estimates equal the full-set MMD^2
    mean, std = kid_from_features(x, y, num_subsets=5, subset_size=1000)
    assert mean == pytest.approx(_unbiased_mmd2_by_loops(x, y, degree=3, gamma=1 / 6, coef0=1.0), rel=1e-9)
    assert std == pytest.approx(0.0, abs=1e-12)
    linear, _ = kid_from_features(x, y, num_subsets=2, subset_size=1000, degree=1, gamma=1.0, coef0=0.0)
    assert linear == pytest.approx(_unbiased_mmd2_by_loops(x, y, degree=1, gamma=1.0, coef0=0.0), rel=1e-9)


def test_kid_subset_size_is_clipped_to_min_of_both_sets() -> None:
    real, fake = torch.randn(40, 5), torch.randn(60, 5)
    assert kid_from_features(real, fake, num_subsets=7, subset_size=1000) == kid_from_features(
        real, fake, num_subsets=7, subset_size=40
    )


# ----------------------------------------------------------------------------------------------------
# Chunked distances, PRDC


def test_chunked_squared_distances_match_cdist(small_chunks: None) -> None:
    rows, columns = torch.randn(37, 5, dtype=torch.float64), torch.randn(53, 5, dtype=torch.float64)
    blocks = list(squared_distance_chunks(rows, columns))
    assert len(blocks) > 1
    stacked = torch.cat([block for _, block in blocks])
    assert [start for start, _ in blocks] == list(range(0, 37, blocks[1][0]))
    np.testing.assert_allclose(stacked.numpy(), cdist(rows.numpy(), columns.numpy(), "sqeuclidean"), atol=1e-10)


def test_kth_neighbour_radius_on_a_line() -> None:
    points = torch.tensor([[0.0], [1.0], [3.0], [6.0]])
    # neighbours of 0: 1, 3, 6; of 1: 0 (1), 3 (2), 6 (5); of 3: 1 (2), 0 (3), 6 (3); of 6: 3, 1, 0
    assert kth_neighbour_squared_radii(points, 1).tolist() == [1.0, 1.0, 4.0, 9.0]
    assert kth_neighbour_squared_radii(points, 2).tolist() == [9.0, 4.0, 9.0, 25.0]


def _prdc_brute_force(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    real_radii = np.sort(cdist(real, real), axis=1)[:, k]  # column 0 is the point itself
    fake_radii = np.sort(cdist(fake, fake), axis=1)[:, k]
    real_fake = cdist(real, fake)  # [i, j] = |real_i - fake_j|
    inside_real_balls = real_fake <= real_radii[:, None]
    return {
        "precision": inside_real_balls.any(axis=0).mean(),
        "recall": (real_fake <= fake_radii[None, :]).any(axis=1).mean(),
        "density": inside_real_balls.sum(axis=0).mean() / k,
        "coverage": (real_fake.min(axis=1) <= real_radii).mean(),
    }


def test_prdc_matches_brute_force_reference(small_chunks: None) -> None:
    generator = np.random.default_rng(3)
    real = generator.normal(size=(300, 5))
    fake = generator.normal(0.4, 1.3, size=(250, 5))
    expected = _prdc_brute_force(real, fake, k=3)
    got = prdc(torch.tensor(real), torch.tensor(fake), k=3)
    for name in expected:
        assert got[name] == pytest.approx(expected[name], abs=1e-12), name
    assert precision_recall(real, fake, k=3) == (got["precision"], got["recall"])
    assert density_coverage(real, fake, k=3) == (got["density"], got["coverage"])


def test_precision_recall_of_disjoint_distributions_are_zero() -> None:
    real, fake = torch.randn(500, 8), torch.randn(500, 8) + 20.0
    assert precision_recall(real, fake) == (0.0, 0.0)
    assert density_coverage(real, fake) == (0.0, 0.0)


def test_prdc_anchor_of_naeem_et_al() -> None:
    """Naeem et al. 2020 README: N(0, I) in 1000-d, 10k vs 10k, k = 5 (BENCHMARKS.md section 3).

    Published single draw: precision 0.477, recall 0.471, density 1.056, coverage 0.974. The values move
    between random draws; over 16 seeds this implementation gave (mean +- std) precision 0.478 +- 0.010,
    recall 0.474 +- 0.008, density 1.021 +- 0.064, coverage 0.971 +- 0.006, so all four published values lie
    within one std of the mean. At the fixed seed below, precision, recall and coverage are checked within
    0.02 and density within 0.1 (a 0.02 band would be a third of density's seed-to-seed std).
    """
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(10_000, 1000, generator=generator)
    fake = torch.randn(10_000, 1000, generator=generator)
    started = time.perf_counter()
    got = prdc(real, fake, k=5)
    elapsed = time.perf_counter() - started
    assert got["precision"] == pytest.approx(0.477, abs=0.02)
    assert got["recall"] == pytest.approx(0.471, abs=0.02)
    assert got["density"] == pytest.approx(1.056, abs=0.1)
    assert got["coverage"] == pytest.approx(0.974, abs=0.02)
    assert elapsed < 60, f"PRDC on 10k x 10k x 1000 took {elapsed:.1f} s"


# ----------------------------------------------------------------------------------------------------
# 1-NN two-sample test


def test_one_nearest_neighbour_accuracy_hand_examples() -> None:
    # separated clusters: every nearest neighbour has the same label -> 1
    assert one_nearest_neighbour_accuracy([[0.0], [1.0]], [[10.0], [11.0]]) == 1.0
    # interleaved pairs 0-1 and 10-11: every nearest neighbour comes from the other set -> 0
    assert one_nearest_neighbour_accuracy(np.array([[0.0], [10.0]]), np.array([[1.0], [11.0]])) == 0.0


def test_one_nearest_neighbour_accuracy_disjoint_and_identical_distributions(small_chunks: None) -> None:
    assert one_nearest_neighbour_accuracy(torch.randn(300, 4), torch.randn(300, 4) + 10) == 1.0
    same = one_nearest_neighbour_accuracy(torch.randn(1000, 2), torch.randn(1000, 2))
    assert same == pytest.approx(0.5, abs=0.05)


def test_one_nearest_neighbour_accuracy_of_unequal_sets_is_still_one_half_for_one_law() -> None:
    # 300 real against 3,000 samples of the same law: p^2 + (1 - p)^2 = 0.83 before the larger set was subsampled
    generator = torch.Generator().manual_seed(0)
    real, fake = torch.randn(300, 2, generator=generator), torch.randn(3000, 2, generator=generator)
    assert one_nearest_neighbour_accuracy(real, fake) == pytest.approx(0.5, abs=0.06)
    assert one_nearest_neighbour_accuracy(fake, real) == pytest.approx(0.5, abs=0.06)
    assert one_nearest_neighbour_accuracy(real, fake, seed=0) == one_nearest_neighbour_accuracy(real, fake, seed=0)


# ----------------------------------------------------------------------------------------------------
# Classifier score


def test_classifier_score_of_confident_uniform_predictions_is_the_number_of_classes() -> None:
    classes, count = 10, 1000
    one_hot = torch.nn.functional.one_hot(torch.arange(count) % classes, classes).double()
    mean, std = classifier_score(one_hot, splits=10)
    assert mean == pytest.approx(10.0, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_classifier_score_of_identical_predictions_is_one() -> None:
    probabilities = torch.softmax(torch.randn(1, 7), dim=1).repeat(200, 1)
    mean, _ = classifier_score(probabilities, splits=4)
    assert mean == pytest.approx(1.0, abs=1e-9)


def test_classifier_score_two_class_hand_value() -> None:
    probabilities = np.array([[0.9, 0.1]] * 50 + [[0.1, 0.9]] * 50)
    # marginal (0.5, 0.5): KL = 0.9 ln(0.9 / 0.5) + 0.1 ln(0.1 / 0.5) for every sample
    expected = math.exp(0.9 * math.log(1.8) + 0.1 * math.log(0.2))
    assert classifier_score(probabilities, splits=1)[0] == pytest.approx(expected, rel=1e-12)


def test_classifier_score_rejects_logits() -> None:
    with pytest.raises(PolemosError, match="softmax"):
        classifier_score(torch.randn(20, 3), splits=2)


# ----------------------------------------------------------------------------------------------------
# Registry


def test_metric_registry_computes_named_values() -> None:
    assert {"fid", "kid", "prdc", "1nn"} <= set(METRICS.names())
    real, fake = torch.randn(300, 8), torch.randn(300, 8) + 0.3
    kid = METRICS.get("kid").compute(real, fake)
    assert set(kid) == {"kid", "kid_std"}
    assert kid["kid"] == kid_from_features(real, fake)[0]
    assert set(METRICS.get("prdc").compute(real, fake)) == {"precision", "recall", "density", "coverage"}
    assert METRICS.get("prdc").compute(real, fake) == prdc(real, fake, k=5)
    assert METRICS.get("fid").compute(real, fake) == {"fid": fid_from_features(real, fake)}
    assert METRICS.get("1nn").compute(real, fake) == {"1nn": one_nearest_neighbour_accuracy(real, fake)}
    assert all(METRICS.get(name).needs == "features" for name in ("fid", "kid", "prdc", "1nn"))
    with pytest.raises(PolemosError, match="valid choices"):
        METRICS.get("inception_score_typo")
