"""Exponential moving average of the generator's weights, parameterised by a half-life in samples.

With a half-life ``H`` samples and batch size ``B``, each step blends with ``beta = 0.5 ** (B / H)``, so the
average forgets half of its past after ``H`` samples whatever the batch size (Karras et al. 2020,
https://arxiv.org/abs/2006.06676, Appendix: "G_ema half-life").
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_beta(batch_size: int, half_life_samples: float, samples_seen: int, rampup: float | None) -> float:
    """The blending factor for one step.

    Args:
        batch_size: Samples consumed by the generator step (summed over all processes).
        half_life_samples: Samples after which the weight of the past halves.
        samples_seen: Samples seen so far; used by the ramp-up.
        rampup: If set, the half-life is capped at ``rampup * samples_seen`` early in training, so the average
            does not drag the random initialisation along (stylegan2-ada's ``ema_rampup``).

    Returns:
        ``beta`` in [0, 1): new_average = beta * average + (1 - beta) * weights.
    """
    half_life = float(half_life_samples)
    if rampup is not None:
        half_life = min(half_life, samples_seen * rampup)
    if half_life <= 0:
        return 0.0
    return 0.5 ** (batch_size / half_life)


class EMA:
    """A frozen copy of a module whose parameters follow the source's as an exponential moving average.

    Buffers (e.g. batch-norm statistics) are copied, not averaged.

    Args:
        module: The module to average (typically the generator).
        half_life_samples: Half-life of the average, in samples.
        rampup: Optional ramp-up fraction (see :func:`ema_beta`); ``None`` disables it.
    """

    def __init__(self, module: nn.Module, half_life_samples: float, rampup: float | None = 0.05) -> None:
        self.module = copy.deepcopy(module).eval().requires_grad_(False)
        self.half_life_samples = half_life_samples
        self.rampup = rampup

    @torch.no_grad()
    def update(self, source: nn.Module, batch_size: int, samples_seen: int) -> float:
        """Blends ``source``'s weights into the average and returns the ``beta`` used."""
        beta = ema_beta(batch_size, self.half_life_samples, samples_seen, self.rampup)
        for average, current in zip(self.module.parameters(), source.parameters(), strict=True):
            average.copy_(current.detach().lerp(average, beta))  # beta * average + (1 - beta) * current
        for average_buffer, buffer in zip(self.module.buffers(), source.buffers(), strict=True):
            average_buffer.copy_(buffer)
        return beta

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The averaged weights."""
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Restores the averaged weights."""
        self.module.load_state_dict(state)
