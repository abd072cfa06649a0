"""Which way each metric value is better: one table for `polemos eval`, its --json and the report (no torch import)."""

from __future__ import annotations

__all__ = ["BETTER"]

BETTER = {
    "fid": "↓ lower",
    "kid": "↓ lower",
    "precision": "↑ higher",
    "recall": "↑ higher",
    "density": "↑ higher (~1 for one law)",
    "coverage": "↑ higher",
    "1nn": "0.5 best",  # 1-NN two-sample accuracy: 0.5 when real and generated cannot be told apart
}
