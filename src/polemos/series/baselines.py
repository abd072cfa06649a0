"""Classical baselines for return paths: GARCH(1,1)-normal, GJR-GARCH(1,1)-t, i.i.d. and block bootstrap.

The GARCH models are fitted with the ``arch`` package (Sheppard, https://github.com/bashtage/arch) on returns
in percent, then simulated here, vectorised over paths, with a burn-in started at the unconditional variance:

``eps_t = r_t - mu``, ``sigma2_t = omega + (alpha + gamma 1[eps_{t-1} < 0]) eps_{t-1}^2 + beta sigma2_{t-1}``,
``eps_t = sigma_t z_t`` with ``z_t`` standard normal or standardised Student-t (unit variance).
GJR-GARCH: Glosten, Jagannathan & Runkle 1993; GARCH: Bollerslev 1986.

Panels (``(T, F)``, e.g. factor returns): the bootstraps draw whole rows (the same dates for every column), which
keeps the contemporaneous correlation; :func:`fit_ccc_garch` / :func:`ccc_garch_paths` fit one GARCH per column
and couple their shocks with the correlation of the standardised residuals (constant conditional correlation,
Bollerslev 1990). :func:`garch_forecast_paths` filters a fitted model through observed returns and simulates
the next steps from each forecast origin (conditional scenarios).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from polemos.errors import PolemosError

__all__ = [
    "CccGarchFit",
    "GarchFit",
    "block_bootstrap_paths",
    "ccc_garch_paths",
    "fit_ccc_garch",
    "fit_garch",
    "garch_filter",
    "garch_forecast_paths",
    "garch_paths",
    "iid_bootstrap_paths",
    "optimal_block_length",
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


def _fit_arch(returns: np.ndarray, asymmetric: bool, student_t: bool) -> tuple[GarchFit, np.ndarray]:
    """Fits one (GJR-)GARCH(1,1) with ``arch``; returns the parameters and the standardised residuals."""
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
    result = model.fit(disp="off")
    params = result.params
    fit = GarchFit(
        mu=float(params["mu"]),
        omega=float(params["omega"]),
        alpha=float(params["alpha[1]"]),
        gamma=float(params["gamma[1]"]) if asymmetric else 0.0,
        beta=float(params["beta[1]"]),
        nu=float(params["nu"]) if student_t else None,
    )
    return fit, np.asarray(result.std_resid, dtype=np.float64)


def fit_garch(returns: np.ndarray, asymmetric: bool, student_t: bool) -> GarchFit:
    """Fits a (GJR-)GARCH(1,1) with constant mean on a 1-D series of log returns using ``arch``.

    Args:
        returns: Log returns ``(T,)``.
        asymmetric: Add the GJR leverage term (``o=1``).
        student_t: Student-t innovations instead of normal ones.

    Raises:
        PolemosError: If ``arch`` is not installed.
    """
    return _fit_arch(returns, asymmetric, student_t)[0]


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
    """Paths of returns drawn independently with replacement from the real ones.

    Args:
        returns: A series ``(T,)`` or a panel ``(T, F)``; a panel is resampled by whole rows (dates).

    Returns:
        Array ``(n_paths, length)`` for a series, ``(n_paths, length, F)`` for a panel.
    """
    returns = np.asarray(returns, dtype=np.float64)
    rows = np.random.default_rng(seed).integers(0, len(returns), size=(n_paths, length))
    return returns[rows]


def block_bootstrap_paths(
    returns: np.ndarray,  # (T,) real log returns, or (T, F) a panel resampled by whole rows
    n_paths: int,  # paths to draw
    length: int,  # steps per path
    block_length: int | None = None,  # None: Politis-White optimal length for r^2 (arch.bootstrap)
    seed: int = 0,  # RNG seed
) -> np.ndarray:
    """Moving-block bootstrap: paths made of contiguous real blocks of ``block_length`` with random starts.

    For a panel the blocks are blocks of dates (all columns together) and the default block length is the
    largest of the columns' optimal lengths.

    Returns:
        Array ``(n_paths, length)`` for a series, ``(n_paths, length, F)`` for a panel.
    """
    returns = np.asarray(returns, dtype=np.float64)
    if block_length is None:
        block_length = optimal_block_length(returns)
    block_length = max(1, min(int(block_length), len(returns)))
    rng = np.random.default_rng(seed)
    n_blocks = -(-length // block_length)
    starts = rng.integers(0, len(returns) - block_length + 1, size=(n_paths, n_blocks))
    indices = (starts[:, :, None] + np.arange(block_length)).reshape(n_paths, -1)[:, :length]
    return returns[indices]


def optimal_block_length(returns: np.ndarray) -> int:
    """Politis & White (2004) circular-bootstrap block length of ``r^2`` (the volatility memory), rounded up.

    For a panel ``(T, F)``: the largest over the columns. Uses ``arch.bootstrap.optimal_block_length``.
    """
    try:
        from arch.bootstrap import optimal_block_length as politis_white
    except ImportError:
        raise PolemosError("pass block_length or install arch for the optimal block length") from None
    squared = np.asarray(returns, dtype=np.float64) ** 2
    return int(np.ceil(politis_white(squared)["circular"].max()))


# ----------------------------------------------------------------------------------------------------
# Panels and conditional scenarios


@dataclass(frozen=True)
class CccGarchFit:
    """One GARCH per column plus the correlation of their standardised residuals (Bollerslev 1990).

    Attributes:
        fits: Per-column :class:`GarchFit`, in column order.
        correlation: ``(F, F)`` correlation matrix of the standardised residuals.
    """

    fits: tuple[GarchFit, ...]
    correlation: np.ndarray


def fit_ccc_garch(returns: np.ndarray, asymmetric: bool, student_t: bool) -> CccGarchFit:
    """Fits a constant-conditional-correlation (GJR-)GARCH(1,1) on a panel ``(T, F)`` of returns.

    Each column gets its own :func:`fit_garch` model; the shocks are coupled by the empirical correlation
    of the standardised residuals ``eps_t / sigma_t``.

    Raises:
        PolemosError: If the panel is not 2-D with at least two columns, or ``arch`` is missing.
    """
    returns = np.asarray(returns, dtype=np.float64)
    if returns.ndim != 2 or returns.shape[1] < 2:
        raise PolemosError(f"a CCC-GARCH needs a panel (T, F) with F >= 2, got shape {returns.shape}")
    fitted = [_fit_arch(returns[:, column], asymmetric, student_t) for column in range(returns.shape[1])]
    residuals = np.column_stack([residual for _, residual in fitted])
    residuals = residuals[np.isfinite(residuals).all(axis=1)]
    return CccGarchFit(fits=tuple(fit for fit, _ in fitted), correlation=np.corrcoef(residuals, rowvar=False))


def _parameters(fits: tuple[GarchFit, ...]) -> dict[str, np.ndarray]:
    """The parameters of several fits as arrays ``(F,)``."""
    return {name: np.array([getattr(fit, name) for fit in fits]) for name in ("mu", "omega", "alpha", "gamma", "beta")}


def _unit_shocks(
    fits: tuple[GarchFit, ...], correlation: np.ndarray, shape: tuple[int, ...], rng: np.random.Generator
) -> np.ndarray:
    """Unit-variance shocks ``shape + (F,)`` with correlation ``correlation`` (Gaussian copula for t margins)."""
    gaussian = rng.standard_normal((*shape, len(fits))) @ np.linalg.cholesky(correlation).T
    shocks = np.empty_like(gaussian)
    for column, fit in enumerate(fits):
        if fit.nu is None:
            shocks[..., column] = gaussian[..., column]
        else:
            # Student-t margin through the normal CDF, scaled to unit variance by sqrt((nu - 2) / nu)
            uniform = stats.norm.cdf(gaussian[..., column])
            shocks[..., column] = stats.t.ppf(uniform, fit.nu) * np.sqrt((fit.nu - 2.0) / fit.nu)
    return shocks


def _simulate(
    parameters: dict[str, np.ndarray],  # (F,) arrays mu, omega, alpha, gamma, beta (percent units)
    shocks: np.ndarray,  # (steps, n, F) unit-variance shocks
    variance: np.ndarray,  # (n, F) conditional variance of the step before the first
    innovation: np.ndarray,  # (n, F) innovation eps of the step before the first
) -> np.ndarray:
    """Runs the (GJR-)GARCH recursion forward; returns the returns ``(steps, n, F)`` in percent."""
    omega, alpha, gamma, beta = (parameters[k] for k in ("omega", "alpha", "gamma", "beta"))
    paths = np.empty_like(shocks)
    for step in range(len(shocks)):
        # sigma2_t = omega + (alpha + gamma 1[eps_{t-1} < 0]) eps_{t-1}^2 + beta sigma2_{t-1}
        variance = omega + (alpha + gamma * (innovation < 0)) * innovation**2 + beta * variance
        innovation = np.sqrt(variance) * shocks[step]
        paths[step] = parameters["mu"] + innovation
    return paths


def ccc_garch_paths(fit: CccGarchFit, n_paths: int, length: int, seed: int = 0, burn: int = 500) -> np.ndarray:
    """Simulates panel paths from a fitted CCC-GARCH, after a burn-in started at the unconditional variances.

    Returns:
        Array ``(n_paths, length, F)`` of returns (not in percent).
    """
    rng = np.random.default_rng(seed)
    parameters = _parameters(fit.fits)
    shocks = _unit_shocks(fit.fits, fit.correlation, (length + burn, n_paths), rng)
    persistence = parameters["alpha"] + 0.5 * parameters["gamma"] + parameters["beta"]
    unconditional = parameters["omega"] / np.maximum(1.0 - persistence, 1e-3)
    variance = np.broadcast_to(unconditional, (n_paths, len(fit.fits))).copy()
    paths = _simulate(parameters, shocks, variance, np.zeros_like(variance))
    return np.moveaxis(paths[burn:], 0, 1) / _PERCENT


def garch_filter(fit: GarchFit, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conditional variances and innovations of a fitted model along observed returns (parameters fixed).

    ``eps_t = 100 r_t - mu`` and the GJR recursion; ``sigma2_0`` is the mean of ``eps^2`` (a simple backcast).

    Returns:
        ``(variance (T,), innovation (T,))`` in percent units; ``variance[t]`` uses returns before ``t`` only.
    """
    innovation = np.asarray(returns, dtype=np.float64) * _PERCENT - fit.mu
    variance = np.empty_like(innovation)
    variance[0] = np.mean(innovation**2)
    for step in range(1, len(innovation)):
        previous = innovation[step - 1]
        variance[step] = (
            fit.omega + (fit.alpha + fit.gamma * (previous < 0)) * previous**2 + fit.beta * variance[step - 1]
        )
    return variance, innovation


def garch_forecast_paths(
    fit: GarchFit,  # model fitted on the training returns
    returns: np.ndarray,  # (T,) observed returns, filtered with the fixed parameters
    origins: np.ndarray,  # (M,) first forecast step of each scenario set; 1 <= origin <= T
    n_scenarios: int,  # scenarios per origin (K)
    horizon: int,  # steps per scenario (H)
    seed: int = 0,  # shock seed
    shocks: np.ndarray | None = None,  # (M, K, H) unit-variance shocks to use instead of the model's own draws
) -> np.ndarray:
    """Conditional GARCH scenarios: from each origin ``t``, simulate ``r_t..r_{t+H-1}`` given ``r_{<t}``.

    ``shocks`` replaces the normal or Student-t draws with given standardised shocks ``z`` (``eps = sigma z``), e.g.
    shocks from another model of the standardised residuals ``eps_t / sigma_t`` (filtered historical simulation).

    Returns:
        Array ``(M, K, H)`` of returns (not in percent).
    """
    origins = np.asarray(origins, dtype=np.int64)
    if origins.min() < 1 or origins.max() > len(returns):
        raise PolemosError(f"origins must lie in [1, {len(returns)}] (each needs at least one past return)")
    variance, innovation = garch_filter(fit, returns)
    if shocks is None:
        rng = np.random.default_rng(seed)
        shocks = _unit_shocks((fit,), np.ones((1, 1)), (horizon, len(origins) * n_scenarios), rng)
    else:
        shocks = np.asarray(shocks, dtype=np.float64)
        if shocks.shape != (len(origins), n_scenarios, horizon) or not np.isfinite(shocks).all():
            raise PolemosError(
                f"shocks must be finite, of shape (origins, scenarios, horizon) = "
                f"{(len(origins), n_scenarios, horizon)}, got {shocks.shape}"
            )
        shocks = shocks.reshape(-1, horizon).T[:, :, None]  # (H, M K, 1), origin-major as the paths below
    start_variance = np.repeat(variance[origins - 1], n_scenarios)[:, None]
    start_innovation = np.repeat(innovation[origins - 1], n_scenarios)[:, None]
    paths = _simulate(_parameters((fit,)), shocks, start_variance, start_innovation)  # (H, M K, 1)
    return paths[:, :, 0].T.reshape(len(origins), n_scenarios, horizon) / _PERCENT
