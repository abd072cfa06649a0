"""Statistics by hierarchical name, reported from anywhere, collected once, written by sinks.

Code anywhere calls ``report("Loss/D/r1", value)``; the training loop calls :meth:`StatsCollector.collect` every
``log_every`` steps to get the interval means (averaged over processes), then hands the row to every sink.
Tensors are accumulated without ``.item()`` so reporting never forces a device sync in the hot path.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

_ACTIVE: StatsCollector | None = None


def report(name: str, value: torch.Tensor | float) -> None:
    """Records one value of the statistic ``name`` (a no-op when no collector is active)."""
    if _ACTIVE is not None:
        _ACTIVE.add(name, value)


class StatsCollector:
    """Accumulates sums and counts per name between two collections.

    Args:
        all_reduce: Optional function that sums a tensor over processes (for DDP); ``None`` on one process.
    """

    def __init__(self, all_reduce: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        self._sums: dict[str, torch.Tensor | float] = {}
        self._counts: dict[str, int] = {}
        self._all_reduce = all_reduce

    def __enter__(self) -> StatsCollector:
        global _ACTIVE
        self._previous = _ACTIVE
        _ACTIVE = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _ACTIVE
        _ACTIVE = self._previous

    def add(self, name: str, value: torch.Tensor | float) -> None:
        """Adds one observation of ``name``."""
        if isinstance(value, torch.Tensor):
            value = value.detach().float().mean()
        self._sums[name] = self._sums.get(name, 0.0) + value
        self._counts[name] = self._counts.get(name, 0) + 1

    def collect(self) -> dict[str, float]:
        """The mean of each statistic since the last collection (over processes too), then resets."""
        names = sorted(self._sums)
        if not names:
            return {}
        means = torch.stack(
            [torch.as_tensor(self._sums[name], dtype=torch.float64).cpu() / self._counts[name] for name in names]
        )
        if self._all_reduce is not None:
            means = self._all_reduce(means)
        self._sums.clear()
        self._counts.clear()
        return {name: float(value) for name, value in zip(names, means.tolist(), strict=True)}
