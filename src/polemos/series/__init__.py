"""polemos.series: sequence GANs for multivariate windows and financial return paths.

Public API: :class:`SeriesGAN` (fit / sample / save / load), :class:`SeriesGANConfig`; data helpers in
:mod:`polemos.series.data`; metrics in :mod:`polemos.series.metrics`; baselines in
:mod:`polemos.series.baselines`; plots in :mod:`polemos.series.plots`; the CLI in :mod:`polemos.series.cli`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from polemos.lazy import lazy_attributes

if TYPE_CHECKING:  # for type checkers and IDEs; at run time, __getattr__ imports on first use
    from polemos.series.data import ReturnsTransform, returns_to_prices, sine_windows, timegan_windows
    from polemos.series.metrics import discriminative_score, predictive_score, stylized_facts
    from polemos.series.model import SeriesGAN, SeriesGANConfig, TrainingSummary

# name -> module; imported on first use, so that `polemos series --help` starts without loading torch
_EXPORTS = {
    "ReturnsTransform": "polemos.series.data",
    "returns_to_prices": "polemos.series.data",
    "sine_windows": "polemos.series.data",
    "timegan_windows": "polemos.series.data",
    "discriminative_score": "polemos.series.metrics",
    "predictive_score": "polemos.series.metrics",
    "stylized_facts": "polemos.series.metrics",
    "SeriesGAN": "polemos.series.model",
    "SeriesGANConfig": "polemos.series.model",
    "TrainingSummary": "polemos.series.model",
}
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


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, globals())
