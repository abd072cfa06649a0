"""Metrics for generated sequences: TimeGAN's post-hoc scores and the stylized facts of financial returns.

* :func:`discriminative_score` and :func:`predictive_score` follow TimeGAN's protocol (BENCHMARKS.md §5;
  Yoon et al. 2019, https://papers.nips.cc/paper/8789-time-series-generative-adversarial-networks);
* :func:`stylized_facts` follows QuantGAN's scores (BENCHMARKS.md §6; Wiese et al. 2020,
  https://arxiv.org/abs/1907.06673): EMD of k-day cumulative returns, ACF scores of r, |r|, r^2 and the
  leverage score, each an L2 norm over lags 1..250;
* :func:`cross_correlation_error` compares the contemporaneous correlation matrices of panels;
* :func:`crps_ensemble`, :func:`energy_score` and :func:`interval_coverage` score scenario ensembles against the
  value that happened (proper scoring rules; Gneiting & Raftery 2007, https://doi.org/10.1198/016214506000001437).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy import stats
from torch import nn

from polemos.errors import PolemosError

__all__ = [
    "ScoreSummary",
    "StylizedFacts",
    "autocorrelation",
    "cross_correlation_error",
    "crps_ensemble",
    "cumulative_returns",
    "discriminative_score",
    "energy_score",
    "interval_coverage",
    "leverage_correlation",
    "predictive_score",
    "repeated",
    "stylized_facts",
]


def _check_windows(name: str, windows: np.ndarray) -> np.ndarray:
    windows = np.asarray(windows, dtype=np.float32)
    if windows.ndim != 3:
        raise PolemosError(f"{name} must be windows of shape (N, T, F), got {windows.shape}")
    if not np.isfinite(windows).all():
        raise PolemosError(f"{name} holds NaN or infinite values; pass complete windows")
    return windows


class _GRUHead(nn.Module):
    """A 1-layer GRU followed by a linear layer, applied at the last step or at every step."""

    def __init__(self, features: int, hidden: int) -> None:
        super().__init__()
        self.gru = nn.GRU(features, hidden, batch_first=True)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, inputs: torch.Tensor, every_step: bool) -> torch.Tensor:
        outputs, last_hidden = self.gru(inputs)
        if every_step:
            return self.linear(outputs).squeeze(-1)  # (N, T)
        return self.linear(last_hidden[-1]).squeeze(-1)  # (N,)


def discriminative_score(
    real: np.ndarray,  # (N, T, F) real windows, scaled as the model saw them (e.g. [0, 1])
    synthetic: np.ndarray,  # (M, T, F) generated windows, same scaling
    iterations: int = 2000,  # Adam steps (2,000 in the protocol)
    batch_size: int = 128,  # real and synthetic windows per step, each
    seed: int = 0,  # split, batches and initialisation
) -> float:
    """TimeGAN's discriminative score: ``|accuracy - 0.5|`` of a post-hoc GRU real-vs-synthetic classifier.

    Protocol: each set is split 80/20 at random; a 1-layer GRU with ``floor(F / 2)`` hidden units (at least 1)
    reads each window, a linear layer on its last hidden state gives a logit; it is trained with
    sigmoid cross-entropy and Adam (learning rate 1e-3) for ``iterations`` steps of ``batch_size`` real plus
    ``batch_size`` synthetic windows; accuracy is measured on the held-out 20 % of both sets (threshold 0.5).

    Returns:
        A score in [0, 0.5]; 0 means the classifier cannot tell synthetic from real.

    Raises:
        PolemosError: If the windows do not share ``(T, F)``, hold NaN, or a set has fewer than 2 windows (one
            for training and one held out).
    """
    real = _check_windows("real", real)
    synthetic = _check_windows("synthetic", synthetic)
    if real.shape[1:] != synthetic.shape[1:]:
        raise PolemosError(f"real {real.shape} and synthetic {synthetic.shape} windows must share (T, F)")
    for name, windows in (("real", real), ("synthetic", synthetic)):
        if len(windows) < 2:  # the 80/20 split would leave the classifier nothing to train on
            raise PolemosError(
                f"the discriminative score trains on 80 % of each set and tests on the rest, so it needs at least 2 "
                f"{name} windows, got {len(windows)}; pass more {name} windows"
            )
    rng = np.random.default_rng(seed)
    torch_rng = torch.Generator().manual_seed(seed)

    def split(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = rng.permutation(len(windows))
        cut = int(len(windows) * 0.8)
        return windows[order[:cut]], windows[order[cut:]]

    real_train, real_test = split(real)
    fake_train, fake_test = split(synthetic)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        classifier = _GRUHead(real.shape[2], max(1, real.shape[2] // 2))
    optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-3)
    real_train_t, fake_train_t = torch.from_numpy(real_train), torch.from_numpy(fake_train)
    for _ in range(iterations):
        real_idx = torch.randint(len(real_train_t), (min(batch_size, len(real_train_t)),), generator=torch_rng)
        fake_idx = torch.randint(len(fake_train_t), (min(batch_size, len(fake_train_t)),), generator=torch_rng)
        logits = classifier(torch.cat([real_train_t[real_idx], fake_train_t[fake_idx]]), every_step=False)
        labels = torch.cat([torch.ones(len(real_idx)), torch.zeros(len(fake_idx))])
        loss = nn.functional.binary_cross_entropy_with_logits(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        real_correct = (classifier(torch.from_numpy(real_test), every_step=False) > 0).sum().item()
        fake_correct = (classifier(torch.from_numpy(fake_test), every_step=False) <= 0).sum().item()
    accuracy = (real_correct + fake_correct) / (len(real_test) + len(fake_test))
    return abs(accuracy - 0.5)


def predictive_score(
    real: np.ndarray,  # (N, T, F) real windows, scaled to [0, 1] as in the protocol
    synthetic: np.ndarray,  # (M, T, F) generated windows, same scaling
    iterations: int = 5000,  # Adam steps (5,000 in the protocol)
    batch_size: int = 128,  # synthetic windows per step
    seed: int = 0,  # batches and initialisation
) -> float:
    """TimeGAN's predictive score ("train on synthetic, test on real"): MAE of one-step-ahead prediction.

    Protocol: a 1-layer GRU with ``floor(F / 2)`` hidden units (at least 1) reads features ``0..F-2`` at steps
    ``0..T-2``; a linear layer plus sigmoid at each step predicts the last feature at the next step. It is
    trained on synthetic windows with the L1 loss and Adam (learning rate 1e-3), then the mean absolute error
    is computed per real window and averaged over all real windows. With a single feature (F = 1) the input
    is that feature itself (the protocol's input would be empty).

    Returns:
        The MAE on real windows (lower is better; compare with the same score trained on real data).
    """
    real = _check_windows("real", real)
    synthetic = _check_windows("synthetic", synthetic)
    if real.shape[1:] != synthetic.shape[1:]:
        raise PolemosError(f"real {real.shape} and synthetic {synthetic.shape} windows must share (T, F)")
    features = real.shape[2]
    input_features = slice(0, features - 1) if features > 1 else slice(0, 1)

    def inputs_targets(windows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        tensor = torch.from_numpy(windows)
        return tensor[:, :-1, input_features], tensor[:, 1:, features - 1]

    train_inputs, train_targets = inputs_targets(synthetic)
    test_inputs, test_targets = inputs_targets(real)
    torch_rng = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        predictor = _GRUHead(train_inputs.shape[2], max(1, features // 2))
    optimizer = torch.optim.Adam(predictor.parameters(), lr=1e-3)
    for _ in range(iterations):
        idx = torch.randint(len(train_inputs), (min(batch_size, len(train_inputs)),), generator=torch_rng)
        predictions = torch.sigmoid(predictor(train_inputs[idx], every_step=True))
        loss = (predictions - train_targets[idx]).abs().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        predictions = torch.sigmoid(predictor(test_inputs, every_step=True))
    # mean over steps per window, then over windows (equal lengths make this the global mean)
    return float((predictions - test_targets).abs().mean(dim=1).mean().item())


@dataclass(frozen=True)
class ScoreSummary:
    """A score repeated over runs.

    Attributes:
        mean: Mean over runs.
        std: Population standard deviation over runs (as TimeGAN's ``np.std``).
        values: The per-run scores.
    """

    mean: float
    std: float
    values: tuple[float, ...]

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f} (n={len(self.values)})"


def repeated(values: Sequence[float]) -> ScoreSummary:
    """Summarises per-run scores as mean ± std."""
    array = np.asarray(values, dtype=np.float64)
    return ScoreSummary(float(array.mean()), float(array.std()), tuple(float(v) for v in array))


# ----------------------------------------------------------------------------------------------------
# Stylized facts of returns


def _as_paths(returns: np.ndarray) -> np.ndarray:
    """Returns ``(P, T)`` float64 paths from a 1-D series or a 2-D array of paths."""
    returns = np.asarray(returns, dtype=np.float64)
    if returns.ndim == 1:
        returns = returns[None, :]
    if returns.ndim != 2:
        raise PolemosError(f"returns must be a series (T,) or paths (P, T), got shape {returns.shape}")
    if not np.isfinite(returns).all():
        raise PolemosError("returns hold NaN or infinite values; drop the gaps before computing stylized facts")
    return returns


def autocorrelation(paths: np.ndarray, max_lag: int) -> np.ndarray:
    """Mean over paths of the sample autocorrelation at lags ``1..max_lag``.

    Per path: ``acf(k) = sum_t (x_t - m)(x_{t+k} - m) / sum_t (x_t - m)^2`` with the path mean ``m``
    (the standard biased estimator, as in ``statsmodels.tsa.stattools.acf``).

    Args:
        paths: A series ``(T,)`` or paths ``(P, T)``.
        max_lag: Largest lag, smaller than ``T``.

    Returns:
        Array ``(max_lag,)``.
    """
    paths = _as_paths(paths)
    length = paths.shape[1]
    if max_lag >= length:
        raise PolemosError(f"max_lag {max_lag} must be smaller than the path length {length}")
    centered = paths - paths.mean(axis=1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * length - 1)))
    spectrum = np.fft.rfft(centered, n=size, axis=1)
    autocovariance = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, : max_lag + 1]
    acf = autocovariance[:, 1:] / np.maximum(autocovariance[:, :1], 1e-300)
    return acf.mean(axis=0)


def leverage_correlation(paths: np.ndarray, max_lag: int) -> np.ndarray:
    """Mean over paths of ``corr(r_t, r_{t+k}^2)`` for ``k = 1..max_lag`` (negative: leverage).

    Returns:
        Array ``(max_lag,)``.
    """
    paths = _as_paths(paths)
    if max_lag >= paths.shape[1] - 1:
        raise PolemosError(f"max_lag {max_lag} must be smaller than the path length minus one")
    values = np.empty(max_lag)
    for lag in range(1, max_lag + 1):
        leading, squared = paths[:, :-lag], paths[:, lag:] ** 2
        leading = leading - leading.mean(axis=1, keepdims=True)
        squared = squared - squared.mean(axis=1, keepdims=True)
        denominator = np.sqrt((leading**2).sum(axis=1) * (squared**2).sum(axis=1))
        values[lag - 1] = np.mean((leading * squared).sum(axis=1) / np.maximum(denominator, 1e-300))
    return values


def cumulative_returns(paths: np.ndarray, horizon: int) -> np.ndarray:
    """All overlapping ``horizon``-step cumulative log returns ``sum_{s=t}^{t+h-1} r_s`` of all paths."""
    paths = _as_paths(paths)
    if horizon > paths.shape[1]:
        raise PolemosError(f"horizon {horizon} is longer than the paths ({paths.shape[1]} steps)")
    cumulative = np.concatenate([np.zeros((paths.shape[0], 1)), np.cumsum(paths, axis=1)], axis=1)
    return (cumulative[:, horizon:] - cumulative[:, :-horizon]).ravel()


@dataclass(frozen=True)
class StylizedFacts:
    """Distances between generated and real returns on the stylized facts (all: lower is better).

    Attributes:
        emd: Wasserstein-1 distance between the real and generated k-day cumulative returns, by horizon k.
        acf_r: L2 norm over lags 1..max_lag of the difference of mean ACF of r.
        acf_abs: Same for |r|.
        acf_squared: Same for r^2.
        leverage: L2 norm over lags 1..max_lag of the difference of corr(r_t, r_{t+k}^2).
        max_lag: The largest lag used.
    """

    emd: dict[int, float]
    acf_r: float
    acf_abs: float
    acf_squared: float
    leverage: float
    max_lag: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready record (horizons as strings)."""
        record = asdict(self)
        record["emd"] = {str(k): v for k, v in self.emd.items()}
        return record


def stylized_facts(
    real: np.ndarray,  # (T,) real log returns, or (P, T) real paths
    generated: np.ndarray,  # (P, T') generated log-return paths
    horizons: Sequence[int] = (1, 5, 20, 100),  # cumulative-return horizons for the EMD, in steps
    max_lag: int = 250,  # lags 1..max_lag for the ACF and leverage scores
    max_values: int = 2_000_000,  # EMD subsamples generated values beyond this count (seeded), for memory
    seed: int = 0,  # subsampling seed
) -> StylizedFacts:
    """QuantGAN's stylized-fact scores of generated log returns against real ones (BENCHMARKS.md §6).

    The ACF and leverage curves are averaged over paths before the difference is taken; the EMD compares the
    pooled overlapping k-day cumulative returns.
    """
    real_paths, generated_paths = _as_paths(real), _as_paths(generated)
    rng = np.random.default_rng(seed)
    emd: dict[int, float] = {}
    for horizon in horizons:
        real_sums = cumulative_returns(real_paths, horizon)
        generated_sums = cumulative_returns(generated_paths, horizon)
        if len(generated_sums) > max_values:
            generated_sums = rng.choice(generated_sums, size=max_values, replace=False)
        emd[int(horizon)] = float(stats.wasserstein_distance(real_sums, generated_sums))

    def acf_distance(transform: Callable[[np.ndarray], np.ndarray]) -> float:
        real_acf = autocorrelation(transform(real_paths), max_lag)
        generated_acf = autocorrelation(transform(generated_paths), max_lag)
        return float(np.linalg.norm(real_acf - generated_acf))

    leverage = float(
        np.linalg.norm(leverage_correlation(real_paths, max_lag) - leverage_correlation(generated_paths, max_lag))
    )
    return StylizedFacts(
        emd=emd,
        acf_r=acf_distance(lambda x: x),
        acf_abs=acf_distance(np.abs),
        acf_squared=acf_distance(np.square),
        leverage=leverage,
        max_lag=max_lag,
    )


def cross_correlation_error(real: np.ndarray, generated: np.ndarray, method: str = "pearson") -> float:
    """Frobenius norm of the difference of the features' correlation matrices, over all steps pooled.

    Args:
        real: ``(T, F)`` or ``(N, T, F)`` real values (e.g. multi-asset returns).
        generated: ``(T', F)`` or ``(M, T', F)`` generated values.
        method: ``"pearson"`` (linear correlation; sensitive to joint extremes) or ``"spearman"`` (correlation
            of the ranks; invariant to increasing transforms of each feature).

    Returns:
        ``||corr(real) - corr(generated)||_F``; 0 for identical correlation structure; NaN when a feature is
        constant in either set (its correlation is undefined; leave such features out).
    """
    if method not in ("pearson", "spearman"):
        raise PolemosError(f"unknown correlation method {method!r}; use 'pearson' or 'spearman'")
    real_flat = np.asarray(real, dtype=np.float64).reshape(-1, np.shape(real)[-1])
    generated_flat = np.asarray(generated, dtype=np.float64).reshape(-1, np.shape(generated)[-1])
    if real_flat.shape[1] != generated_flat.shape[1]:
        raise PolemosError(f"real has {real_flat.shape[1]} features and generated {generated_flat.shape[1]}")
    if real_flat.shape[1] < 2:
        raise PolemosError("cross-correlation needs at least two features")
    real_flat = real_flat[np.isfinite(real_flat).all(axis=1)]
    generated_flat = generated_flat[np.isfinite(generated_flat).all(axis=1)]
    if method == "spearman":  # Pearson correlation of the per-feature ranks (ties get their mean rank)
        real_flat = stats.rankdata(real_flat, axis=0)
        generated_flat = stats.rankdata(generated_flat, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant feature: NaN, as documented, not a warning
        difference = np.corrcoef(real_flat, rowvar=False) - np.corrcoef(generated_flat, rowvar=False)
    return float(np.linalg.norm(difference))


# ----------------------------------------------------------------------------------------------------
# Proper scoring rules for scenario ensembles


def _pair_denominator(members: int, fair: bool) -> int:
    if members < (2 if fair else 1):
        raise PolemosError(f"an ensemble needs at least {2 if fair else 1} members, got {members}")
    # fair: the unbiased U-statistic over distinct pairs (Ferro 2014); else the empirical law's V-statistic
    return members * (members - 1) if fair else members * members


def crps_ensemble(
    ensemble: np.ndarray,  # (..., K) ensemble members (scenarios) per forecast
    observation: np.ndarray | float,  # (...) the values that happened
    fair: bool = False,  # divide the spread term by K (K - 1) instead of K^2
) -> np.ndarray:
    """Continuous ranked probability score of an ensemble: ``E|X - y| - E|X - X'| / 2`` (lower is better).

    ``X, X'`` are independent draws from the ensemble's empirical law; the pair sum uses the sorted members,
    ``sum_{k,l} |x_k - x_l| = 2 sum_i (2 i - K - 1) x_(i)``. For ``K = 1`` the CRPS is the absolute error.

    Returns:
        Array of shape ``observation.shape`` (a 0-d array for a single forecast), in the units of the data.
    """
    members = np.sort(np.asarray(ensemble, dtype=np.float64), axis=-1)
    observed = np.asarray(observation, dtype=np.float64)
    if members.shape[:-1] != observed.shape:
        raise PolemosError(f"ensemble {members.shape} must be observation {observed.shape} plus a member axis")
    count = members.shape[-1]
    denominator = _pair_denominator(count, fair)
    absolute_error = np.abs(members - observed[..., None]).mean(axis=-1)
    weights = 2.0 * np.arange(1, count + 1) - count - 1.0
    pair_sum = 2.0 * (members * weights).sum(axis=-1)
    return absolute_error - pair_sum / (2.0 * denominator)


def energy_score(
    ensemble: np.ndarray,  # (..., K, D) ensemble members, each a D-vector (e.g. the next H steps, flattened)
    observation: np.ndarray,  # (..., D) the vectors that happened
    fair: bool = False,  # divide the spread term by K (K - 1) instead of K^2
) -> np.ndarray:
    """Energy score ``E||X - y|| - E||X - X'|| / 2`` with Euclidean norms (lower is better).

    The multivariate generalisation of the CRPS (equal to it for ``D = 1``); it is proper for the joint law of
    the ``D`` components, so it rewards scenarios whose steps co-move as the real ones do.

    Returns:
        Array of shape ``observation.shape[:-1]``.
    """
    members = np.asarray(ensemble, dtype=np.float64)
    observed = np.asarray(observation, dtype=np.float64)
    if members.ndim < 2 or members.shape[:-2] + members.shape[-1:] != observed.shape:
        raise PolemosError(f"ensemble {members.shape} must be (..., K, D) for observations {observed.shape} (..., D)")
    count, dimension = members.shape[-2:]
    denominator = _pair_denominator(count, fair)
    flat_members = members.reshape(-1, count, dimension)
    flat_observed = observed.reshape(-1, dimension)
    scores = np.empty(len(flat_members))
    for index, (forecast, value) in enumerate(zip(flat_members, flat_observed, strict=True)):
        error = np.linalg.norm(forecast - value, axis=1).mean()
        # ||x_k - x_l||^2 = |x_k|^2 + |x_l|^2 - 2 <x_k, x_l>, clipped at 0 against rounding
        squared = (forecast**2).sum(axis=1)
        gram = squared[:, None] + squared[None, :] - 2.0 * forecast @ forecast.T
        spread = np.sqrt(np.maximum(gram, 0.0)).sum()
        scores[index] = error - spread / (2.0 * denominator)
    return scores.reshape(observed.shape[:-1])


def interval_coverage(
    ensemble: np.ndarray,  # (..., K) ensemble members per forecast
    observation: np.ndarray | float,  # (...) the values that happened
    level: float = 0.9,  # nominal probability of the central interval
) -> float:
    """Fraction of observations inside the ensemble's central ``level`` interval (closed, empirical quantiles).

    The interval runs from the ``(1 - level) / 2`` to the ``(1 + level) / 2`` quantile of the members (linear
    interpolation, ``numpy.quantile``'s default). A calibrated forecaster covers about ``level``. Coverage alone
    is not a proper score (wide intervals always cover): read it with the interval width or the CRPS.
    """
    if not 0.0 < level < 1.0:
        raise PolemosError(f"level must be in (0, 1), got {level}")
    members = np.asarray(ensemble, dtype=np.float64)
    observed = np.asarray(observation, dtype=np.float64)
    if members.shape[:-1] != observed.shape:
        raise PolemosError(f"ensemble {members.shape} must be observation {observed.shape} plus a member axis")
    lower, upper = np.quantile(members, [(1.0 - level) / 2.0, (1.0 + level) / 2.0], axis=-1)
    return float(((observed >= lower) & (observed <= upper)).mean())
