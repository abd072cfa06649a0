"""Classical baselines for return paths: GARCH(1,1)-normal, GJR-GARCH(1,1)-t, i.i.d. and block bootstrap.

The GARCH models are fitted with the ``arch`` package (Sheppard, https://github.com/bashtage/arch) on returns
in percent, then simulated here, vectorised over paths, with a burn-in started at the unconditional variance:

``eps_t = r_t - mu``, ``sigma2_t = omega + (alpha + gamma 1[eps_{t-1} < 0]) eps_{t-1}^2 + beta sigma2_{t-1}``,
``eps_t = sigma_t z_t`` with ``z_t`` standard normal or standardised Student-t (unit variance).
GJR-GARCH: Glosten, Jagannathan & Runkle 1993; GARCH: Bollerslev 1986.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polemos.errors import PolemosError

__all__ = [
    "GarchFit",
    "block_bootstrap_paths",
    "fit_garch",
    "garch_paths",
    "iid_bootstrap_paths",
]

_PERCENT = 100.0  # arch's optimiser is better conditioned on returns in percent


@dataclass(frozen=True)
class GarchFit:
    """Fitted (GJR-)GARCH(1,1) parameters, in percent-return units.

    Attributes:
        mu: Constant mean.
        omega: Variance intercept.
        alpha: ARCH coefficient.
        gamma: Asymmetric (leverage) coefficient; 0 for plain GARCH.
        beta: GARCH coefficient.
        nu: Student-t degrees of freedom; None for normal innovations.
    """

    mu: float
    omega: float
    alpha: float
    gamma: float
    beta: float
    nu: float | None


def fit_garch(returns: np.ndarray, asymmetric: bool, student_t: bool) -> GarchFit:
    """Fits a (GJR-)GARCH(1,1) with constant mean on a 1-D series of log returns using ``arch``.

    Args:
        returns: Log returns ``(T,)``.
        asymmetric: Add the GJR leverage term (``o=1``).
        student_t: Student-t innovations instead of normal ones.

    Raises:
        PolemosError: If ``arch`` is not installed.
    """
    try:
        from arch import arch_model
    except ImportError:
        raise PolemosError("the GARCH baselines need the arch package; install it with `pip install arch`") from None
    model = arch_model(
        np.asarray(returns, dtype=np.float64) * _PERCENT,
        mean="Constant",
        vol="GARCH",
        p=1,
        o=1 if asymmetric else 0,
        q=1,
        dist="t" if student_t else "normal",
    )
    params = model.fit(disp="off").params
    return GarchFit(
        mu=float(params["mu"]),
        omega=float(params["omega"]),
        alpha=float(params["alpha[1]"]),
        gamma=float(params["gamma[1]"]) if asymmetric else 0.0,
        beta=float(params["beta[1]"]),
        nu=float(params["nu"]) if student_t else None,
    )


def garch_paths(fit: GarchFit, n_paths: int, length: int, seed: int = 0, burn: int = 500) -> np.ndarray:
    """Simulates ``n_paths`` log-return paths of ``length`` steps from a fitted model.

    Returns:
        Array ``(n_paths, length)`` of log returns (not in percent).
    """
    rng = np.random.default_rng(seed)
    total = length + burn
    if fit.nu is None:
        shocks = rng.standard_normal((total, n_paths))
    else:
        # standardised Student-t: t_nu * sqrt((nu - 2) / nu) has unit variance
        shocks = rng.standard_t(fit.nu, size=(total, n_paths)) * np.sqrt((fit.nu - 2.0) / fit.nu)
    persistence = fit.alpha + 0.5 * fit.gamma + fit.beta
    variance = np.full(n_paths, fit.omega / max(1.0 - persistence, 1e-3))
    innovation = np.zeros(n_paths)
    paths = np.empty((total, n_paths))
    for step in range(total):
        if step > 0:
            asymmetric = fit.gamma * (innovation < 0)
            variance = fit.omega + (fit.alpha + asymmetric) * innovation**2 + fit.beta * variance
        innovation = np.sqrt(variance) * shocks[step]
        paths[step] = fit.mu + innovation
    return paths[burn:].T / _PERCENT


def iid_bootstrap_paths(returns: np.ndarray, n_paths: int, length: int, seed: int = 0) -> np.ndarray:
    """Paths of returns drawn independently with replacement from the real ones: ``(n_paths, length)``."""
    returns = np.asarray(returns, dtype=np.float64)
    return np.random.default_rng(seed).choice(returns, size=(n_paths, length), replace=True)


def block_bootstrap_paths(
    returns: np.ndarray,  # (T,) real log returns
    n_paths: int,  # paths to draw
    length: int,  # steps per path
    block_length: int | None = None,  # None: Politis-White optimal length for r^2 (arch.bootstrap)
    seed: int = 0,  # RNG seed
) -> np.ndarray:
    """Moving-block bootstrap: paths made of contiguous real blocks of ``block_length`` with random starts.

    Returns:
        Array ``(n_paths, length)``.
    """
    returns = np.asarray(returns, dtype=np.float64)
    if block_length is None:
        try:
            from arch.bootstrap import optimal_block_length
        except ImportError:
            raise PolemosError("pass block_length or install arch for the optimal block length") from None
        # the circular-bootstrap column of Politis & White (2004), on squared returns (the volatility memory)
        block_length = int(np.ceil(optimal_block_length(returns**2)["circular"].iloc[0]))
    block_length = max(1, min(int(block_length), len(returns)))
    rng = np.random.default_rng(seed)
    n_blocks = -(-length // block_length)
    starts = rng.integers(0, len(returns) - block_length + 1, size=(n_paths, n_blocks))
    indices = (starts[:, :, None] + np.arange(block_length)).reshape(n_paths, -1)[:, :length]
    return returns[indices]
