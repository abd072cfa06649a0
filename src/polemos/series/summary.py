"""Statistics of the training windows, saved as ``real_summary.json`` next to a SeriesGAN for the HTML report.

It holds a few real windows (``PATHS`` evenly spaced over the training set, at most ``MAX_PATH_NUMBERS`` numbers
in all: they are training windows, shown as they are), the mean autocorrelation of ``x``, ``|x|`` and ``x^2``
per feature up to ``MAX_LAG`` lags, and a histogram per feature. Values are in data units, as
:meth:`SeriesGAN.sample` returns them (log returns for a returns model).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ACF_TRANSFORMS", "SeriesSummary", "acf_max_lag", "mean_autocorrelation", "summarize_windows"]

SUMMARY_FORMAT_VERSION = 1
SUMMARY_FILE = "real_summary.json"
PATHS = 8  # real windows kept
MAX_PATH_NUMBERS = 5_000  # numbers of the kept windows at most (fewer windows, then fewer steps, above it)
MAX_LAG = 20  # lags of the autocorrelations at most
ACF_WINDOWS = 2_000  # windows (evenly spaced) used for the autocorrelations at most
HISTOGRAM_BINS = 30  # bins of each feature's histogram
ACF_TRANSFORMS = ("x", "abs", "squared")  # the series whose autocorrelation is kept: x, |x|, x^2


def acf_max_lag(length: int) -> int:
    """Largest lag shown for windows of ``length`` steps: ``min(MAX_LAG, length - 2)``, at least 1."""
    return max(1, min(MAX_LAG, length - 2))


def transform_values(values: np.ndarray, transform: str) -> np.ndarray:
    """``x``, ``|x|`` or ``x^2`` of ``values`` (names of :data:`ACF_TRANSFORMS`)."""
    if transform == "abs":
        return np.abs(values)
    if transform == "squared":
        return values**2
    return values


def mean_autocorrelation(paths: np.ndarray, max_lag: int) -> np.ndarray:
    """Mean over paths ``(N, T)`` of the sample autocorrelation at lags 0..max_lag.

    ``acf(k) = sum_t (x_t - m)(x_{t+k} - m) / sum_t (x_t - m)^2`` per path, over its observed steps (trailing NaN
    mark a shorter sequence); paths with at most ``max_lag + 1`` steps or no variation are left out. NaN
    everywhere when no path qualifies.
    """
    paths = np.asarray(paths, dtype=np.float64)
    observed = np.isfinite(paths)
    lengths = observed.sum(axis=1)
    means = np.where(observed, paths, 0.0).sum(axis=1) / np.maximum(lengths, 1)
    centred = np.where(observed, paths - means[:, None], 0.0)  # missing steps add nothing to the sums
    denominators = np.sum(centred**2, axis=1)
    usable = (lengths > max_lag + 1) & (denominators > 0)
    if not usable.any():
        return np.full(max_lag + 1, np.nan)
    centred, denominators = centred[usable], denominators[usable]
    steps = centred.shape[1]
    numerators = np.stack([np.sum(centred[:, : steps - lag] * centred[:, lag:], axis=1) for lag in range(max_lag + 1)])
    return (numerators / denominators[None, :]).mean(axis=1)


@dataclass(frozen=True)
class SeriesSummary:
    """Statistics of the training windows.

    Attributes:
        columns: Feature names.
        windows: Training windows summarised.
        paths: A few real windows ``(K, T', F)`` in data units (NaN after a shorter sequence's end).
        max_lag: Largest lag of the autocorrelations.
        acf: ``{"x" | "abs" | "squared": (F, max_lag + 1)}`` mean autocorrelations (see
            :func:`mean_autocorrelation`).
        edges: Per feature, ``HISTOGRAM_BINS + 1`` bin edges over the observed range.
        counts: Per feature, observed values per bin.
    """

    columns: tuple[str, ...]
    windows: int
    paths: np.ndarray
    max_lag: int
    acf: Mapping[str, np.ndarray]
    edges: tuple[tuple[float, ...], ...]
    counts: tuple[tuple[int, ...], ...]

    def state(self) -> dict[str, Any]:
        """JSON-ready fields (NaN as ``None``)."""

        def listed(array: np.ndarray) -> Any:
            return np.where(np.isfinite(array), array, np.nan).astype(object).tolist()

        def clean(value: Any) -> Any:
            if isinstance(value, list):
                return [clean(item) for item in value]
            return None if isinstance(value, float) and not np.isfinite(value) else value

        return {
            "format_version": SUMMARY_FORMAT_VERSION,
            "columns": list(self.columns),
            "windows": self.windows,
            "paths": clean(listed(self.paths)),
            "max_lag": self.max_lag,
            "acf": {name: clean(listed(values)) for name, values in self.acf.items()},
            "edges": [list(edges) for edges in self.edges],
            "counts": [list(counts) for counts in self.counts],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> SeriesSummary:
        """Inverse of :meth:`state`."""

        def array(value: Any) -> np.ndarray:
            return np.array(value, dtype=np.float64)  # None becomes NaN

        columns = tuple(str(name) for name in state["columns"])
        paths = array(state["paths"])
        return cls(
            columns=columns,
            windows=int(state["windows"]),
            paths=paths.reshape(-1, paths.shape[1] if paths.ndim > 1 else 0, len(columns)),
            max_lag=int(state["max_lag"]),
            acf={str(name): array(values) for name, values in state["acf"].items()},
            edges=tuple(tuple(float(edge) for edge in edges) for edges in state["edges"]),
            counts=tuple(tuple(int(count) for count in counts) for counts in state["counts"]),
        )


def summarize_windows(
    windows: np.ndarray,  # (N, T, F) training windows in data units, trailing NaN for shorter sequences
    columns: Sequence[str],  # feature names
) -> SeriesSummary:
    """A few real windows, mean autocorrelations of x, |x|, x^2 and per-feature histograms."""
    windows = np.asarray(windows, dtype=np.float64)
    count, length, features = windows.shape
    per_window = length * features
    kept = max(1, min(PATHS, count, MAX_PATH_NUMBERS // max(per_window, 1)))
    kept_steps = min(length, max(2, MAX_PATH_NUMBERS // (kept * features)))
    picks = np.unique(np.linspace(0, count - 1, kept).round().astype(int))  # evenly spaced over the data
    paths = windows[picks, :kept_steps]
    acf_rows = windows[np.unique(np.linspace(0, count - 1, min(count, ACF_WINDOWS)).round().astype(int))]
    max_lag = acf_max_lag(length)
    acf = {
        name: np.stack(
            [
                mean_autocorrelation(transform_values(acf_rows[..., feature], name), max_lag)
                for feature in range(features)
            ]
        )
        for name in ACF_TRANSFORMS
    }
    edges, counts = [], []
    for feature in range(features):
        values = windows[:, :, feature]
        observed = values[np.isfinite(values)]
        if observed.size == 0:
            edges.append(())
            counts.append(())
            continue
        low, high = float(observed.min()), float(observed.max())
        bins = np.linspace(low, high, HISTOGRAM_BINS + 1) if high > low else np.array([low - 0.5, high + 0.5])
        histogram, _ = np.histogram(observed, bins=bins)
        edges.append(tuple(bins.tolist()))
        counts.append(tuple(histogram.tolist()))
    return SeriesSummary(
        columns=tuple(str(name) for name in columns),
        windows=count,
        paths=paths,
        max_lag=max_lag,
        acf=acf,
        edges=tuple(edges),
        counts=tuple(counts),
    )
