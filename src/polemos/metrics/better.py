"""Which way each metric value is better: one table for `polemos eval`, its --json and the report (no torch import)."""

from __future__ import annotations

__all__ = ["BETTER", "RANKED_BY", "ranking_loss"]

BETTER = {
    "fid": "↓ lower",
    "kid": "↓ lower",
    "precision": "↑ higher",
    "recall": "↑ higher",
    "density": "↑ higher (~1 for one law)",
    "coverage": "↑ higher",
    "1nn": "0.5 best",  # 1-NN two-sample accuracy: 0.5 when real and generated cannot be told apart
}

# eval.metric -> (the value that ranks checkpoints, how it becomes a loss to minimise, how that loss is named)
RANKED_BY = {
    "fid": ("fid", lambda value: value, "fid"),
    "kid": ("kid", lambda value: value, "kid"),
    # coverage: of the four, the one that falls for both missing modes and outliers (Naeem et al., 2020)
    "prdc": ("coverage", lambda value: 1.0 - value, "1 - coverage"),
    "1nn": ("1nn", lambda value: abs(value - 0.5), "|1nn - 0.5|"),
}


def ranking_loss(metric: str, values: dict[str, float]) -> tuple[float, str] | None:
    """The number that ranks checkpoints for ``eval.metric = metric`` (lower is better), and its name.

    Args:
        metric: The registered metric the run evaluates (``fid``, ``kid``, ``prdc``, ``1nn`` or a plugin's).
        values: The evaluation's values by name (``{"precision": 0.8, "coverage": 0.6, ...}`` for ``prdc``).

    Returns:
        ``(loss, name)``, or None when the evaluation holds no value to rank by. A metric not listed in
        :data:`RANKED_BY` (a plugin's) ranks by its value of its own name, else its first value, lower is better.
    """
    if metric in RANKED_BY:
        key, to_loss, name = RANKED_BY[metric]
        return (to_loss(values[key]), name) if key in values else None
    if metric in values:
        return values[metric], metric
    if values:
        key = next(iter(values))
        return values[key], key
    return None
