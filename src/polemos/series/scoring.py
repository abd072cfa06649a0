"""Differentiable proper scoring rules, to train a conditional generator on them.

:func:`energy_score_tensor` is the torch twin of :func:`polemos.series.metrics.energy_score` with ``fair=True``
(equal within float rounding, tested); a context model can add it to its generator loss
(:attr:`polemos.series.SeriesGANConfig.energy_weight`), as in scoring-rule training of generative forecasters
(Pacchiardi et al. 2024, https://arxiv.org/abs/2112.08217).
"""

from __future__ import annotations

import torch
from torch import Tensor

from polemos.errors import PolemosError

__all__ = ["energy_score_tensor"]


def energy_score_tensor(samples: Tensor, target: Tensor) -> Tensor:
    """Fair energy score of each forecast: ``mean_k ||x_k - y|| - sum_{k<l} ||x_k - x_l|| / (K (K - 1))``.

    Gneiting & Raftery (2007), https://doi.org/10.1198/016214506000001437; the spread term is the unbiased
    U-statistic over distinct pairs (Ferro 2014), so ``K`` draws of the forecast law give an unbiased estimate of its
    score and the expected loss is minimised by the true conditional law. Distinct pairs only: no
    ``||x_k - x_k|| = 0`` term, whose gradient is undefined.

    Args:
        samples: ``(N, K, D)`` draws, ``K >= 2`` per forecast, each a ``D``-vector.
        target: ``(N, D)`` the vectors that happened.

    Returns:
        ``(N,)`` scores (lower is better), differentiable in ``samples``.
    """
    if samples.ndim != 3 or target.shape != (samples.shape[0], samples.shape[2]):
        raise PolemosError(
            f"samples {tuple(samples.shape)} must be (N, K, D) for targets (N, D), got {tuple(target.shape)}"
        )
    count = samples.shape[1]
    if count < 2:
        raise PolemosError(f"the fair energy score needs at least 2 draws per forecast, got {count}")
    error = torch.linalg.vector_norm(samples - target.unsqueeze(1), dim=2).mean(dim=1)
    first, second = torch.triu_indices(count, count, offset=1, device=samples.device)
    spread = torch.linalg.vector_norm(samples[:, first] - samples[:, second], dim=2).sum(dim=1)
    return error - spread / (count * (count - 1))
