"""polemos.series: sequence GANs for multivariate windows and financial return paths.

Public API: :class:`SeriesGAN` (fit / sample / save / load), :class:`SeriesGANConfig`; data helpers in
:mod:`polemos.series.data`; metrics in :mod:`polemos.series.metrics`; baselines in
:mod:`polemos.series.baselines`; plots in :mod:`polemos.series.plots`; the CLI in :mod:`polemos.series.cli`.
"""

from __future__ import annotations

from polemos.series.data import ReturnsTransform, returns_to_prices, sine_windows, timegan_windows
from polemos.series.metrics import discriminative_score, predictive_score, stylized_facts
from polemos.series.model import SeriesGAN, SeriesGANConfig, TrainingSummary

__all__ = [
    "ReturnsTransform",
    "SeriesGAN",
    "SeriesGANConfig",
    "TrainingSummary",
    "discriminative_score",
    "predictive_score",
    "returns_to_prices",
    "sine_windows",
    "stylized_facts",
    "timegan_windows",
]
