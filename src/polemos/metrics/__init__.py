"""polemos.metrics: offline image metrics that record their protocol.

From Python, on features you extracted (``(N, D)`` tensors or arrays): :func:`fid_from_features`,
:func:`kid_from_features`, :func:`prdc` (precision, recall, density, coverage). On a run folder, with the
protocol written beside each value: :func:`polemos.metrics.evaluate.evaluate_run` (``polemos eval``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["fid_from_features", "kid_from_features", "prdc"]


def __getattr__(name: str) -> Any:
    # imported on first use: the CLI imports this package for `polemos eval`, and torch takes a second to load
    if name in __all__:
        from polemos.metrics import distances

        return getattr(distances, name)
    raise AttributeError(f"module 'polemos.metrics' has no attribute {name!r}")
