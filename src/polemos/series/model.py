"""``SeriesGAN``: fit a sequence GAN on windows of a multivariate series, sample, save and load.

Data modes (chosen by :meth:`SeriesGAN.fit`):

* levels (default): every feature is min-max scaled to [0, 1] over the whole input (TimeGAN's scaling) and the
  generator ends in a sigmoid;
* returns (``returns=True``): the input holds prices (or log returns, ``returns_input="log-returns"``,
  e.g. factor returns); prices become log returns, which are QuantGAN-preprocessed
  (standardise, inverse Lambert W, standardise; :class:`~polemos.series.data.ReturnsTransform`), and the
  generator ends in a volatility head ``mu_t + sigma_t * eps_t`` whose shocks feed back into the GRU.
  :meth:`SeriesGAN.sample` returns log returns;
  :func:`~polemos.series.data.returns_to_prices` or ``as_prices=True`` turns them into prices.

Input shapes: a DataFrame or 2-D array ``(T, F)`` is one series cut into windows with stride ``stride``;
a 3-D array ``(N, T, F)`` is a set of windows, where trailing NaN steps mark shorter sequences
(variable length, trained with masks); a list of 2-D arrays is a set of sequences of different lengths.

Conditioning: ``labels`` (one class per sequence, for window sets) and ``context_length`` (the first ``L``
steps of each window are given and the generator learns to continue them for ``window - L`` steps).
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from polemos.checks import (
    MAX_SEED,
    check_memory,
    check_options,
    check_save_folder,
    check_seed,
    check_time_budget,
    read_model_json,
    saved_model_kind,
)
from polemos.errors import PolemosError
from polemos.files import atomic_write
from polemos.game.ema import EMA
from polemos.game.losses import get_loss
from polemos.game.penalties import get_penalty
from polemos.game.schedules import LR_SCHEDULES, lr_schedule_factor
from polemos.progress import progress_bar
from polemos.series.data import (
    MinMaxScaler,
    ReturnsTransform,
    check_window_and_stride,
    cut_windows,
    log_returns,
    returns_to_prices,
    validate_table,
)
from polemos.series.facts import FACTS_TARGETS, FactsPenalty
from polemos.series.metrics import cross_correlation_error, energy_score
from polemos.series.networks import ConvDiscriminator, RecurrentGenerator
from polemos.series.scoring import energy_score_tensor
from polemos.series.summary import SUMMARY_FILE, SeriesSummary, summarize_windows

__all__ = ["SeriesGAN", "SeriesGANConfig", "TrainingSummary"]

_FORMAT_VERSION = 1
# the smallest valid value of numeric options (-o KEY=VALUE), checked with their types; the ranges of the other
# options are checked in SeriesGAN.__init__ (with their own messages) and in fit (where they depend on the data)
_OPTION_BOUNDS = {
    **dict.fromkeys(
        (
            "hidden",
            "layers",
            "noise_dim",
            "discriminator_channels",
            "penalty_every",
            "batch_size",
            "label_dim",
            "select_paths",
            "select_length",
            "facts_length",
            "critic_statistics_lags",
        ),
        ">= 1",
    ),
    **dict.fromkeys(("generator_lr", "discriminator_lr"), "> 0"),
    **dict.fromkeys(("penalty_weight", "ema_half_life"), ">= 0"),
}
# options whose type and range SeriesGAN.__init__ checks itself (a bool or a fraction where a count belongs)
_SELF_CHECKED = ("context_holdout", "select_patience", "facts_max_lag", "select_correlation")
# arguments of fit that `polemos series fit` takes as flags; -o window=... points there
_FIT_FLAGS = ("window", "stride", "returns", "returns_input", "context_length", "steps", "time_budget", "nan_policy")
# a window of one step has no order in time: the GAN would learn the law of single rows, the ACFs have no lag
MIN_WINDOW = 2
# below this many non-overlapping windows' worth of data, fit notes that the GAN memorises its windows
FEW_WINDOWS = 5


def _own_random_stream(method: Callable[..., Any]) -> Callable[..., Any]:
    """Runs ``method`` in a forked torch RNG: it seeds its own stream, and the caller's stream is left as it was."""

    @functools.wraps(method)
    def forked(*args: Any, **kwargs: Any) -> Any:
        with torch.random.fork_rng():
            return method(*args, **kwargs)

    return forked


@dataclass(frozen=True)
class SeriesGANConfig:
    """Hyper-parameters of :class:`SeriesGAN` (saved with the model).

    Attributes:
        hidden: GRU state size of the generator.
        layers: Stacked GRU cells in the generator.
        noise_dim: Noise features per step.
        discriminator_channels: Channels of the convolutional discriminator.
        loss: Adversarial loss name (``polemos.game.losses``).
        penalty: Gradient penalty name (``polemos.game.penalties``).
        penalty_weight: Multiplier of the unweighted penalty (for R1/R2 this is ``gamma / 2``).
        penalty_every: Apply the penalty every this many discriminator steps, multiplied by this number
            (lazy regularisation, Karras et al. 2020, https://arxiv.org/abs/1912.04958).
        batch_size: Real windows per step (and as many generated ones).
        generator_lr: Adam learning rate of the generator.
        discriminator_lr: Adam learning rate of the discriminator.
        betas: Adam betas for both networks.
        lr_schedule: ``"constant"`` or ``"cosine"``: both learning rates decay from their start to ``lr_final``
            times it over ``steps`` (or over the time budget, whichever is further along), so the last states
            settle instead of wandering (:func:`polemos.game.schedules.lr_schedule_factor`).
        lr_final: The last learning-rate multiplier of ``"cosine"``, in [0, 1].
        ema_half_life: Half-life of the generator's weight average, in samples (0 disables it).
        label_dim: Size of the label embedding of a conditional generator.
        slow_noise_timescales: Time scales (steps) of extra slowly varying AR(1) noise inputs of the generator
            (:func:`~polemos.series.networks.slow_noise`); empty: none. Long paths get persistent drivers
            (volatility regimes) beyond the training window.
        shock_magnitude: Returns mode: the generator's GRU also reads the size of yesterday's shock,
            ``|eps_{t-1}| - E|eps|``, besides the shock itself, so today's scale can grow with it as in GARCH.
        critic_magnitude: Whether the discriminator also reads ``|x|`` (volatility clustering made explicit).
        critic_tails: Returns mode, with ``critic_magnitude``: the magnitude channels read ``|r - mean| / std``,
            the standardised returns in data units (through the inverse of the QuantGAN map, differentiable),
            instead of ``|x|`` in model space, where the Lambert W map has shrunk the tails. Extreme days and
            how they cluster then weigh in the critic as much as they do in the returns.
        critic_tails_power: With ``critic_tails``, the power ``p >= 1`` of the magnitude channels: they read
            ``|r - mean|^p / std^p``. 2 gives the squared returns, whose clustering ACF(r^2) measures; extreme
            days then weigh more still. 1: ``|r - mean| / std`` (the default).
        critic_products: Whether the discriminator also reads the product ``x_i x_j`` of every pair of features
            at each step (co-movement and joint extremes made explicit; at least 2 features). In returns mode
            the products are of the standardised returns in data units, as with ``critic_tails``.
        critic_batch_products: With ``critic_products``: the discriminator also reads each pair's product
            averaged over the whole batch, a batch-level co-movement statistic (in the spirit of the minibatch
            standard deviation): one window holds too few steps to show a correlation that is off by 0.05-0.1.
            Full-length windows only.
        critic_batch_model_products: With ``critic_products``: the discriminator also reads each pair's product
            of the model-space windows averaged over the whole batch. In returns mode model space is standardised
            and Gaussianized, so this is close to a rank (normal-scores) correlation, where
            ``critic_batch_products`` weighs joint extremes. Full-length windows only.
        critic_statistics_lags: Lags of per-window statistics (autocorrelation of ``|x|``, ``corr(x_t,
            |x_{t+k}|)``, log mean square) the discriminator also reads
            (:func:`~polemos.series.networks.window_statistics`); lags at or beyond the window are dropped;
            empty: none. Full-length windows only.
        burn_in: Steps the generator runs before the window the discriminator judges, in training and in
            :meth:`SeriesGAN.sample`, so the judged steps come from a warmed-up state as in long paths
            (unconditional full-length windows only; 0: none). Gradients stop at the state after the burn-in
            (truncated backpropagation), so a long burn-in costs about a forward pass without gradient tracking.
        select_every: Returns mode, one unconditional series: every this many steps, score the averaged
            generator's long paths on the stylized facts of the training returns (ACF of ``|r|`` and ``r^2``
            and the leverage correlation, L2 over lags ``1..min(facts_max_lag, select_length // 4)``, summed and
            averaged over features) and keep the best-scoring generator instead of the last one (0: off,
            keep the last). Adversarial training of long paths drifts; this picks the state whose long paths
            look most like the data. The score is on the training series itself, so it is an in-sample
            choice: report it as such.
        select_correlation: With ``select_every`` on two or more series: weight of the rank (Spearman)
            cross-correlation error ``||corr(real ranks) - corr(generated ranks)||_F`` (pooled over the
            selection paths and steps, against the whole training series) added to the selection score, so the
            kept state also matches how the series move together (0: off). Unit-free like the facts distances,
            and in-sample like them.
        select_paths: Paths drawn for each selection score (with ``context_holdout``: scenarios per held-out
            origin).
        select_patience: With ``select_every``: stop training once this many steps have passed since the best
            check without a better one (early stopping; 0: off, train every step asked for). The kept state is the
            one the full run would keep whenever no later check would have beaten it after such a gap. Without
            ``select_every`` there are no checks, and it has no effect.
        context_holdout: Context models (``context_length > 0``) on one series, with ``select_every``: the last
            this fraction of the series is held out of training (windows that reach into it are dropped) and
            every ``select_every`` steps the generator's scenarios are scored on it: origins every ``H`` steps
            (``H = window - context_length``, disjoint targets), ``select_paths`` scenarios each given the
            ``context_length`` steps before, mean energy score in data units; the best-scoring state is kept
            (0: off). A conditional generator shown one continuation per context can learn to reproduce the
            training continuations and grow too sharp as it trains; this keeps the state that generalises
            best to later contexts. The returns scaling is still fitted on the whole series.
        select_length: Steps per selection path.
        energy_weight: Context models (``context_length > 0``): weight of the fair energy score of the
            continuations (``energy_samples`` draws per real context, scored against the real continuation, in
            the model's space) added to the generator loss (0: off). A proper scoring rule of the conditional law,
            as in scoring-rule training of forecasters; the adversarial loss still shapes each path.
        energy_samples: Draws per context for ``energy_weight`` (>= 2).
        calibrate_scale: Returns mode: after training, draw ``select_paths`` paths of ``select_length`` steps
            and store the affine map that gives the generated model-space returns the training returns' mean
            and standard deviation; :meth:`SeriesGAN.sample` applies it (a generator whose long paths are
            too calm, measured 0.7-0.85 of the real standard deviation on the S&P 500, gets the right scale).
        calibrate_covariance: Returns mode, one series: after training (and after ``calibrate_scale``), draw
            ``select_paths`` paths of ``select_length`` steps and store the affine map, in data units (log
            returns), that gives the generated returns the training returns' mean and covariance, so each
            feature's standard deviation and every pairwise Pearson correlation; :meth:`SeriesGAN.sample`
            applies it. The map is the Gaussian optimal-transport one (a symmetric matrix: the smallest linear
            change that fits, independent of the column order). The correlation is then imposed, not learnt:
            rank (Spearman) correlations follow only where the dependence is linear.
        facts_weight: Returns mode, one unconditional series, with ``slow_noise_timescales``: weight of a
            stylized-facts penalty (0: off). Every ``facts_every`` steps the generator draws ``facts_paths`` paths
            of ``facts_length`` steps (after ``burn_in``); the penalty is ``facts_every * facts_weight`` times the
            L2 distance of their ACF of ``|r|``, ACF of ``r^2`` and leverage curves (lags
            ``1..min(facts_max_lag, facts_length // 4)``, data units) to the training series' curves (``facts_target``;
            :class:`~polemos.series.facts.FactsPenalty`). Its gradient reaches only the GRU's input
            weights from the slow noise, the part of the generator that sets memory beyond the window: the critic
            judges ``window``-step windows and cannot see it. (Applied to every weight, the penalty taught the
            S&P 500 generator rare huge returns instead: kurtosis 122, real 7.) It fits statistics that the
            stylized-fact scores measure on the same series: report those scores as in-sample.
        facts_every: Apply the facts penalty every this many generator steps (lazy, like ``penalty_every``).
        facts_paths: Paths per facts penalty.
        facts_length: Steps per facts-penalty path (at most the series length with ``facts_target="stretches"``).
        facts_target: What the facts penalty compares with: ``"stretches"``, the mean curves of the training
            series' stretches of ``facts_length`` steps (the same bias of the sample ACF on both sides), or
            ``"series"``, the curves of the whole series, which the benchmark's scores compare long paths with.
        facts_max_lag: Largest lag of the facts penalty's and the selection's curves (each also capped at a quarter
            of its path length). 250 suits daily returns (BENCHMARKS.md §6 scores lags 1-250); set the lags your
            data is scored on, e.g. 24 for monthly returns, where lags of 20 years are mostly noise.
        tilt_quantile: Unconditional full-length windows: with ``q > 0``, a window is *extreme* when one of its
            steps lies beyond the ``q`` quantile of the real ``|x|`` (model space). A ``tilt_fraction`` of every
            real batch is drawn from the extreme real windows, and as many fakes are redrawn from the batch's
            extreme fakes (with replacement; all fakes if none is extreme); the rest of both batches stays
            uniform. The critic then compares the two distributions both as they are and conditioned on an
            extreme, so it sees how rare days cluster (the day after a crash) far more often than in uniform
            batches, where such windows are a few per cent. 0: off (the default).
        tilt_fraction: Share of each batch drawn from the extreme windows with ``tilt_quantile``.
    """

    hidden: int = 64
    layers: int = 2
    noise_dim: int = 8
    discriminator_channels: int = 64
    loss: str = "nonsaturating"
    penalty: str = "r1"
    penalty_weight: float = 1.0
    penalty_every: int = 4
    batch_size: int = 128
    generator_lr: float = 5e-4
    discriminator_lr: float = 5e-4
    betas: tuple[float, float] = (0.5, 0.99)
    lr_schedule: str = "constant"
    lr_final: float = 0.0
    ema_half_life: float = 20_000.0
    label_dim: int = 8
    slow_noise_timescales: tuple[float, ...] = ()
    shock_magnitude: bool = False
    critic_magnitude: bool = False
    critic_tails: bool = False
    critic_tails_power: float = 1.0
    critic_products: bool = False
    critic_batch_products: bool = False
    critic_batch_model_products: bool = False
    critic_statistics_lags: tuple[int, ...] = ()
    burn_in: int = 0
    select_every: int = 0
    select_correlation: float = 0.0
    context_holdout: float = 0.0
    select_paths: int = 100
    select_patience: int = 0
    select_length: int = 2000
    energy_weight: float = 0.0
    energy_samples: int = 4
    calibrate_scale: bool = False
    calibrate_covariance: bool = False
    facts_weight: float = 0.0
    facts_every: int = 16
    facts_paths: int = 32
    facts_length: int = 1024
    facts_target: str = "stretches"
    facts_max_lag: int = 250
    tilt_quantile: float = 0.0
    tilt_fraction: float = 0.5

    def facts_lags(self, length: int) -> int:
        """Largest lag of the stylized-fact curves of ``length``-step paths (facts penalty, selection)."""
        return min(self.facts_max_lag, length // 4)


@dataclass(frozen=True)
class TrainingSummary:
    """What :meth:`SeriesGAN.fit` did.

    Attributes:
        steps: Discriminator/generator step pairs taken.
        seconds: Wall-clock time from the first training step to the end of the fit (selection checks and
            calibration included).
        windows: Training windows.
        final_d_loss: Discriminator loss of the last step.
        final_g_loss: Generator loss of the last step.
        notes: Data-handling notes (sorting, NaN handling, too little data for the window).
        selected_step: With ``select_every``: the step of the kept generator (else None: the last).
        selection: With ``select_every``: ``[step, score]`` of every check (lower is better).
    """

    steps: int
    seconds: float
    windows: int
    final_d_loss: float
    final_g_loss: float
    notes: tuple[str, ...] = field(default=())
    selected_step: int | None = None
    selection: tuple[tuple[int, float], ...] = field(default=())
    fit_seconds: float | None = None  # the whole fit: preparing the data, training and calibration


@dataclass
class _Prepared:
    """Windows in model space plus what is needed to map back."""

    windows: np.ndarray  # (N, T, F), NaN-free (padded steps hold 0)
    mask: np.ndarray | None  # (N, T) bool, or None when all sequences are full
    columns: tuple[str, ...]
    notes: tuple[str, ...]
    last_price: list[float] | None = None
    series: np.ndarray | None = None  # (T, F) the one input series in data units (log returns in returns mode)
    starts: np.ndarray | None = None  # (N,) first row of each window in the input series; None for window sets


def _pad_sequences(sequences: Sequence[np.ndarray]) -> np.ndarray:
    """Pads 2-D sequences of different lengths with trailing NaN into ``(N, T_max, F)``."""
    arrays = [np.asarray(s, dtype=np.float64) for s in sequences]
    if not arrays or any(a.ndim != 2 for a in arrays) or len({a.shape[1] for a in arrays}) != 1:
        raise PolemosError("a list of sequences must hold 2-D arrays (T_i, F) with the same F")
    padded = np.full((len(arrays), max(a.shape[0] for a in arrays), arrays[0].shape[1]), np.nan)
    for i, array in enumerate(arrays):
        padded[i, : len(array)] = array
    return padded


def _check_window(window: Any, stride: Any) -> None:
    """Refuses a window or stride that is not a whole number, and a window too short to hold any order in time."""
    check_window_and_stride(window, stride)
    if window < MIN_WINDOW:
        raise PolemosError(
            f"window must be at least {MIN_WINDOW} steps, got {window}: one step has no order in time to learn or to "
            f"score (no autocorrelation); use --window {MIN_WINDOW} or more (window=N), or `polemos tabular fit` for "
            "rows without order"
        )


def _too_short_message(length: int, window: int, from_prices: bool) -> str:
    """Why a series of ``length`` steps (log returns when ``from_prices``) yields no window, and the fix."""
    if from_prices:  # the rows the user sees are prices: n prices give n - 1 returns
        returns_count = f"{length} log return{'' if length == 1 else 's'}"
        size = f"{length + 1} price{'' if length == 0 else 's'}, which give {returns_count}"
    else:
        size = f"{length} step{'' if length == 1 else 's'}"
    if length >= MIN_WINDOW:
        fix = f"use a window of at most {length} steps (--window {length}) or a longer series"
    else:
        fix = f"pass a longer series (a window needs at least {MIN_WINDOW} steps)"
    return f"the series has {size}, shorter than the window of {window}; {fix}"


def _few_windows_note(count: int, length: int, starts: np.ndarray | None, unit: str = "steps") -> str | None:
    """A note when the training windows hold fewer than :data:`FEW_WINDOWS` non-overlapping windows of data.

    Args:
        count: Training windows.
        length: Steps per window.
        starts: First row of each window in the series; None for a set of separate sequences.
        unit: What a step of the series is, as the user gave it (``"log returns"`` of prices).

    Returns:
        The one-line note, or None when there is data enough.
    """
    if starts is None:  # separate sequences: each one is new data
        if count >= FEW_WINDOWS:
            return None
        return (
            f"only {count} training sequence{'' if count == 1 else 's'}: a GAN fitted on so few memorises them, so "
            f"samples replay them rather than vary like them; fit on {FEW_WINDOWS} or more sequences"
        )
    covered = np.zeros(int(starts.max()) + length + 1 if len(starts) else 1, dtype=np.int64)
    np.add.at(covered, starts, 1)  # +1 where a window starts, -1 after it ends: the cumulative sum counts windows
    np.add.at(covered, starts + length, -1)
    steps = int((np.cumsum(covered) > 0).sum())  # rows of the series inside at least one window
    worth = steps / length
    if worth >= FEW_WINDOWS:
        return None
    overlapping = "overlapping " if count > 1 and np.diff(starts).min() < length else ""
    return (
        f"only {count} {overlapping}training window{'' if count == 1 else 's'} of {length} steps, from {steps} {unit} "
        f"of the series ({worth:.1f} non-overlapping windows' worth): a GAN fitted on so little memorises it, so "
        f"samples replay pieces of the series rather than new paths; use a longer series (at least "
        f"{FEW_WINDOWS * length} steps) or a shorter window"
    )


def _mask_of(windows: np.ndarray) -> np.ndarray | None:
    """Observed-step mask of NaN-padded windows; None when nothing is missing.

    Raises:
        PolemosError: If a sequence has NaN before its last observed step (gaps are not trailing padding).
    """
    observed = ~np.isnan(windows).any(axis=2)
    if observed.all():
        return None
    lengths = observed.sum(axis=1)
    prefix = np.arange(windows.shape[1])[None, :] < lengths[:, None]
    if not (observed == prefix).all():
        raise PolemosError(
            "window sets may only hold NaN as trailing padding of shorter sequences; fill inner gaps first "
            "or pass the raw series as a 2-D table (windows with gaps are then dropped)"
        )
    if (lengths < 2).any():
        raise PolemosError("every sequence needs at least 2 observed steps; drop the shorter ones")
    return observed


def _critic(discriminator: ConvDiscriminator, mask: Tensor | None, labels: Tensor | None, inputs: Tensor) -> Tensor:
    """The discriminator as a function of its inputs only, for the gradient penalties."""
    return discriminator(inputs, mask, labels)


def _standardised_returns(scaling: dict[str, Any], power: float = 1.0) -> Callable[[Tensor], Tensor]:
    """Differentiable map from model space to ``(r - mean) / std``, the standardised returns in data units.

    With ``power`` other than 1, the map gives ``|(r - mean) / std| ** power`` instead.
    """
    transform = ReturnsTransform.from_dict(scaling)

    def standardised(model_values: Tensor) -> Tensor:
        options = {"dtype": model_values.dtype, "device": model_values.device}
        mean, std = torch.as_tensor(transform.mean, **options), torch.as_tensor(transform.std, **options)
        values = (transform.inverse_tensor(model_values) - mean) / std
        return values if power == 1 else values.abs() ** power

    return standardised


class SeriesGAN:
    """A GAN for fixed- or variable-length multivariate sequences, optionally conditional.

    Args:
        config: Hyper-parameters; ``None`` uses :class:`SeriesGANConfig` defaults.
        seed: Seed of initialisation, batching and noise.
        **overrides: Any :class:`SeriesGANConfig` field, e.g. ``SeriesGAN(hidden=32)``.

    Example:
        >>> gan = SeriesGAN(seed=0).fit(frame, window=24, time_budget=60)  # doctest: +SKIP
        >>> windows = gan.sample(1000)  # (1000, 24, F) in data units  # doctest: +SKIP
    """

    def __init__(self, config: SeriesGANConfig | None = None, seed: int = 0, **overrides: Any) -> None:
        base = config or SeriesGANConfig()
        unknown = set(overrides) - set(asdict(base))
        flags = sorted(unknown & set(_FIT_FLAGS))
        if flags:  # settings of fit (CLI flags), not of the model
            raise PolemosError(
                f"{flags[0]} is a setting of fit, not a SeriesGAN option; use --{flags[0].replace('_', '-')} "
                f"(fit({flags[0]}=...))"
            )
        if unknown:
            raise PolemosError(
                f"unknown SeriesGAN option(s) {', '.join(sorted(unknown))}; valid: {', '.join(asdict(base))}"
            )
        check_seed(seed, "seed (--seed)")
        typed = {name: value for name, value in overrides.items() if name not in _SELF_CHECKED}
        overrides = {**overrides, **check_options(SeriesGANConfig, typed, _OPTION_BOUNDS)}
        merged = {**asdict(base), **overrides}
        merged["betas"] = tuple(merged["betas"])
        merged["slow_noise_timescales"] = tuple(float(tau) for tau in merged["slow_noise_timescales"])
        merged["critic_statistics_lags"] = tuple(int(lag) for lag in merged["critic_statistics_lags"])
        self.config = SeriesGANConfig(**merged)
        if not all(0 <= beta < 1 for beta in self.config.betas):
            raise PolemosError(f"option betas must be two numbers in [0, 1), got {list(self.config.betas)}")
        if any(tau <= 0 for tau in self.config.slow_noise_timescales):
            raise PolemosError(
                f"slow_noise_timescales must be positive step counts, got {self.config.slow_noise_timescales}"
            )
        if self.config.critic_tails and not self.config.critic_magnitude:
            raise PolemosError(
                "critic_tails changes the critic's magnitude channels, and there are none; set "
                "critic_magnitude=True as well, or critic_tails=False"
            )
        if self.config.critic_tails_power < 1 or (self.config.critic_tails_power != 1 and not self.config.critic_tails):
            raise PolemosError(
                f"critic_tails_power must be >= 1 and needs critic_tails=True (powers below 1 have an infinite "
                f"gradient at 0); got {self.config.critic_tails_power} with critic_tails={self.config.critic_tails}"
            )
        for name in ("critic_batch_products", "critic_batch_model_products"):
            if getattr(self.config, name) and not self.config.critic_products:
                raise PolemosError(
                    f"{name} averages the critic's product channels, and there are none; set "
                    f"critic_products=True as well, or {name}=False"
                )
        if self.config.burn_in < 0:
            raise PolemosError(f"burn_in must be a non-negative number of steps, got {self.config.burn_in}")
        if self.config.facts_weight < 0 or self.config.facts_every < 1 or self.config.facts_paths < 1:
            raise PolemosError(
                "facts_weight must be >= 0 (0: off), facts_every and facts_paths >= 1; got "
                f"{self.config.facts_weight}, {self.config.facts_every}, {self.config.facts_paths}"
            )
        if self.config.facts_weight > 0 and not self.config.slow_noise_timescales:
            raise PolemosError(
                "facts_weight trains the slow-noise inputs, and there are none; set slow_noise_timescales, "
                "e.g. (10, 50, 250), or facts_weight=0"
            )
        if self.config.lr_schedule not in LR_SCHEDULES:
            raise PolemosError(
                f"unknown lr_schedule {self.config.lr_schedule!r}; choose one of {', '.join(LR_SCHEDULES)}"
            )
        if isinstance(self.config.lr_final, bool) or not 0 <= self.config.lr_final <= 1:
            raise PolemosError(f"lr_final must be a fraction of the start rate in [0, 1], got {self.config.lr_final!r}")
        if self.config.facts_target not in FACTS_TARGETS:
            raise PolemosError(
                f"unknown facts_target {self.config.facts_target!r}; choose one of {', '.join(FACTS_TARGETS)}"
            )
        if not 0 <= self.config.tilt_quantile < 1 or not 0 < self.config.tilt_fraction < 1:
            raise PolemosError(
                "tilt_quantile must be in [0, 1) (0: off) and tilt_fraction in (0, 1); got "
                f"{self.config.tilt_quantile}, {self.config.tilt_fraction}"
            )
        if (
            isinstance(self.config.facts_max_lag, bool)
            or not isinstance(self.config.facts_max_lag, int)
            or (self.config.facts_max_lag < 1)
        ):
            raise PolemosError(f"facts_max_lag must be a whole number of steps >= 1, got {self.config.facts_max_lag!r}")
        if self.config.select_every < 0:
            raise PolemosError(f"select_every must be a number of steps >= 0 (0: off), got {self.config.select_every}")
        patience = self.config.select_patience
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise PolemosError(f"select_patience must be a whole number of steps >= 0 (0: off), got {patience!r}")
        holdout = self.config.context_holdout
        if isinstance(holdout, bool) or not isinstance(holdout, (int, float)) or not 0 <= holdout < 1:
            raise PolemosError(f"context_holdout must be a fraction in [0, 1) (0: off), got {holdout!r}")
        weight = self.config.select_correlation
        if (
            isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or not (math.isfinite(weight) and weight >= 0)
        ):
            raise PolemosError(
                f"select_correlation must be a weight >= 0 (0: off), got {self.config.select_correlation}"
            )
        energy = self.config.energy_weight
        if (
            isinstance(energy, bool)
            or not isinstance(energy, (int, float))
            or not (math.isfinite(energy) and energy >= 0)
        ):
            raise PolemosError(f"energy_weight must be a weight >= 0 (0: off), got {energy!r}")
        draws = self.config.energy_samples
        if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
            raise PolemosError(f"energy_samples must be a whole number of draws >= 2, got {draws!r}")
        get_loss(self.config.loss)  # fail early on unknown names
        get_penalty(self.config.penalty)
        self.seed = seed
        self.generator: RecurrentGenerator | None = None
        self.meta: dict[str, Any] = {}
        self.summary: TrainingSummary | None = None
        self.real_summary: SeriesSummary | None = None  # a few real windows, ACFs, histograms (for reports)
        self.data_source: str | None = None  # where the training data came from, if known (saved, for reports)

    # ----------------------------------------------------------------------------------------------------
    # data

    def _prepare(
        self,
        data: pd.DataFrame | np.ndarray | Sequence[np.ndarray],
        window: int,
        stride: int,
        columns: Sequence[str] | None,
        returns: bool,
        returns_input: str,
        nan_policy: str,
        time_column: str | None,
    ) -> _Prepared:
        notes: tuple[str, ...] = ()
        last_price = None
        values = None
        starts = None
        if isinstance(data, (pd.DataFrame, np.ndarray)) and np.ndim(data) == 2:
            table = validate_table(data, columns=columns, time_column=time_column, nan_policy=nan_policy)
            values, names, notes = table.values, table.columns, table.notes
            if returns and returns_input == "prices":
                observed = values[~np.isnan(values).any(axis=1)]
                last_price = observed[-1].tolist() if len(observed) else None
                values = log_returns(values)  # a NaN price makes its two returns NaN (dropped by windows)
            if len(values) < window:
                raise PolemosError(_too_short_message(len(values), window, returns and returns_input == "prices"))
            raw_windows, starts = cut_windows(values, window, stride)
        else:
            if isinstance(data, np.ndarray) and data.ndim == 3:
                raw_windows = np.asarray(data, dtype=np.float64)
            elif isinstance(data, (list, tuple)):
                raw_windows = _pad_sequences(data)
            else:
                raise PolemosError(
                    "fit expects a DataFrame or 2-D array (one series), a 3-D array (N, T, F) of windows "
                    f"or a list of 2-D sequences, got {type(data).__name__} with ndim {np.ndim(data)}"
                )
            if returns:
                raise PolemosError("returns=True needs one price series (a 2-D table), not a set of windows")
            names = tuple(columns) if columns else tuple(f"x{i}" for i in range(raw_windows.shape[2]))
            if len(names) != raw_windows.shape[2]:
                raise PolemosError(f"{len(names)} column names for {raw_windows.shape[2]} features")
            empty = [
                str(name)
                for name, all_nan in zip(names, np.isnan(raw_windows).all(axis=(0, 1)), strict=True)
                if all_nan
            ]
            if empty:  # else every step reads as padding, and the mask check blames the sequences' lengths
                raise PolemosError(
                    f"feature(s) {', '.join(empty)} are entirely NaN; leave them out (windows[..., keep]) or fill "
                    "them before fitting"
                )
        mask = _mask_of(raw_windows)
        if returns:
            flat = raw_windows.reshape(-1, raw_windows.shape[2])
            constant = [name for name, std in zip(names, np.nanstd(flat, axis=0), strict=True) if not std > 0]
            if constant:  # name the column: the transform below divides by each column's standard deviation
                raise PolemosError(
                    f"the returns of column(s) {', '.join(map(str, constant))} are constant (a flat price); "
                    "drop those columns (--columns) before fitting"
                )
            transform = ReturnsTransform.fit(raw_windows.reshape(-1, raw_windows.shape[2]))
            self.meta["scaling"] = {"kind": "returns", **transform.to_dict()}
            scaled = transform.transform(raw_windows)
        else:
            scaler = MinMaxScaler.fit(raw_windows)
            constant = [
                f"{name} = {low:g}"
                for name, low, high in zip(names, scaler.minimum, scaler.maximum, strict=True)
                if low == high
            ]
            if constant:  # modelled as they are: the generator's output for them is mapped back to the one value
                notes = (
                    *notes,
                    f"constant column(s) {', '.join(constant)}: samples repeat the value; nothing is learnt",
                )
            self.meta["scaling"] = {
                "kind": "minmax",
                "minimum": scaler.minimum.tolist(),
                "maximum": scaler.maximum.tolist(),
            }
            scaled = scaler.transform(raw_windows)
        series = values if returns and isinstance(data, (pd.DataFrame, np.ndarray)) and np.ndim(data) == 2 else None
        return _Prepared(np.nan_to_num(scaled, nan=0.0), mask, names, notes, last_price, series, starts)

    def _summarize(self, prepared: _Prepared) -> SeriesSummary:
        """Statistics of the training windows in data units (padded steps back to NaN)."""
        windows = self._to_data_space(prepared.windows)
        if prepared.mask is not None:
            windows[~prepared.mask] = np.nan
        return summarize_windows(windows, prepared.columns)

    def _to_model_space(self, values: np.ndarray) -> np.ndarray:
        scaling = self.meta["scaling"]
        if scaling["kind"] == "returns":
            return ReturnsTransform.from_dict(scaling).transform(values)
        return MinMaxScaler(np.asarray(scaling["minimum"]), np.asarray(scaling["maximum"])).transform(values)

    def _to_data_space(self, values: np.ndarray) -> np.ndarray:
        scaling = self.meta["scaling"]
        if scaling["kind"] == "returns":
            return ReturnsTransform.from_dict(scaling).inverse(values)
        return MinMaxScaler(np.asarray(scaling["minimum"]), np.asarray(scaling["maximum"])).inverse(values)

    # ----------------------------------------------------------------------------------------------------
    # training

    @_own_random_stream
    def fit(
        self,
        data: pd.DataFrame | np.ndarray | Sequence[np.ndarray],  # series (T, F), windows (N, T, F) or list
        window: int = 24,  # steps per training window (for a series input)
        stride: int = 1,  # steps between window starts (for a series input)
        columns: Sequence[str] | None = None,  # feature columns to use (DataFrame) or names (arrays)
        returns: bool = False,  # model log returns with the QuantGAN preprocessing
        returns_input: str = "prices",  # with returns: the input holds "prices" or "log-returns" already
        labels: Sequence[int] | np.ndarray | None = None,  # one class per sequence (window sets only)
        context_length: int = 0,  # leading steps given as context; the generator learns to continue them
        steps: int = 5000,  # maximum discriminator/generator step pairs
        time_budget: float | None = None,  # wall-clock seconds for the whole fit
        nan_policy: str = "drop-windows",  # see polemos.series.data.validate_table
        time_column: str | None = None,  # time-stamp column of a DataFrame; None auto-detects
        verbose: bool = False,  # print the losses every 10% of the steps
        progress: bool = False,  # draw a progress bar of the training steps on stderr
    ) -> SeriesGAN:
        """Trains the GAN and returns ``self``.

        Training is seeded by the constructor's ``seed`` and leaves the caller's torch random stream as it was.

        Args:
            data: One series, ``(T, F)`` as a DataFrame (a time-stamp column is detected and used to sort) or an
                array; or ready windows ``(N, T, F)`` (NaN-padded for variable lengths) or a list of sequences.
            window: Steps per training window cut from a series (with ``context_length``: context plus horizon).
            stride: Steps between window starts.
            columns: Feature columns of a DataFrame to use (default: all numeric ones), or names for arrays.
            returns: Model log returns with the QuantGAN preprocessing (standardise, inverse Lambert W,
                standardise); samples are log returns (``sample(as_prices=True)`` rebuilds prices).
            returns_input: With ``returns``: the columns hold ``"prices"`` (default) or ``"log-returns"``.
            labels: One class per sequence (window sets only), for a conditional generator.
            context_length: Leading steps of each window given as context; the generator learns to continue
                them (scenarios: ``sample(context=...)``).
            steps: Most discriminator/generator step pairs.
            time_budget: Wall-clock seconds for the whole fit (preparing the data, training, the last selection
                check and calibration included, as in :meth:`TabularGAN.fit`): training stops early enough to
                finish within it, after at least one step. Whichever of ``steps`` and this comes first ends
                training.
            nan_policy: ``"drop-windows"`` (windows holding a gap are dropped), ``"ffill"``, ``"interpolate"``
                or ``"raise"`` (see :func:`polemos.series.data.validate_table`).
            time_column: The time-stamp column of a DataFrame; None detects it.
            verbose: Print the losses every 10 % of the steps.
            progress: Draw a progress bar of the training steps on stderr.

        Returns:
            ``self``, fitted: :attr:`summary` says what training did.

        Raises:
            PolemosError: On bad input (see :mod:`polemos.series.data`) or inconsistent options.
        """
        fit_start = time.perf_counter()
        config = self.config
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.meta = {}
        if returns_input not in ("prices", "log-returns"):
            raise PolemosError(f"returns_input must be 'prices' or 'log-returns', got {returns_input!r}")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise PolemosError(f"steps must be at least 1, got {steps!r}; pass --steps N (steps=N)")
        check_time_budget(time_budget, "time_budget (--time-budget)")
        if isinstance(data, (pd.DataFrame, np.ndarray)) and np.ndim(data) == 2:  # window and stride cut a series
            _check_window(window, stride)
        prepared = self._prepare(data, window, stride, columns, returns, returns_input, nan_policy, time_column)
        self.real_summary = self._summarize(prepared)
        windows = torch.from_numpy(prepared.windows.astype(np.float32))
        count, length, features = windows.shape
        if length < MIN_WINDOW:  # a set of one-step windows: rows without order
            raise PolemosError(
                f"the windows have {length} step; a sequence GAN needs at least {MIN_WINDOW} steps per window (one "
                "step has no order in time); pass longer windows, or use `polemos tabular fit` for rows without order"
            )
        if not 0 <= context_length < length:
            raise PolemosError(f"context_length must be in [0, {length - 1}] for windows of {length} steps")
        if prepared.mask is not None and context_length > 0:
            raise PolemosError("context conditioning needs full-length windows; pad-free data or context_length=0")
        if config.critic_statistics_lags and prepared.mask is not None:
            raise PolemosError("critic_statistics_lags needs full-length windows; set it to () for masked data")
        if any(lag < 1 for lag in config.critic_statistics_lags):
            raise PolemosError(f"critic_statistics_lags must be positive, got {config.critic_statistics_lags}")
        if config.tilt_quantile > 0 and (context_length > 0 or prepared.mask is not None or labels is not None):
            raise PolemosError("tilt_quantile needs unconditional full-length windows; set tilt_quantile=0")
        if config.critic_tails and not returns:
            raise PolemosError(
                "critic_tails reads the data-space returns; fit with returns=True or set critic_tails=False"
            )
        holdout_steps = 0
        if config.context_holdout > 0:
            if context_length == 0 or prepared.series is None or labels is not None or config.select_every <= 0:
                raise PolemosError(
                    "context_holdout scores held-out scenarios: it needs returns=True on one series, "
                    "context_length > 0 and select_every > 0, without labels; set context_holdout=0"
                )
            if config.select_paths < 1:
                raise PolemosError(
                    f"select_paths must be >= 1 scenarios per held-out origin, got {config.select_paths}"
                )
            holdout_steps = int(round(config.context_holdout * len(prepared.series)))
            first_training_steps = len(prepared.series) - holdout_steps
            kept = int((np.arange(count) * stride + length <= first_training_steps).sum())  # windows before the cut
            if holdout_steps < length - context_length or kept < 1:
                raise PolemosError(
                    f"context_holdout={config.context_holdout} leaves {kept} training windows and {holdout_steps} "
                    f"held-out steps for {length - context_length}-step targets; change context_holdout"
                )
            windows = windows[:kept]
            count = kept
        starts = prepared.starts[:count] if prepared.starts is not None else None  # the held-out cut keeps the first
        # from prices, the windows cut the log returns: one step fewer than the rows the user sees
        from_prices = returns and returns_input == "prices" and starts is not None
        few_windows = _few_windows_note(count, length, starts, "log returns" if from_prices else "steps")
        notes = (*prepared.notes, few_windows) if few_windows else prepared.notes
        if config.select_correlation > 0 and (features < 2 or config.select_every <= 0):
            raise PolemosError(
                "select_correlation weighs the cross-correlation in the selection score: it needs select_every > 0 "
                "and two or more series; set select_correlation=0"
            )
        for name in ("critic_batch_products", "critic_batch_model_products"):
            if getattr(config, name) and prepared.mask is not None:
                raise PolemosError(f"{name} needs full-length windows; set it to False for masked data")
        if config.critic_products and features < 2:
            raise PolemosError(
                "critic_products reads pairs of series and the data has one column; set critic_products=False"
            )
        if config.shock_magnitude and not returns:
            raise PolemosError("shock_magnitude reads the shocks of the returns-mode generator; pass returns=True")
        if config.energy_weight > 0 and context_length == 0:
            raise PolemosError(
                "energy_weight scores continuations of a context; fit with context_length > 0 (--context-length L) "
                "or set energy_weight=0"
            )
        if config.burn_in > 0 and (context_length > 0 or prepared.mask is not None):
            raise PolemosError(
                "burn_in applies to unconditional full-length windows; set burn_in=0 for context or masked data"
            )
        selecting = config.select_every > 0
        # all four draw long unconditional paths and compare them with the series
        if (
            (selecting and not holdout_steps)
            or config.calibrate_scale
            or config.calibrate_covariance
            or config.facts_weight > 0
        ):
            if prepared.series is None or context_length > 0 or labels is not None:
                raise PolemosError(
                    "select_every, calibrate_scale, calibrate_covariance and facts_weight need returns=True on "
                    "one series, without context or labels; set select_every=0, facts_weight=0 and both "
                    "calibrations to False"
                )
            if config.select_paths < 1 or config.select_length < 8:
                raise PolemosError("select_paths must be >= 1 and select_length >= 8 steps")
        label_array = None
        num_labels = 0
        if labels is not None:
            label_array = np.asarray(labels)
            if label_array.shape != (count,) or not np.issubdtype(label_array.dtype, np.integer):
                raise PolemosError(
                    f"labels must be {count} integers (one class per sequence), got shape {label_array.shape}"
                )
            if label_array.min() < 0:
                raise PolemosError("labels must be non-negative class indices 0..K-1")
            num_labels = int(label_array.max()) + 1
        mask = torch.from_numpy(prepared.mask) if prepared.mask is not None else None
        label_tensor = torch.from_numpy(label_array.astype(np.int64)) if label_array is not None else None
        output = "volatility" if returns else "sigmoid"
        generator = RecurrentGenerator(
            features,
            config.hidden,
            config.layers,
            config.noise_dim,
            num_labels,
            config.label_dim,
            output,
            context=context_length > 0,
            slow_timescales=config.slow_noise_timescales,
            shock_magnitude=config.shock_magnitude,
        )
        discriminator = ConvDiscriminator(
            features,
            length,
            config.discriminator_channels,
            num_labels,
            masked=mask is not None,
            magnitude=config.critic_magnitude,
            statistics_lags=[lag for lag in config.critic_statistics_lags if lag < length],
            magnitude_map=(
                _standardised_returns(self.meta["scaling"], config.critic_tails_power) if config.critic_tails else None
            ),
            products=config.critic_products,
            product_map=_standardised_returns(self.meta["scaling"]) if config.critic_products and returns else None,
            batch_products=config.critic_batch_products,
            batch_model_products=config.critic_batch_model_products,
        )
        ema = EMA(generator, config.ema_half_life) if config.ema_half_life > 0 else None
        loss = get_loss(config.loss)
        penalty = get_penalty(config.penalty)
        g_optimizer = torch.optim.Adam(generator.parameters(), lr=config.generator_lr, betas=config.betas)
        d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=config.discriminator_lr, betas=config.betas)
        lengths = prepared.mask.sum(axis=1) if prepared.mask is not None else None
        batch_size = min(config.batch_size, count)
        horizon = length - context_length

        def generate(batch_real: Tensor, batch_labels: Tensor | None, batch_mask: Tensor | None) -> Tensor:
            context = batch_real[:, :context_length] if context_length else None
            # with a burn-in the discriminator judges only the last `horizon` steps
            # no gradient through the burn-in: truncated backpropagation, the cost of `horizon` steps
            fake = generator(len(batch_real), horizon, batch_labels, context, warm_up=config.burn_in)
            if context is not None:
                fake = torch.cat([context, fake], dim=1)
            if batch_mask is not None:
                fake = fake * batch_mask.unsqueeze(2)  # generated sequences get real lengths
            return fake

        def energy_term(batch_real: Tensor, batch_labels: Tensor | None) -> Tensor:
            """Mean fair energy score of ``energy_samples`` continuations per real context (model space)."""
            draws = config.energy_samples
            given = batch_real[:, :context_length].repeat_interleave(draws, dim=0)
            labels_given = batch_labels.repeat_interleave(draws, dim=0) if batch_labels is not None else None
            continuations = generator(len(given), horizon, labels_given, given)  # (B * K, H, F)
            samples = continuations.reshape(len(batch_real), draws, horizon * features)
            return energy_score_tensor(samples, batch_real[:, context_length:].reshape(len(batch_real), -1)).mean()

        def averaged() -> RecurrentGenerator:
            return ema.module if ema is not None else generator

        selector: _FactsSelector | _ContextSelector | None = None
        if holdout_steps:
            assert prepared.series is not None
            first_origin = len(prepared.series) - holdout_steps
            selector = _ContextSelector(
                prepared.series, first_origin, context_length, horizon, config, self._to_model_space
            )
        elif selecting:
            selector = _FactsSelector(prepared.series, config)
        facts_penalty = None
        if config.facts_weight > 0:
            assert prepared.series is not None
            facts_penalty = FactsPenalty(
                prepared.series,
                config.facts_length,
                config.facts_lags(config.facts_length),
                target=config.facts_target,
            )
            to_returns = ReturnsTransform.from_dict(self.meta["scaling"]).inverse_tensor

        def facts_penalty_gradient(step: int) -> Tensor:
            """Gradient of the weighted facts penalty w.r.t. the first GRU layer's input weights."""
            assert facts_penalty is not None
            with torch.random.fork_rng():  # own noise: training's random stream is untouched
                torch.manual_seed(self.seed * 1_000_003 + step)
                paths = generator(config.facts_paths, config.facts_length, warm_up=config.burn_in)
            # lazy: every k steps with k times the weight
            weighted = config.facts_every * config.facts_weight * facts_penalty(to_returns(paths))
            (gradient,) = torch.autograd.grad(weighted.float(), [generator.gru.weight_ih_l0])
            return gradient

        tilted, tilt_threshold, extreme_windows = 0, math.inf, np.empty(0, dtype=np.int64)
        if config.tilt_quantile > 0:
            magnitudes = np.abs(prepared.windows)
            # windows holding a step beyond the real |x| quantile: "extreme" windows, in model space
            tilt_threshold = float(np.quantile(magnitudes, config.tilt_quantile))
            extreme_windows = np.flatnonzero(magnitudes.max(axis=(1, 2)) > tilt_threshold)
            if len(extreme_windows):
                tilted = int(round(batch_size * config.tilt_fraction))

        def tilt(fake: Tensor) -> Tensor:
            """The first ``tilted`` fakes replaced by fakes of this batch that hold an extreme step (if any)."""
            if not tilted:
                return fake
            extreme = torch.nonzero(fake.detach().abs().amax(dim=(1, 2)) > tilt_threshold).squeeze(1)
            pool = extreme if len(extreme) else torch.arange(len(fake))
            chosen = pool[torch.from_numpy(rng.integers(0, len(pool), size=tilted))]
            return torch.cat([fake[chosen], fake[tilted:]])

        start = time.perf_counter()
        deadline = math.inf if time_budget is None else fit_start + time_budget  # at least one step is trained
        # measured as training goes: what one step and one selection check take; after the loop come the last check
        # and, per calibration, a draw of the same paths as a check
        step_seconds = check_seconds = 0.0
        after_training = 1 + int(config.calibrate_scale) + int(config.calibrate_covariance)
        if selector is not None and time_budget is not None:
            # measured now: a budget that ends before the first check must still reserve the last one
            check_seconds = selector.probe_seconds(averaged(), self._to_data_space)
        d_loss_value = g_loss_value = math.nan
        step = 0
        samples_seen = 0
        # the bar counts towards `steps`; a time budget may end training before it fills
        with progress_bar(steps, "training", progress) as advance:
            for step in range(1, steps + 1):  # noqa: B007 (step is reported after the loop)
                step_start = time.perf_counter()
                if config.lr_schedule != "constant":
                    # progress: the fraction of the steps or of the training time available, whichever is larger
                    done = (step - 1) / steps
                    if time_budget is not None:
                        done = max(done, (step_start - start) / max(deadline - start, 1e-9))
                    factor = lr_schedule_factor(config.lr_schedule, done, config.lr_final)
                    for optimizer, base_lr in (
                        (g_optimizer, config.generator_lr),
                        (d_optimizer, config.discriminator_lr),
                    ):
                        for group in optimizer.param_groups:
                            group["lr"] = base_lr * factor
                index = torch.from_numpy(rng.integers(0, count, size=batch_size))
                if tilted:  # the first `tilted` real windows come from the extreme ones
                    index[:tilted] = torch.from_numpy(rng.choice(extreme_windows, size=tilted))
                real = windows[index]
                batch_labels = label_tensor[index] if label_tensor is not None else None
                batch_mask = mask[index] if mask is not None else None
                if batch_mask is not None:
                    # fresh lengths for the fakes, drawn from the empirical length distribution
                    fake_lengths = torch.from_numpy(rng.choice(lengths, size=batch_size))
                    fake_mask = torch.arange(length)[None, :] < fake_lengths[:, None]
                else:
                    fake_mask = None

                # discriminator step
                with torch.no_grad():
                    fake = tilt(generate(real, batch_labels, fake_mask))
                d_real_logits = discriminator(real, batch_mask, batch_labels)
                d_loss = loss.discriminator(d_real_logits, discriminator(fake, fake_mask, batch_labels))
                if config.penalty != "none" and config.penalty_weight > 0 and step % config.penalty_every == 0:
                    # the penalty sees the real batch's mask (R1 on reals; interpolates keep the real lengths)
                    penalised = functools.partial(_critic, discriminator, batch_mask, batch_labels)
                    # lazy regularisation: k * weight * penalty every k steps keeps the expected weight
                    weight = config.penalty_every * config.penalty_weight
                    d_loss = d_loss + weight * penalty.compute(penalised, real, fake)
                d_optimizer.zero_grad(set_to_none=True)
                d_loss.backward()
                d_optimizer.step()

                # generator step
                fake = tilt(generate(real, batch_labels, fake_mask))
                d_real = None
                if loss.generator_needs_real:
                    d_real = discriminator(real, batch_mask, batch_labels).detach()
                g_loss = loss.generator(discriminator(fake, fake_mask, batch_labels), d_real)
                if config.energy_weight > 0:
                    g_loss = g_loss + config.energy_weight * energy_term(real, batch_labels)
                facts_gradient = None
                if facts_penalty is not None and step % config.facts_every == 0:
                    facts_gradient = facts_penalty_gradient(step)
                g_optimizer.zero_grad(set_to_none=True)
                g_loss.backward()
                if facts_gradient is not None:
                    # only the input columns of the slow noise (the GRU's last inputs): the rest stays the critic's
                    slow_columns = len(generator.slow_timescales)
                    generator.gru.weight_ih_l0.grad[:, -slow_columns:] += facts_gradient[:, -slow_columns:]
                g_optimizer.step()
                samples_seen += batch_size
                if ema is not None:
                    ema.update(generator, batch_size, samples_seen)

                d_loss_value, g_loss_value = float(d_loss.detach()), float(g_loss.detach())
                if not (math.isfinite(d_loss_value) and math.isfinite(g_loss_value)):
                    raise PolemosError(
                        f"training diverged at step {step} (loss is not finite); lower the learning rates "
                        "or raise penalty_weight"
                    )
                if verbose and step % max(1, steps // 10) == 0:
                    print(f"step {step}: d_loss {d_loss_value:.4f} g_loss {g_loss_value:.4f}", flush=True)
                now = time.perf_counter()
                step_seconds = now - step_start
                # stop if another step would leave no time for what follows training
                out_of_time = now + step_seconds + after_training * check_seconds > deadline
                if selector is not None and (step % config.select_every == 0 or out_of_time or step == steps):
                    selector.check(step, averaged(), self._to_data_space)
                    check_seconds = max(check_seconds, time.perf_counter() - now)
                    # just checked: continue only if one more step still leaves time for a last check and calibration
                    later = time.perf_counter() + step_seconds + after_training * check_seconds
                    out_of_time = out_of_time or later > deadline
                    # early stopping: select_patience steps since the best check without a better one
                    out_of_patience = 0 < config.select_patience <= step - (selector.best_step or 0)
                else:
                    out_of_patience = False
                advance()
                if out_of_time or out_of_patience:
                    break

        self.generator = averaged().eval()
        if selector is not None:
            selector.restore_best(self.generator)
        self.meta.update(
            {
                "format_version": _FORMAT_VERSION,
                "columns": list(prepared.columns),
                "features": features,
                "window": length,
                "context_length": context_length,
                "num_labels": num_labels,
                "returns": returns,
                "returns_input": returns_input if returns else None,
                "output": output,
                "lengths": np.bincount(lengths, minlength=length + 1).tolist() if lengths is not None else None,
                "last_price": prepared.last_price,
                "notes": list(notes),
                "seed": self.seed,
            }
        )
        if config.calibrate_scale:
            assert prepared.series is not None
            self.meta["calibration"] = _scale_calibration(self.generator, config, self._to_model_space(prepared.series))
        if config.calibrate_covariance:
            assert prepared.series is not None
            with torch.random.fork_rng():  # fixed paths, without moving the caller's random state
                generated = self.sample(config.select_paths, length=config.select_length, seed=1)  # before the map
            self.meta["covariance_calibration"] = _covariance_calibration(generated, prepared.series)
        self.summary = TrainingSummary(
            steps=step,
            seconds=time.perf_counter() - start,
            windows=count,
            final_d_loss=d_loss_value,
            final_g_loss=g_loss_value,
            notes=notes,
            selected_step=selector.best_step if selector is not None else None,
            selection=tuple(selector.history) if selector is not None else (),
            fit_seconds=time.perf_counter() - fit_start,
        )
        return self

    # ----------------------------------------------------------------------------------------------------
    # sampling

    def __repr__(self) -> str:
        """What the model is, for notebooks: fitted or not, its features, window and mode."""
        if self.generator is None:
            return f"SeriesGAN(not fitted, seed={self.seed})"
        meta = self.meta
        mode = "log returns" if meta.get("returns") else "levels"
        context = f", continues {meta['context_length']} steps" if meta.get("context_length") else ""
        columns = ", ".join(map(str, meta.get("columns", [])))
        shape = f"{meta.get('features')} feature(s) [{columns}], window {meta.get('window')}"
        return f"SeriesGAN(fitted: {shape}, {mode}{context}, seed={self.seed})"

    def _require_fitted(self) -> RecurrentGenerator:
        if self.generator is None:
            raise PolemosError("the model is not fitted; call fit(...) or SeriesGAN.load(directory) first")
        return self.generator

    @torch.no_grad()
    @_own_random_stream
    def sample(
        self,
        n: int,  # sequences to generate
        context: np.ndarray | None = None,  # (T, F) or (n, T, F), T >= L, data units: the last L steps are continued
        labels: Sequence[int] | np.ndarray | None = None,  # (n,) classes for a conditional model
        length: int | None = None,  # steps to generate; default: the trained window (minus the context)
        seed: int | None = None,  # noise seed; None draws fresh noise
        as_prices: bool = False,  # returns mode: turn the log returns into prices
        initial_price: float | np.ndarray | None = None,  # p_0 for as_prices; default: last price seen in fit
        batch_size: int = 1024,  # sequences generated at once (memory)
    ) -> np.ndarray:
        """Generates ``n`` sequences ``(n, length, F)`` in data units.

        For variable-length models, steps after each sequence's drawn length are NaN. With a ``context``, only
        the continuation is returned (``length`` defaults to ``window - context_length``).

        With ``as_prices`` the result is ``(n, length + 1, F)``: step 0 is the starting price ``p_0`` and step
        ``t`` is ``p_0 exp(r_1 + ... + r_t)``. ``p_0`` is ``initial_price``, else the last price of the fitted
        series (1 for a model fitted on returns). A ``context`` of returns carries no price level, so
        ``as_prices`` with a context needs ``initial_price``, the price on the context's last day.

        Args:
            n: Sequences to generate.
            context: Context models: ``(T, F)`` (the same context for every sequence) or ``(n, T, F)``, in data
                units (returns for a returns model), ``T >= context_length``; the last ``context_length`` steps
                are continued.
            labels: Conditional models: ``n`` class indices.
            length: Steps per sequence; default: the trained window (minus the context). Longer paths than the
                window are generated step by step (volatility clustering carries on).
            seed: Noise seed: the same seed gives the same sequences; None draws fresh noise. The caller's torch
                random stream is left as it was either way.
            as_prices: Returns models: rebuild prices from the generated log returns (see above).
            initial_price: ``p_0`` for ``as_prices``, a number or one per feature.
            batch_size: Sequences generated at once (bounds the memory).

        Returns:
            Float64 array ``(n, length, F)`` (``length + 1`` with ``as_prices``).

        Raises:
            PolemosError: For an unfitted model, bad counts, a context or labels the model does not take, or a
                result larger than the machine's memory.
        """
        generator = self._require_fitted()
        meta = self.meta
        for name, value in (("n", n), ("length", length), ("batch_size", batch_size)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
                raise PolemosError(f"{name} must be a whole number, got {value!r}")
        if n < 1:
            raise PolemosError(f"n must be at least 1, got {n}")
        if length is not None and length < 1:
            raise PolemosError(f"length must be at least 1 step, got {length}; pass --length N (length=N) with N >= 1")
        if batch_size < 1:
            raise PolemosError(f"batch_size must be at least 1, got {batch_size}")
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (MAX_SEED + 1))  # fresh draws, as TabularGAN's
        check_seed(seed, "seed (--seed)")
        torch.manual_seed(seed)  # in the forked RNG of @_own_random_stream: the caller's stream is untouched
        rng = np.random.default_rng(seed)
        context_tensor = None
        if context is None and meta["context_length"] > 0:
            raise PolemosError(
                f"this model continues a context of {meta['context_length']} steps; pass --context FILE.csv "
                "(context=...) whose last rows are the steps to continue"
            )
        if context is not None:
            if meta["context_length"] == 0:
                raise PolemosError(
                    "this model was fitted without context; drop --context (context=...), or fit a model with "
                    "--context-length L (context_length=L)"
                )
            context = np.asarray(context, dtype=np.float64)
            if context.ndim == 2:
                context = np.broadcast_to(context, (n, *context.shape))
            if context.ndim != 3 or context.shape[0] != n or context.shape[2] != meta["features"]:
                raise PolemosError(
                    f"context must be (L, F) or ({n}, L, F) with F = {meta['features']}, got {context.shape}"
                )
            steps = meta["context_length"]
            if context.shape[1] < steps:
                raise PolemosError(
                    f"the context has {context.shape[1]} steps and this model continues {steps}; pass at least "
                    f"{steps} (the last {steps} are used)"
                )
            context = context[:, -steps:]  # the encoder was trained on contexts of exactly this length
            if not np.isfinite(context).all():
                raise PolemosError("context holds NaN or infinite values; fill them first")
            context_tensor = torch.from_numpy(self._to_model_space(context).astype(np.float32))
        if length is None:
            length = meta["window"] - (meta["context_length"] if context is not None else 0)
        check_memory(
            n * length * meta["features"],
            f"{n:,} sequences x {length:,} steps x {meta['features']} feature(s)",
            "sample fewer or shorter sequences, or in several calls",
        )
        label_tensor = None
        if meta["num_labels"]:
            if labels is None:
                raise PolemosError(f"this model is conditional on {meta['num_labels']} classes; pass labels")
            label_tensor = torch.as_tensor(np.asarray(labels, dtype=np.int64))
            if label_tensor.shape != (n,) or label_tensor.min() < 0 or label_tensor.max() >= meta["num_labels"]:
                raise PolemosError(f"labels must be {n} integers in [0, {meta['num_labels'] - 1}]")
        elif labels is not None:
            raise PolemosError("this model is unconditional; drop labels or fit with labels")
        burn_in = self.config.burn_in if context_tensor is None else 0  # burn-in models never take a context
        chunks = []
        for begin in range(0, n, batch_size):
            end = min(n, begin + batch_size)
            chunks.append(
                generator(
                    end - begin,
                    length,
                    label_tensor[begin:end] if label_tensor is not None else None,
                    context_tensor[begin:end] if context_tensor is not None else None,
                    warm_up=burn_in,
                ).numpy()
            )
        generated = np.concatenate(chunks).astype(np.float64)
        calibration = meta.get("calibration")
        if calibration is not None:  # the affine map of calibrate_scale, in model space
            generated = generated * np.asarray(calibration["scale"]) + np.asarray(calibration["shift"])
        values = self._to_data_space(generated)
        covariance_map = meta.get("covariance_calibration")
        if covariance_map is not None:  # the affine map of calibrate_covariance, in data units
            values = values @ np.asarray(covariance_map["matrix"]) + np.asarray(covariance_map["shift"])
        if meta["lengths"] is not None and context is None:
            probabilities = np.asarray(meta["lengths"], dtype=np.float64)
            drawn = rng.choice(len(probabilities), size=n, p=probabilities / probabilities.sum())
            values[np.arange(values.shape[1])[None, :] >= drawn[:, None]] = np.nan
        if as_prices:
            if not meta["returns"]:
                raise PolemosError(
                    "--prices (as_prices) needs a model fitted on returns; fit with --returns (returns=True), "
                    "or drop --prices"
                )
            if context is not None and initial_price is None:
                raise PolemosError(
                    "as_prices with a context needs initial_price, the price on the context's last day (the "
                    "scenarios start from it; the fitted series' last price belongs to another day)"
                )
            start = initial_price if initial_price is not None else meta["last_price"]
            values = returns_to_prices(values, 1.0 if start is None else np.asarray(start), axis=1)
        return values

    # ----------------------------------------------------------------------------------------------------
    # persistence

    def save(self, directory: str | Path) -> Path:
        """Writes ``generator.safetensors`` (the averaged generator) and ``config.json`` to ``directory``."""
        from safetensors.torch import save_file

        generator = self._require_fitted()
        directory = Path(directory)
        check_save_folder(directory, "series model")
        directory.mkdir(parents=True, exist_ok=True)
        weights = {k: v.contiguous() for k, v in generator.state_dict().items()}
        atomic_write(directory / "generator.safetensors", lambda temporary: save_file(weights, str(temporary)))
        record = {
            "config": {
                **asdict(self.config),
                "betas": list(self.config.betas),
                "slow_noise_timescales": list(self.config.slow_noise_timescales),
                "critic_statistics_lags": list(self.config.critic_statistics_lags),
            },
            "meta": self.meta,
            "summary": asdict(self.summary) if self.summary is not None else None,
        }
        if self.data_source is not None:  # the file the CLI fitted on, shown by `polemos report`
            record["data_source"] = self.data_source
        text = json.dumps(record, indent=2)
        atomic_write(directory / "config.json", lambda temporary: temporary.write_text(text))
        if self.real_summary is not None:
            summary_text = json.dumps(self.real_summary.state())
            atomic_write(directory / SUMMARY_FILE, lambda temporary: temporary.write_text(summary_text))
        else:  # a stale summary of another model must not describe this one
            (directory / SUMMARY_FILE).unlink(missing_ok=True)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> SeriesGAN:
        """Reads a model written by :meth:`save`.

        Raises:
            PolemosError: If the directory does not hold a saved SeriesGAN.
        """
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        directory = Path(directory)
        config_path, weights_path = directory / "config.json", directory / "generator.safetensors"
        if saved_model_kind(directory) == "tabular model":
            raise PolemosError(
                f"{directory} holds a tabular model, not a SeriesGAN; use `polemos tabular sample` "
                "(TabularGAN.load) for it"
            )
        if not config_path.is_file() or not weights_path.is_file():
            raise PolemosError(
                f"{directory} does not hold a saved SeriesGAN (config.json and generator.safetensors); "
                "pass the --out directory of `polemos series fit`"
            )
        record = read_model_json(config_path)
        if not isinstance(record, dict) or not isinstance(record.get("config"), dict) or "meta" not in record:
            # e.g. an image training run's config.json beside its generator.safetensors
            raise PolemosError(
                f"{directory} holds no SeriesGAN ({config_path.name} is not a series model's); "
                "pass the --out directory of `polemos series fit`"
            )
        config_fields = record["config"]
        config_fields["betas"] = tuple(config_fields["betas"])
        config_fields["slow_noise_timescales"] = tuple(config_fields.get("slow_noise_timescales", ()))
        config_fields["critic_statistics_lags"] = tuple(config_fields.get("critic_statistics_lags", ()))
        model = cls(SeriesGANConfig(**config_fields), seed=record["meta"].get("seed", 0))
        meta = record["meta"]
        if meta.get("format_version") != _FORMAT_VERSION:
            raise PolemosError(f"{directory} was saved by an incompatible polemos version; re-fit the model")
        config = model.config
        generator = RecurrentGenerator(
            meta["features"],
            config.hidden,
            config.layers,
            config.noise_dim,
            meta["num_labels"],
            config.label_dim,
            meta["output"],
            context=meta["context_length"] > 0,
            slow_timescales=config.slow_noise_timescales,
            shock_magnitude=config.shock_magnitude,
        )
        try:
            generator.load_state_dict(load_file(str(weights_path)))
        except (RuntimeError, OSError, SafetensorError) as error:  # weights of another model, or a damaged file
            first_line = str(error).splitlines()[0]
            raise PolemosError(
                f"{weights_path} does not match the SeriesGAN in {config_path} ({first_line}); re-fit the model "
                "into a new folder"
            ) from None
        # as the fitted (averaged) generator is: without gradients, CPU runs the same GRU kernel, so a loaded
        # model samples bit for bit what the fitted one did
        model.generator = generator.requires_grad_(False).eval()
        model.meta = meta
        if record.get("summary"):
            summary = record["summary"]
            summary["notes"] = tuple(summary.get("notes", ()))
            summary["selection"] = tuple(tuple(check) for check in summary.get("selection", ()))
            model.summary = TrainingSummary(**summary)
        model.real_summary = _read_summary(directory / SUMMARY_FILE)
        model.data_source = record.get("data_source")
        return model


def _read_summary(path: Path) -> SeriesSummary | None:
    """The saved statistics of the training windows; None for folders saved without them (older versions)."""
    if not path.is_file():
        return None
    try:
        return SeriesSummary.from_state(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError, IndexError):  # damaged: the model itself still loads
        return None


class _Selector:
    """Keeps the best-scoring generator state of the checks made during training (lower is better)."""

    def __init__(self) -> None:
        self.best_score = math.inf
        self.best_step: int | None = None
        self.best_state: dict[str, Tensor] | None = None
        self.history: list[tuple[int, float]] = []

    def _record(self, step: int, score: float, generator: RecurrentGenerator) -> float:
        if not math.isfinite(score):  # a diverged state never wins
            self.history.append((step, math.inf))
            return math.inf
        self.history.append((step, round(score, 5)))
        if score < self.best_score:
            self.best_score, self.best_step = score, step
            self.best_state = {name: value.detach().clone() for name, value in generator.state_dict().items()}
        return score

    def restore_best(self, generator: RecurrentGenerator) -> None:
        if self.best_state is not None:
            generator.load_state_dict(self.best_state)

    def check(
        self, step: int, generator: RecurrentGenerator, to_data_space: Callable[[np.ndarray], np.ndarray]
    ) -> float:
        raise NotImplementedError

    def probe_seconds(self, generator: RecurrentGenerator, to_data_space: Callable[[np.ndarray], np.ndarray]) -> float:
        """Seconds one check of ``generator`` takes; nothing is recorded (checks draw in a forked RNG)."""
        kept = (self.best_score, self.best_step, self.best_state, list(self.history))
        start = time.perf_counter()
        self.check(0, generator, to_data_space)
        seconds = time.perf_counter() - start
        self.best_score, self.best_step, self.best_state, self.history = kept
        return seconds


class _FactsSelector(_Selector):
    """Keeps the generator state whose long paths best match the training returns' stylized facts."""

    def __init__(self, series: np.ndarray, config: SeriesGANConfig) -> None:
        super().__init__()
        self.config = config
        # the facts penalty's score against the whole series (each feature's observed returns), used without gradient
        self.distance = FactsPenalty(
            series, config.select_length, config.facts_lags(config.select_length), target="series"
        )
        self.series = series  # the real rank correlations are taken from it when select_correlation > 0

    @torch.no_grad()
    def check(
        self, step: int, generator: RecurrentGenerator, to_data_space: Callable[[np.ndarray], np.ndarray]
    ) -> float:
        """Scores ``generator`` on paths of a fixed noise seed (the same for every check: states are compared on
        equal noise), drawn in a forked RNG so that training's random stream is untouched."""
        config = self.config
        with torch.random.fork_rng():
            torch.manual_seed(0)
            was_training = generator.training
            generator.eval()
            paths = generator(config.select_paths, config.select_length, warm_up=config.burn_in)
            generator.train(was_training)
        values = to_data_space(paths.double().numpy())
        if not np.isfinite(values).all():
            return self._record(step, math.inf, generator)
        score = float(self.distance(torch.from_numpy(values)))
        if config.select_correlation > 0:  # + w ||spearman(real) - spearman(generated)||_F
            score += config.select_correlation * cross_correlation_error(self.series, values, method="spearman")
        return self._record(step, score, generator)


class _ContextSelector(_Selector):
    """Keeps the generator state whose scenarios score best on held-out contexts of the series (energy score).

    Origins ``t = first, first + H, ...`` (disjoint ``H``-step targets ``series[t:t+H]``, all after the training
    windows' last step); each gets ``select_paths`` scenarios given ``series[t-L:t]``.
    """

    def __init__(
        self,
        series: np.ndarray,  # (T, F) data units
        first_origin: int,
        context_length: int,
        horizon: int,
        config: SeriesGANConfig,
        to_model_space: Callable[[np.ndarray], np.ndarray],
    ) -> None:
        super().__init__()
        self.config, self.horizon = config, horizon
        origins = np.arange(first_origin, len(series) - horizon + 1, horizon)
        contexts = np.stack([series[t - context_length : t] for t in origins])  # (M, L, F)
        self.contexts = torch.from_numpy(to_model_space(contexts).astype(np.float32))
        self.targets = np.stack([series[t : t + horizon].reshape(-1) for t in origins])  # (M, H F)

    @torch.no_grad()
    def check(
        self, step: int, generator: RecurrentGenerator, to_data_space: Callable[[np.ndarray], np.ndarray]
    ) -> float:
        """Mean energy score over the held-out origins, on scenarios of a fixed noise seed (forked RNG)."""
        scenarios = self.config.select_paths
        with torch.random.fork_rng():
            torch.manual_seed(0)
            was_training = generator.training
            generator.eval()
            given = self.contexts.repeat_interleave(scenarios, dim=0)
            paths = generator(len(given), self.horizon, None, given)
            generator.train(was_training)
        values = to_data_space(paths.double().numpy()).reshape(len(self.targets), scenarios, -1)
        if not np.isfinite(values).all():
            return self._record(step, math.inf, generator)
        return self._record(step, float(energy_score(values, self.targets).mean()), generator)


@torch.no_grad()
def _scale_calibration(
    generator: RecurrentGenerator, config: SeriesGANConfig, real_model_space: np.ndarray
) -> dict[str, list[float]]:
    """``scale`` and ``shift`` per feature so that ``x * scale + shift`` has the real model-space mean and std."""
    with torch.random.fork_rng():
        torch.manual_seed(1)
        paths = generator(config.select_paths, config.select_length, warm_up=config.burn_in)
    generated = paths.double().numpy().reshape(-1, paths.shape[2])
    generated_mean, generated_std = generated.mean(axis=0), generated.std(axis=0)
    real_mean, real_std = np.nanmean(real_model_space, axis=0), np.nanstd(real_model_space, axis=0)
    scale = real_std / np.maximum(generated_std, 1e-12)
    return {"scale": scale.tolist(), "shift": (real_mean - generated_mean * scale).tolist()}


def _psd_power(matrix: np.ndarray, power: float) -> np.ndarray:
    """``matrix ** power`` of a symmetric positive semi-definite matrix (eigenvalues floored for the inverse)."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2)
    floor = 1e-12 * max(float(eigenvalues.max()), 1e-300)
    return (eigenvectors * np.maximum(eigenvalues, floor) ** power) @ eigenvectors.T


def _covariance_calibration(generated: np.ndarray, real: np.ndarray) -> dict[str, list]:
    """The affine map ``x @ matrix + shift`` giving ``generated`` the mean and covariance of
    ``real`` (rows with NaN dropped). ``matrix`` is the optimal-transport map between Gaussians with the two
    covariances, ``A = C_g^{-1/2} (C_g^{1/2} C_r C_g^{1/2})^{1/2} C_g^{-1/2}``: symmetric, so ``A C_g A = C_r``.
    """
    generated = generated.reshape(-1, generated.shape[-1]).astype(np.float64)
    generated = generated[np.isfinite(generated).all(axis=1)]
    real = real[np.isfinite(real).all(axis=1)].astype(np.float64)
    if len(generated) < 2 or len(real) < 2:
        raise PolemosError("calibrate_covariance needs at least 2 NaN-free steps of real and generated returns")
    generated_covariance = np.atleast_2d(np.cov(generated, rowvar=False))
    real_covariance = np.atleast_2d(np.cov(real, rowvar=False))
    root = _psd_power(generated_covariance, 0.5)
    inverse_root = _psd_power(generated_covariance, -0.5)
    matrix = inverse_root @ _psd_power(root @ real_covariance @ root, 0.5) @ inverse_root
    matrix = (matrix + matrix.T) / 2
    # (x - generated_mean) @ matrix + real_mean, with the constant part folded into one shift
    return {"matrix": matrix.tolist(), "shift": (real.mean(axis=0) - generated.mean(axis=0) @ matrix).tolist()}
