"""Distances between two sets of features: FID, KID, precision/recall, density/coverage, 1-NN accuracy, IS.

All functions take features as float tensors or numpy arrays of shape (N, D) and compute on the device of the
first argument (numpy input runs on the CPU). Pairwise distances are computed in row chunks of at most
``_CHUNK_ELEMENTS`` entries, so memory stays bounded: 10k x 10k points in 1000-d need ~100 MB beyond the
features. Squared distances use ``|x|^2 + |y|^2 - 2 x.y`` in float32 (float64 when the input is float64);
means, covariances and kernel sums accumulate in float64.

References:
    FID: Heusel et al. 2017, https://arxiv.org/abs/1706.08500
    KID: Binkowski et al. 2018, https://arxiv.org/abs/1801.01401
    Precision/recall: Kynkaanniemi et al. 2019, https://arxiv.org/abs/1904.06991
    Density/coverage: Naeem et al. 2020, https://arxiv.org/abs/2002.09797
    1-NN two-sample test: Lopez-Paz & Oquab 2017, https://arxiv.org/abs/1610.06545; Xu et al. 2018
    Inception Score: Salimans et al. 2016, https://arxiv.org/abs/1606.03498
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import torch
from torch import Tensor

from polemos.errors import PolemosError
from polemos.registry import Registry

FeatureArray = Tensor | np.ndarray  # (N, D); nested lists are accepted too

_CHUNK_ELEMENTS = 1 << 24  # entries of one block of the pairwise distance matrix (64 MB in float32)

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------------
# Input handling and chunked distances


def _as_features(features: FeatureArray, name: str, device: torch.device | None = None) -> Tensor:
    """A floating (N, D) tensor on ``device`` (default: its own device)."""
    try:
        # a read-only array (a DataFrame's values, a memory map) is copied: torch warns on non-writable memory
        array = None if isinstance(features, Tensor) else np.asarray(features)
        if array is not None and not array.flags.writeable:
            array = array.copy()
        tensor = features if array is None else torch.from_numpy(array)
    except (TypeError, ValueError):
        raise PolemosError(f"{name} must be a tensor or numpy array of shape (N, D); convert it first") from None
    if tensor.dim() != 2:
        raise PolemosError(f"{name} has shape {tuple(tensor.shape)}; pass features of shape (N, D)")
    if not tensor.is_floating_point():
        tensor = tensor.float()
    if tensor.dtype not in (torch.float32, torch.float64):
        tensor = tensor.float()  # half/bfloat16 distances would lose too much precision
    return tensor if device is None else tensor.to(device)


def as_feature_pair(real: FeatureArray, fake: FeatureArray, min_samples: int = 2) -> tuple[Tensor, Tensor]:
    """Both sets as tensors on the device of ``real``, with matching width and dtype."""
    real_tensor = _as_features(real, "real features")
    fake_tensor = _as_features(fake, "fake features", device=real_tensor.device)
    if real_tensor.shape[1] != fake_tensor.shape[1]:
        raise PolemosError(
            f"real features have {real_tensor.shape[1]} dimensions but fake features {fake_tensor.shape[1]}; "
            "extract both sets with the same feature extractor"
        )
    for tensor, name in ((real_tensor, "real"), (fake_tensor, "fake")):
        if tensor.shape[0] < min_samples:
            raise PolemosError(f"{name} features have {tensor.shape[0]} rows; pass at least {min_samples} samples")
    dtype = torch.promote_types(real_tensor.dtype, fake_tensor.dtype)
    return real_tensor.to(dtype), fake_tensor.to(dtype)


def _chunk_rows(num_columns: int) -> int:
    return max(1, _CHUNK_ELEMENTS // max(1, num_columns))


def squared_distance_chunks(rows: Tensor, columns: Tensor) -> Iterator[tuple[int, Tensor]]:
    """Yields ``(start, block)``, ``block[i, j] = |rows[start + i] - columns[j]|^2``, in bounded row chunks.

    Args:
        rows: (N, D) features.
        columns: (M, D) features, same device and dtype.

    Yields:
        The first row index of the chunk and its (chunk, M) squared distances, clamped at 0.
    """
    column_norms = (columns * columns).sum(dim=1)
    step = _chunk_rows(columns.shape[0])
    for start in range(0, rows.shape[0], step):
        block = rows[start : start + step]
        # |x - y|^2 = |y|^2 - 2 x.y + |x|^2, built in one buffer (addmm, then in-place ops)
        squared = torch.addmm(column_norms.expand(block.shape[0], -1), block, columns.T, alpha=-2.0)
        squared.add_((block * block).sum(dim=1, keepdim=True))
        yield start, squared.clamp_min_(0.0)


def kth_neighbour_squared_radii(features: Tensor, k: int) -> Tensor:
    """Squared distance of each point to its k-th nearest neighbour in its own set (itself excluded).

    Args:
        features: (N, D) features; N must exceed k.
        k: Neighbour rank (k = 1 is the nearest other point).

    Returns:
        (N,) squared radii.
    """
    if features.shape[0] <= k:
        raise PolemosError(f"k = {k} nearest neighbours need more than {k} samples; pass more samples or lower k")
    radii = torch.empty(features.shape[0], dtype=features.dtype, device=features.device)
    for start, block in squared_distance_chunks(features, features):
        # the k+1 smallest include the point itself (distance 0), so the last of them is the k-th other point
        smallest = torch.topk(block, k + 1, dim=1, largest=False, sorted=True).values
        radii[start : start + block.shape[0]] = smallest[:, k]
    return radii


# ----------------------------------------------------------------------------------------------------
# Frechet distance


def frechet_distance(
    mu1: FeatureArray,  # (D,) mean of the first Gaussian
    sigma1: FeatureArray,  # (D, D) covariance of the first Gaussian
    mu2: FeatureArray,  # (D,) mean of the second Gaussian
    sigma2: FeatureArray,  # (D, D) covariance of the second Gaussian
    eps: float = 1e-6,  # diagonal offset used when the matrix square root is not finite
) -> float:
    """Frechet (2-Wasserstein) distance between two Gaussians.

    ``d^2 = |mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``, computed in float64 on the CPU
    with ``scipy.linalg.sqrtm``. Two numerical fixes, as in the reference TTUR / pytorch-fid code:

    - if the square root is not finite (near-singular covariances, e.g. fewer samples than dimensions),
      ``eps * I`` is added to both covariances and the root is recomputed;
    - the tiny imaginary part that ``sqrtm`` returns for a product of PSD matrices is dropped when it is
      below ``1e-3`` relative to the largest entry; a larger one raises :class:`PolemosError`.

    Args:
        mu1: Mean of the first Gaussian.
        sigma1: Covariance of the first Gaussian.
        mu2: Mean of the second Gaussian.
        sigma2: Covariance of the second Gaussian.
        eps: Diagonal offset for the near-singular fallback.

    Returns:
        The squared Frechet distance (what is called FID when the features are Inception pool features).
    """
    mean1, mean2 = (np.atleast_1d(_to_numpy64(m)) for m in (mu1, mu2))
    cov1, cov2 = (np.atleast_2d(_to_numpy64(s)) for s in (sigma1, sigma2))
    if mean1.shape != mean2.shape or cov1.shape != cov2.shape or cov1.shape != (mean1.size, mean1.size):
        raise PolemosError(
            f"Gaussian shapes do not match: means {mean1.shape} and {mean2.shape}, covariances {cov1.shape} "
            f"and {cov2.shape}; pass (D,) means and (D, D) covariances of the same D"
        )
    mean_difference = mean1 - mean2
    # scipy warns (with a source line) on a singular product; one note line replaces it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", scipy.linalg.LinAlgWarning)
        covariance_root = scipy.linalg.sqrtm(cov1 @ cov2)
        if not np.isfinite(covariance_root).all():
            offset = np.eye(cov1.shape[0]) * eps
            covariance_root = scipy.linalg.sqrtm((cov1 + offset) @ (cov2 + offset))
    for warning in caught:
        if not issubclass(warning.category, scipy.linalg.LinAlgWarning):
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if any(issubclass(warning.category, scipy.linalg.LinAlgWarning) for warning in caught):
        logger.warning(
            "note: the feature covariance is singular (too few samples for its %d dimensions, or features that "
            "never vary), so FID may be unreliable; use more samples or another extractor",
            cov1.shape[0],
        )
    if np.iscomplexobj(covariance_root):
        largest_imaginary = np.max(np.abs(covariance_root.imag))
        scale = max(1.0, float(np.max(np.abs(covariance_root.real))))
        if largest_imaginary > 1e-3 * scale:
            raise PolemosError(
                f"the covariance square root has an imaginary part of {largest_imaginary:.3g}, so the "
                "feature covariances are too ill-conditioned; use more samples than feature dimensions"
            )
        covariance_root = covariance_root.real
    distance = mean_difference @ mean_difference + np.trace(cov1) + np.trace(cov2) - 2.0 * np.trace(covariance_root)
    return float(distance)


def _to_numpy64(values: FeatureArray) -> np.ndarray:
    if isinstance(values, Tensor):
        return values.detach().to("cpu", torch.float64).numpy()
    return np.asarray(values, dtype=np.float64)


def mean_and_covariance(features: FeatureArray) -> tuple[np.ndarray, np.ndarray]:
    """Sample mean (D,) and unbiased covariance (D, D) of (N, D) features, accumulated in float64."""
    tensor = _as_features(features, "features").to(torch.float64)
    if tensor.shape[0] < 2:
        raise PolemosError("a covariance needs at least 2 samples; pass more samples")
    mean = tensor.mean(dim=0)
    centred = tensor - mean
    covariance = centred.T @ centred / (tensor.shape[0] - 1)  # unbiased, as numpy.cov
    return mean.cpu().numpy(), covariance.cpu().numpy()


def fid_from_features(real: FeatureArray, fake: FeatureArray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (FID for Inception features).

    Args:
        real: (N_real, D) reference features.
        fake: (N_fake, D) generated features.

    Returns:
        The Frechet distance; 0 for identical sets.
    """
    real_tensor, fake_tensor = as_feature_pair(real, fake)
    mu_real, sigma_real = mean_and_covariance(real_tensor)
    mu_fake, sigma_fake = mean_and_covariance(fake_tensor)
    return frechet_distance(mu_real, sigma_real, mu_fake, sigma_fake)


# ----------------------------------------------------------------------------------------------------
# Kernel inception distance


def kid_from_features(
    real: FeatureArray,  # (N_real, D) reference features
    fake: FeatureArray,  # (N_fake, D) generated features
    num_subsets: int = 100,  # number of random subset pairs
    subset_size: int = 1000,  # points per subset; clipped to min(N_real, N_fake)
    degree: int = 3,  # polynomial kernel degree
    gamma: float | None = None,  # kernel scale; None means 1 / D
    coef0: float = 1.0,  # kernel offset
    seed: int = 0,  # seed of the subset sampling
) -> tuple[float, float]:
    """Kernel Inception Distance: unbiased MMD^2 with the kernel ``k(x, y) = (gamma x.y + coef0)^degree``.

    For each of ``num_subsets`` pairs of subsets of ``m`` points drawn without replacement,

    ``MMD^2 = sum_{i != j} k(x_i, x_j) / (m (m-1)) + sum_{i != j} k(y_i, y_j) / (m (m-1))
    - 2 sum_{i, j} k(x_i, y_j) / m^2``;

    the result is the mean and the (population) standard deviation of these estimates, as torch-fidelity
    reports them. Kernel matrices are computed in float64.

    Args:
        real: Reference features.
        fake: Generated features.
        num_subsets: Number of subset pairs.
        subset_size: Size ``m`` of each subset.
        degree: Kernel degree.
        gamma: Kernel scale, default ``1 / D``.
        coef0: Kernel offset.
        seed: Seed for drawing the subsets.

    Returns:
        ``(kid_mean, kid_std)``.
    """
    real_tensor, fake_tensor = as_feature_pair(real, fake)
    real_tensor, fake_tensor = real_tensor.to(torch.float64), fake_tensor.to(torch.float64)
    size = min(subset_size, real_tensor.shape[0], fake_tensor.shape[0])
    if num_subsets < 1 or size < 2:
        raise PolemosError(f"KID needs num_subsets >= 1 and subsets of >= 2 points, got {num_subsets} x {size}")
    scale = 1.0 / real_tensor.shape[1] if gamma is None else gamma
    generator = torch.Generator().manual_seed(seed)
    estimates = torch.empty(num_subsets, dtype=torch.float64)
    for subset in range(num_subsets):
        real_index = torch.randperm(real_tensor.shape[0], generator=generator)[:size].to(real_tensor.device)
        fake_index = torch.randperm(fake_tensor.shape[0], generator=generator)[:size].to(real_tensor.device)
        x = real_tensor[real_index]
        y = fake_tensor[fake_index]
        kernel_xx = (scale * (x @ x.T) + coef0) ** degree
        kernel_yy = (scale * (y @ y.T) + coef0) ** degree
        kernel_xy = (scale * (x @ y.T) + coef0) ** degree
        # off-diagonal sums: the i = j terms bias the within-set averages
        within = (kernel_xx.sum() - kernel_xx.diagonal().sum() + kernel_yy.sum() - kernel_yy.diagonal().sum()) / (
            size * (size - 1)
        )
        estimates[subset] = (within - 2.0 * kernel_xy.sum() / (size * size)).cpu()
    return float(estimates.mean()), float(estimates.std(unbiased=False))


# ----------------------------------------------------------------------------------------------------
# k-NN manifold metrics


def prdc(real: FeatureArray, fake: FeatureArray, k: int = 5) -> dict[str, float]:
    """Precision, recall (Kynkaanniemi et al.), density and coverage (Naeem et al.) with one ``k``.

    With ``B(x, r)`` the closed ball and ``r_k(x)`` the distance of ``x`` to its k-th nearest neighbour within
    its own set:

    - precision = fraction of fake points inside some ``B(real_i, r_k(real_i))``;
    - recall = fraction of real points inside some ``B(fake_j, r_k(fake_j))``;
    - density = ``1 / (k N_fake) * sum_j #{i : fake_j in B(real_i, r_k(real_i))}``;
    - coverage = fraction of real points whose nearest fake point lies inside ``B(real_i, r_k(real_i))``.

    One pass over each of the real-real, fake-fake and real-fake distance matrices, in chunks.

    Args:
        real: (N_real, D) reference features.
        fake: (N_fake, D) generated features.
        k: Neighbourhood size (Naeem et al. use 5 for all four; Kynkaanniemi et al. use 3).

    Returns:
        ``{"precision", "recall", "density", "coverage"}``.
    """
    real_tensor, fake_tensor = as_feature_pair(real, fake, min_samples=k + 1)
    real_radii = kth_neighbour_squared_radii(real_tensor, k)
    fake_radii = kth_neighbour_squared_radii(fake_tensor, k)
    inside_counts = torch.empty(fake_tensor.shape[0], dtype=torch.int32, device=real_tensor.device)
    real_reached = torch.zeros(real_tensor.shape[0], dtype=torch.bool, device=real_tensor.device)
    nearest_fake = torch.full_like(real_radii, float("inf"))
    for start, block in squared_distance_chunks(fake_tensor, real_tensor):  # block[j, i] = |fake_j - real_i|^2
        stop = start + block.shape[0]
        inside_counts[start:stop] = (block <= real_radii[None, :]).sum(dim=1, dtype=torch.int32)
        real_reached |= (block <= fake_radii[start:stop, None]).any(dim=0)
        nearest_fake = torch.minimum(nearest_fake, block.min(dim=0).values)
    return {
        "precision": float((inside_counts > 0).double().mean()),
        "recall": float(real_reached.double().mean()),
        "density": float(inside_counts.double().mean() / k),
        "coverage": float((nearest_fake <= real_radii).double().mean()),
    }


def precision_recall(real: FeatureArray, fake: FeatureArray, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) with k-NN radii; see :func:`prdc`.

    Returns:
        ``(precision, recall)``.
    """
    values = prdc(real, fake, k=k)
    return values["precision"], values["recall"]


def density_coverage(real: FeatureArray, fake: FeatureArray, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020); see :func:`prdc`.

    Returns:
        ``(density, coverage)``; about 1 and ``1 - 2^-k`` for identical distributions.
    """
    values = prdc(real, fake, k=k)
    return values["density"], values["coverage"]


def one_nearest_neighbour_accuracy(real: FeatureArray, fake: FeatureArray, seed: int = 0) -> float:
    """Leave-one-out accuracy of the 1-nearest-neighbour classifier telling real from fake (Xu et al. 2018,
    https://arxiv.org/abs/1806.07755).

    The larger set is first subsampled (without replacement, seeded) to the size of the smaller: on sets of
    sizes ``n`` and ``m`` the accuracy of indistinguishable sets is ``p^2 + (1 - p)^2`` with ``p = n / (n + m)``,
    0.74 for 1,797 real digits against 10,000 samples, so only equal sizes make 0.5 the ideal. Every point of
    the pooled set is labelled by its nearest *other* point; the accuracy is the fraction of correct labels over
    both sets. 0.5 means the sets are indistinguishable; 1.0 means they are separated (copies of the
    reference set drive it below 0.5).

    Args:
        real: (N_real, D) reference features.
        fake: (N_fake, D) generated features.
        seed: Seed of the subsampling of the larger set.

    Returns:
        The accuracy in [0, 1].
    """
    real_tensor, fake_tensor = as_feature_pair(real, fake)
    size = min(real_tensor.shape[0], fake_tensor.shape[0])
    generator = torch.Generator().manual_seed(seed)
    if real_tensor.shape[0] > size:
        real_tensor = real_tensor[
            torch.randperm(real_tensor.shape[0], generator=generator)[:size].to(real_tensor.device)
        ]
    if fake_tensor.shape[0] > size:
        fake_tensor = fake_tensor[
            torch.randperm(fake_tensor.shape[0], generator=generator)[:size].to(fake_tensor.device)
        ]
    pooled = torch.cat([real_tensor, fake_tensor])
    is_real = torch.zeros(pooled.shape[0], dtype=torch.bool, device=pooled.device)
    is_real[: real_tensor.shape[0]] = True
    correct = 0
    for start, block in squared_distance_chunks(pooled, pooled):
        rows = torch.arange(block.shape[0], device=pooled.device)
        block[rows, start + rows] = float("inf")  # leave the point itself out
        nearest = block.argmin(dim=1)
        correct += int((is_real[nearest] == is_real[start : start + block.shape[0]]).sum())
    return correct / pooled.shape[0]


# ----------------------------------------------------------------------------------------------------
# Classifier (Inception) score


def classifier_score(probabilities: FeatureArray, splits: int = 10) -> tuple[float, float]:
    """Inception-style score ``exp(E_x KL(p(y|x) || p(y)))`` from any classifier's softmax outputs.

    The samples are cut into ``splits`` consecutive parts; ``p(y)`` is the mean prediction of each part.

    Args:
        probabilities: (N, K) class probabilities (rows sum to 1).
        splits: Number of parts.

    Returns:
        ``(mean, std)`` of the per-part scores; between 1 (all predictions equal) and K (confident and
        uniformly spread over the K classes).
    """
    tensor = _as_features(probabilities, "probabilities").to(torch.float64)
    if splits < 1 or tensor.shape[0] < splits:
        raise PolemosError(f"{tensor.shape[0]} samples cannot be cut into {splits} splits; lower splits")
    if (tensor < 0).any() or not torch.allclose(tensor.sum(dim=1), torch.ones_like(tensor[:, 0]), atol=1e-3):
        raise PolemosError("probabilities must be non-negative rows summing to 1; apply softmax to the logits")
    scores = []
    for part in torch.tensor_split(tensor, splits):
        marginal = part.mean(dim=0, keepdim=True)
        # KL(p(y|x) || p(y)) = sum_y p log p - p log p(y), with 0 log 0 = 0
        kl = torch.xlogy(part, part) - torch.xlogy(part, marginal.expand_as(part))
        scores.append(torch.exp(kl.sum(dim=1).mean()))
    stacked = torch.stack(scores)
    return float(stacked.mean()), float(stacked.std(unbiased=False))


# ----------------------------------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class MetricSpec:
    """A metric computed from two feature sets.

    Attributes:
        name: Registry name (``"fid"``).
        compute: ``compute(real, fake, *, seed=0) -> {value name: value}``; values that end in ``_std``
            are the spread of the value of the same stem.
        needs: What the inputs are: ``"features"`` (an extractor's (N, D) output).
        description: One line for the CLI.
        min_samples: The fewest samples in each set for which the value means something.
        settings: ``settings(n_real, n_fake)``: the metric's own settings for those set sizes (KID's subset size,
            PRDC's k), recorded beside its values so that two values can be seen to be comparable.
    """

    name: str
    compute: Callable[..., dict[str, float]]
    needs: str
    description: str
    min_samples: int = 2
    settings: Callable[[int, int], dict[str, float]] | None = None


METRICS: Registry[MetricSpec] = Registry("metric")


def _fid_metric(real: FeatureArray, fake: FeatureArray, *, seed: int = 0) -> dict[str, float]:
    return {"fid": fid_from_features(real, fake)}


def _kid_metric(real: FeatureArray, fake: FeatureArray, *, seed: int = 0) -> dict[str, float]:
    mean, std = kid_from_features(real, fake, seed=seed)
    return {"kid": mean, "kid_std": std}


def _prdc_metric(real: FeatureArray, fake: FeatureArray, *, seed: int = 0) -> dict[str, float]:
    return prdc(real, fake, k=PRDC_K)


def _one_nn_metric(real: FeatureArray, fake: FeatureArray, *, seed: int = 0) -> dict[str, float]:
    return {"1nn": one_nearest_neighbour_accuracy(real, fake, seed=seed)}


# Fewest samples per set: FID fits a covariance, KID averages kernel values over subsets (with 2 points a
# subset gives one pair per set: noise, not a distance), PRDC needs k + 1 points for the k-th neighbour radii.
KID_MIN_SAMPLES = 10
PRDC_K = 5

for _spec in (
    MetricSpec(
        "fid",
        _fid_metric,
        "features",
        "Frechet distance of Gaussians fitted to the features (lower is better)",
        min_samples=KID_MIN_SAMPLES,
    ),
    MetricSpec(
        "kid",
        _kid_metric,
        "features",
        "Kernel distance, unbiased MMD^2, cubic kernel, 100 subsets of up to 1,000 (lower is better; in the"
        " extractor's feature units: compare values of one extractor only)",
        min_samples=KID_MIN_SAMPLES,
        # kid_from_features' defaults: 100 subset pairs of 1,000 points, fewer when a set is smaller
        settings=lambda n_real, n_fake: {"subsets": 100, "subset_size": min(1000, n_real, n_fake)},
    ),
    MetricSpec(
        "prdc",
        _prdc_metric,
        "features",
        "Precision, recall, density, coverage with k = 5 (Naeem et al.; higher is better, density ~1 for one law)",
        min_samples=PRDC_K + 1,
        settings=lambda n_real, n_fake: {"k": PRDC_K},
    ),
    MetricSpec(
        "1nn",
        _one_nn_metric,
        "features",
        "Leave-one-out 1-NN real/fake accuracy on equal-size sets (the larger subsampled; 0.5 is ideal)",
        settings=lambda n_real, n_fake: {"samples_per_set": min(n_real, n_fake)},
    ),
):
    METRICS.add(_spec.name, _spec, _spec.description)
