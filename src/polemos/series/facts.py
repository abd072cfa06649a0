"""Differentiable stylized-fact curves of return paths and a penalty that matches them to a real series.

The curves are those of :mod:`polemos.series.metrics` (BENCHMARKS.md §6), averaged over paths: the sample ACF of
``|r|`` and of ``r^2``, and the leverage correlation ``corr(r_t, r_{t+k}^2)``, at lags ``1..K``. Here they are
torch functions, so a generator can be trained on them (:attr:`SeriesGANConfig.facts_weight`): the critic judges
windows of a few dozen steps and never sees lag-250 volatility memory, which this penalty supplies.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from polemos.errors import PolemosError

__all__ = [
    "FACTS_TARGETS",
    "FactsPenalty",
    "autocorrelation_tensor",
    "facts_curves",
    "facts_curves_tensor",
    "leverage_correlation_tensor",
]


FACTS_TARGETS = ("stretches", "series")


def facts_curves(paths: np.ndarray, max_lag: int) -> np.ndarray:
    """ACF of ``|r|``, ACF of ``r^2`` and ``corr(r_t, r_{t+k}^2)`` of a series or paths at lags ``1..max_lag``,
    averaged over paths, stacked ``(3, max_lag)`` (numpy, with :mod:`polemos.series.metrics`)."""
    from polemos.series.metrics import autocorrelation, leverage_correlation  # imports scipy: only when used

    return np.stack(
        [
            autocorrelation(np.abs(paths), max_lag),
            autocorrelation(np.square(paths), max_lag),
            leverage_correlation(paths, max_lag),
        ]
    )


def _fft_size(length: int) -> int:
    return 1 << int(np.ceil(np.log2(2 * length - 1)))


def autocorrelation_tensor(paths: Tensor, max_lag: int) -> Tensor:
    """Mean over paths ``(P, T)`` of the biased sample ACF at lags ``1..max_lag`` (as
    :func:`polemos.series.metrics.autocorrelation`), differentiable. Returns ``(max_lag,)``."""
    length = paths.shape[1]
    centered = paths - paths.mean(dim=1, keepdim=True)
    spectrum = torch.fft.rfft(centered, n=_fft_size(length), dim=1)
    autocovariance = torch.fft.irfft(spectrum * spectrum.conj(), n=_fft_size(length), dim=1)[:, : max_lag + 1]
    return (autocovariance[:, 1:] / autocovariance[:, :1].clamp_min(1e-300)).mean(dim=0)


def leverage_correlation_tensor(paths: Tensor, max_lag: int) -> Tensor:
    """Mean over paths ``(P, T)`` of ``corr(r_t, r_{t+k}^2)`` at ``k = 1..max_lag``, each over the ``T - k``
    overlapping pairs (as :func:`polemos.series.metrics.leverage_correlation`), differentiable.

    All lags at once: the cross sums ``sum_t r_t r_{t+k}^2`` by FFT, the per-lag partial sums by cumulative sums.
    """
    length = paths.shape[1]
    squares = paths.square()
    size = _fft_size(length)
    # sum_t r_t s_{t+k}: cross-correlation of r and s = r^2
    spectrum = torch.fft.rfft(paths, n=size, dim=1).conj() * torch.fft.rfft(squares, n=size, dim=1)
    cross = torch.fft.irfft(spectrum, n=size, dim=1)
    lags = torch.arange(1, max_lag + 1, device=paths.device)
    cross = cross[:, 1 : max_lag + 1]
    count = (length - lags).to(paths.dtype)

    def prefix(values: Tensor) -> Tensor:  # prefix[:, j] = sum of the first j values
        return torch.nn.functional.pad(values.cumsum(dim=1), (1, 0))

    sum_r, sum_rr = prefix(paths), prefix(squares)
    sum_s, sum_ss = sum_rr, prefix(squares.square())
    leading_sum = sum_r[:, length - lags]  # r_t for t < T - k
    leading_square = sum_rr[:, length - lags]
    trailing_sum = sum_s[:, -1:] - sum_s[:, lags]  # s_t for t >= k
    trailing_square = sum_ss[:, -1:] - sum_ss[:, lags]
    covariance = cross - leading_sum * trailing_sum / count
    leading_variance = (leading_square - leading_sum.square() / count).clamp_min(1e-300)
    trailing_variance = (trailing_square - trailing_sum.square() / count).clamp_min(1e-300)
    return (covariance / torch.sqrt(leading_variance * trailing_variance)).mean(dim=0)


def facts_curves_tensor(paths: Tensor, max_lag: int) -> Tensor:
    """ACF of ``|r|``, ACF of ``r^2`` and the leverage correlation of paths ``(P, T)``, stacked ``(3, max_lag)``."""
    return torch.stack(
        [
            autocorrelation_tensor(paths.abs(), max_lag),
            autocorrelation_tensor(paths.square(), max_lag),
            leverage_correlation_tensor(paths, max_lag),
        ]
    )


class FactsPenalty:
    """Distance between the stylized-fact curves of generated paths and those of a real series.

    With ``target="stretches"`` the target is the mean curve over all real sub-series of the generated path
    length (stride ``stride``), so the sample ACF's dependence on the path length (its downward bias at long lags)
    is the same on both sides. With ``target="series"`` it is the curve of the whole series, what the stylized-fact
    scores compare long generated paths with; ``length`` may then exceed the series.
    The penalty is the sum of the three L2 distances over lags ``1..max_lag`` (averaged over features), the
    selection score of :class:`~polemos.series.model.SeriesGAN`, computed in float64.

    Args:
        series: Real returns ``(T, F)`` in data units (NaN: that feature's sub-series with a NaN are skipped).
        length: Steps of the generated paths the penalty will see.
        max_lag: Largest lag.
        stride: Steps between the starts of the real sub-series (``target="stretches"``).
        target: ``"stretches"`` or ``"series"``.

    Raises:
        PolemosError: If the target is unknown, the series is shorter than ``length`` (stretches) or ``max_lag``
            does not fit.
    """

    def __init__(
        self, series: np.ndarray, length: int, max_lag: int, stride: int = 16, target: str = "stretches"
    ) -> None:
        series = np.asarray(series, dtype=np.float64)
        if not 1 <= max_lag < length - 1:
            raise PolemosError(f"facts max_lag {max_lag} must be in [1, {length - 2}] for paths of {length} steps")
        if target not in FACTS_TARGETS:
            raise PolemosError(f"unknown facts target {target!r}; choose one of {', '.join(FACTS_TARGETS)}")
        if target == "stretches" and len(series) < length:
            raise PolemosError(
                f"the series has {len(series)} returns, fewer than facts_length={length}; lower facts_length "
                'or use facts_target="series"'
            )
        targets = []
        for column in series.T:
            if target == "series":  # the feature's observed returns, as the selector and the scores see them
                observed = column[np.isfinite(column)]
                if len(observed) <= max_lag + 1:
                    raise PolemosError(
                        f"the series has {len(observed)} returns, too few for lag {max_lag}; use shorter paths "
                        "(facts_length or select_length: the lags reach a quarter of it, at most 250)"
                    )
                targets.append(facts_curves(observed, max_lag))
                continue
            starts = range(0, len(column) - length + 1, stride)
            pieces = np.stack([column[start : start + length] for start in starts])
            pieces = pieces[np.isfinite(pieces).all(axis=1)]
            if len(pieces) == 0:
                raise PolemosError(f"every {length}-step stretch of the series has a NaN; lower facts_length")
            targets.append(facts_curves(pieces, max_lag))
        self.target = torch.from_numpy(np.stack(targets))  # (F, 3, max_lag)
        self.max_lag = max_lag

    def __call__(self, paths: Tensor) -> Tensor:
        """Penalty of generated data-space paths ``(P, T, F)``: a scalar, differentiable."""
        paths = paths.double()
        distances = [
            torch.linalg.vector_norm(facts_curves_tensor(paths[:, :, feature], self.max_lag) - target, dim=1).sum()
            for feature, target in enumerate(self.target.to(paths.device))
        ]
        return torch.stack(distances).mean()
