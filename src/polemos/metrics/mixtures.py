"""Mode-collapse scores on 2D Gaussian mixtures (ring-8, grid-25), the protocol of PacGAN and VEEGAN.

Protocol (``BENCHMARKS.md`` §1): each generated sample is assigned to its nearest mode; it is *high quality*
when its Euclidean distance to that mode is below ``3 sigma``. A mode is *captured* when at least one
high-quality sample is nearest to it. The reverse KL compares the histogram of the high-quality samples over
the modes with the uniform distribution over the K modes.

All functions are pure: they take the generated points, the mode means and sigma, and return numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from polemos.errors import PolemosError

HIGH_QUALITY_SIGMAS = 3.0  # a sample is high quality within this many sigmas of its nearest mode


@dataclass(frozen=True)
class MixtureScores:
    """The mode-collapse scores of one set of generated points.

    Attributes:
        modes: Number of captured modes (at least one high-quality sample nearest to the mode).
        num_modes: K, the number of modes of the mixture.
        high_quality: Share of samples within ``3 sigma`` of their nearest mode, in [0, 1].
        reverse_kl: KL(p_hq || uniform) in nats, ``inf`` when no sample is high quality.
        counts: Number of high-quality samples nearest to each mode, in the order of the means.
        num_samples: Number of generated samples scored.
    """

    modes: int
    num_modes: int
    high_quality: float
    reverse_kl: float
    counts: tuple[int, ...]
    num_samples: int


def nearest_modes(points: Tensor, means: Tensor) -> tuple[Tensor, Tensor]:
    """Index of the nearest mode of every point and the Euclidean distance to it.

    Args:
        points: (N, D) generated points.
        means: (K, D) mode means.

    Returns:
        (N,) int64 mode indices and (N,) float64 distances.
    """
    points = torch.as_tensor(points).detach().to("cpu", torch.float64)
    means = torch.as_tensor(means).detach().to("cpu", torch.float64)
    if points.ndim != 2 or means.ndim != 2 or points.shape[1] != means.shape[1]:
        raise PolemosError(
            f"points {tuple(points.shape)} and means {tuple(means.shape)} must be (N, D) and (K, D) with the "
            "same D; pass 2D arrays of the same width"
        )
    if points.shape[0] == 0:
        raise PolemosError("no generated points were given; pass at least one point")
    distances = torch.cdist(points, means)  # (N, K) Euclidean distances
    nearest_distance, nearest_index = distances.min(dim=1)
    return nearest_index, nearest_distance


def reverse_kl_to_uniform(counts: Tensor) -> float:
    """KL(p || u) for the histogram ``counts`` over K bins and the uniform u = 1/K.

    ``p_k = n_k / sum_j n_j`` and ``KL(p || u) = sum_k p_k log(p_k / (1/K)) = sum_k p_k log(K p_k)``.
    Empty bins contribute 0 (the limit of ``p log p`` as p -> 0), so the KL is finite and at most log K (all
    mass on one bin). An all-zero histogram has no distribution: the KL is ``inf``.

    Args:
        counts: (K,) non-negative counts.

    Returns:
        The KL in nats.
    """
    counts = torch.as_tensor(counts, dtype=torch.float64).reshape(-1)
    if counts.numel() == 0 or bool((counts < 0).any()):
        raise PolemosError("counts must be a non-empty histogram of non-negative numbers")
    total = float(counts.sum())
    if total == 0.0:
        return math.inf
    num_bins = counts.numel()
    probabilities = counts[counts > 0] / total  # empty bins dropped: 0 log 0 = 0
    return float((probabilities * torch.log(num_bins * probabilities)).sum())


def mixture_scores(
    points: Tensor,  # (N, D) generated points
    means: Tensor,  # (K, D) mode means
    sigma: float,  # standard deviation of every mode (isotropic)
    threshold: float = HIGH_QUALITY_SIGMAS,  # high quality within threshold * sigma
) -> MixtureScores:
    """Modes captured, share of high-quality samples and reverse KL of the high-quality mode histogram.

    ``distance / sigma < threshold`` is the Mahalanobis criterion for an isotropic Gaussian.
    """
    if sigma <= 0:
        raise PolemosError(f"sigma is {sigma}; pass the positive standard deviation of the modes")
    nearest_index, nearest_distance = nearest_modes(points, means)
    high_quality = nearest_distance < threshold * sigma
    num_modes = int(torch.as_tensor(means).shape[0])
    counts = torch.bincount(nearest_index[high_quality], minlength=num_modes)
    return MixtureScores(
        modes=int((counts > 0).sum()),
        num_modes=num_modes,
        high_quality=float(high_quality.double().mean()),
        reverse_kl=reverse_kl_to_uniform(counts),
        counts=tuple(int(count) for count in counts),
        num_samples=int(nearest_index.shape[0]),
    )
