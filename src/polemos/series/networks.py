"""Networks of the sequence GAN: an autoregressive recurrent generator and a dilated convolutional critic.

Generator: a GRU over per-step noise (plus an optional label embedding) whose initial state depends on noise,
label and an encoded context window; being recurrent it (a) continues a given context (scenario generation)
and (b) runs for any number of steps (long return paths).

Discriminator: dilated 1-D convolutions over time whose receptive field covers the whole window, masked mean
pooling over observed steps, a linear logit plus a projection term ``<e(y), features>`` for labels
(Miyato & Koyama 2018, https://arxiv.org/abs/1802.05637). It has no normalisation across the batch, so
gradient penalties computed from ``logits.sum()`` are per-sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import scipy.signal
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class RecurrentGenerator(nn.Module):
    """GRU generator driven by per-step noise, optionally conditioned on labels and on a context window.

    At step ``t`` the GRU reads ``[z_t, e(y)]`` (noise, optional label embedding) and writes
    ``x_t = head(h_t)``. The initial state is ``tanh(W [z_0, e(y), c])`` where ``c`` is the final state of a
    context encoder GRU run over the given steps (absent without context). The GRU is fused (``nn.GRU``), so
    long sequences are cheap, and it runs for any number of steps.

    Args:
        features: Output features ``F`` per step.
        hidden: GRU state size.
        layers: Stacked GRU layers.
        noise_dim: Noise features per step (and of the initial-state noise).
        num_labels: Number of static label classes (0: unconditional).
        label_dim: Size of the label embedding.
        output: ``"sigmoid"`` for data scaled to [0, 1], ``"linear"`` for standardised data, or
            ``"volatility"``: ``x_t = mu(h_t) + sigma(h_t) * eps_t`` with fresh shocks ``eps_t ~ N(0, 1)`` that the
            GRU reads at the next step, a GARCH-like path from past shocks to today's scale (for returns).
        context: Whether a context encoder is built (scenario generation).
        slow_timescales: Time scales ``tau`` (in steps) of extra slowly varying noise inputs: per scale a
            stationary Gaussian AR(1) ``s_t = phi s_{t-1} + sqrt(1 - phi^2) e_t`` with ``phi = exp(-1 / tau)``,
            read by the GRU at every step. They give long paths persistent drivers (e.g. volatility regimes)
            that a GRU trained on short windows does not learn to carry itself. Empty: none (the default).
        shock_magnitude: With ``output="volatility"``: the GRU also reads ``|eps_{t-1}| - E|eps|``, so
            ``sigma_t`` can grow with the size of yesterday's shock (as GARCH's ``alpha x_{t-1}^2``) without
            building that even function of ``eps`` out of its gates.
    """

    def __init__(
        self,
        features: int,
        hidden: int = 64,
        layers: int = 2,
        noise_dim: int = 8,
        num_labels: int = 0,
        label_dim: int = 8,
        output: str = "sigmoid",
        context: bool = False,
        slow_timescales: Sequence[float] = (),
        shock_magnitude: bool = False,
    ) -> None:
        super().__init__()
        if shock_magnitude and output != "volatility":
            raise ValueError("shock_magnitude reads the shocks of output='volatility'")
        if any(tau <= 0 for tau in slow_timescales):
            raise ValueError(f"slow_timescales must be positive numbers of steps, got {tuple(slow_timescales)}")
        if output not in ("sigmoid", "linear", "volatility"):
            raise ValueError(f"output must be 'sigmoid', 'linear' or 'volatility', got {output!r}")
        self.features, self.hidden, self.layers, self.noise_dim = features, hidden, layers, noise_dim
        self.output = output
        self.label_dim = label_dim if num_labels > 0 else 0
        self.label_embedding = nn.Embedding(num_labels, label_dim) if num_labels > 0 else None
        self.context_encoder = nn.GRU(features, hidden, batch_first=True) if context else None
        context_dim = hidden if context else 0
        self.initial_state = nn.Linear(noise_dim + self.label_dim + context_dim, layers * hidden)
        self.shock_dim = features if output == "volatility" else 0
        self.shock_magnitude = shock_magnitude
        self.slow_timescales = tuple(float(tau) for tau in slow_timescales)
        magnitude_dim = features if shock_magnitude else 0
        # the slow-noise inputs come last: the facts penalty trains exactly those input columns
        inputs = noise_dim + self.label_dim + self.shock_dim + magnitude_dim + len(self.slow_timescales)
        self.gru = nn.GRU(inputs, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 2 * features if output == "volatility" else features)

    def forward(
        self,
        batch: int,  # number of sequences
        steps: int,  # steps to generate (after the context, if any)
        labels: Tensor | None = None,  # (batch,) integer classes, for a conditional generator
        context: Tensor | None = None,  # (batch, L, F) given steps to continue
        warm_up: int = 0,  # steps run first and dropped, without gradient tracking (truncated backpropagation)
    ) -> Tensor:
        """Generates ``(batch, steps, F)``; with a context, its continuation.

        With ``warm_up = w`` the generator runs ``w + steps`` steps and returns the last ``steps``: the values
        are those of ``forward(batch, w + steps)[:, w:]`` with the same random state, but gradients stop at the
        state after the warm-up, so training on long burn-ins costs about the backward pass of ``steps``.
        """
        if warm_up < 0:
            raise ValueError(f"warm_up must be >= 0 steps, got {warm_up}")
        total = warm_up + steps
        reference = self.head.weight
        options = {"device": reference.device, "dtype": reference.dtype}
        if self.label_embedding is not None:
            if labels is None:
                raise ValueError("this generator is conditional; pass labels (integer class per sample)")
            embedded = self.label_embedding(labels)
        else:
            embedded = torch.zeros(batch, 0, **options)
        parts = [torch.randn(batch, self.noise_dim, **options), embedded]
        if self.context_encoder is not None:
            if context is None:
                raise ValueError("this generator continues a context; pass context (batch, L, F)")
            _, encoded = self.context_encoder(context)
            parts.append(encoded[-1])
        elif context is not None:
            raise ValueError("this generator was built without a context encoder")
        initial = torch.tanh(self.initial_state(torch.cat(parts, dim=1)))
        initial = initial.view(batch, self.layers, self.hidden).transpose(0, 1).contiguous()
        noise = torch.randn(batch, total, self.noise_dim, **options)
        parts = [noise, embedded.unsqueeze(1).expand(batch, total, self.label_dim)]
        if self.output == "volatility":
            shocks = torch.randn(batch, total + 1, self.features, **options)
            parts.append(shocks[:, :-1])  # the GRU at step t reads the shock of step t - 1
            if self.shock_magnitude:
                parts.append(shocks[:, :-1].abs() - math.sqrt(2.0 / math.pi))  # |eps| - E|eps| for eps ~ N(0, 1)
            shocks = shocks[:, warm_up:]
        if self.slow_timescales:
            parts.append(slow_noise(batch, total, self.slow_timescales, **options))
        inputs = torch.cat(parts, dim=2)
        if warm_up:
            with torch.no_grad():
                _, initial = self.gru(inputs[:, :warm_up], initial)
            inputs = inputs[:, warm_up:]
        hidden_states, _ = self.gru(inputs, initial)
        raw = self.head(hidden_states)
        if self.output == "sigmoid":
            return torch.sigmoid(raw)
        if self.output == "volatility":
            mean, raw_scale = raw.chunk(2, dim=2)
            return mean + F.softplus(raw_scale) * shocks[:, 1:]  # mu_t + sigma_t * eps_t
        return raw


def slow_noise(
    batch: int,  # number of sequences
    steps: int,  # steps per sequence
    timescales: Sequence[float],  # tau per channel, in steps
    device: torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Stationary unit-variance Gaussian AR(1) noise ``(batch, steps, len(timescales))``.

    ``s_0 ~ N(0, 1)`` and ``s_t = phi s_{t-1} + sqrt(1 - phi^2) e_t`` with ``phi = exp(-1 / tau)``, so
    ``corr(s_t, s_{t+k}) = exp(-k / tau)`` at every ``t``.
    """
    innovations = torch.randn(batch, steps, len(timescales), device=device, dtype=dtype)
    if steps < 2:
        return innovations  # s_0 ~ N(0, 1) only
    drawn = innovations.detach().cpu().double().numpy()
    values = np.empty_like(drawn)
    for channel, tau in enumerate(timescales):
        phi = math.exp(-1.0 / tau)
        # the recursion as a linear filter along time, started at s_0 = e_0 (the stationary N(0, 1))
        values[:, :, channel] = scipy.signal.lfilter(
            [1.0], [1.0, -phi], drawn[:, :, channel] * np.r_[1.0, np.full(steps - 1, math.sqrt(1.0 - phi * phi))]
        )
    return torch.from_numpy(values).to(device=innovations.device, dtype=innovations.dtype)


class ConvDiscriminator(nn.Module):
    """Dilated convolutional discriminator over ``(N, T, F)`` windows with an optional mask and labels.

    Args:
        features: Input features ``F``.
        window: Window length; dilations double until the receptive field covers it.
        channels: Convolution channels.
        num_labels: Number of static label classes (0: unconditional).
        masked: Whether a mask channel is appended (variable-length data).
        magnitude: Whether ``|x|`` is appended to the inputs as extra channels (makes volatility clustering,
            a pattern of magnitudes, directly visible to the first convolution).
        statistics_lags: Lags ``k`` (each smaller than ``window``) of per-window statistics fed to the logit
            through a small layer: per feature the autocorrelation of ``|x|`` at lag ``k``, the correlation
            ``corr(x_t, |x_{t+k}|)`` (leverage) and the log mean square (see :func:`window_statistics`).
            Empty: none (the default). Not available with masks.
        magnitude_map: With ``magnitude``, a differentiable map ``(N, T, F) -> (N, T, F)`` applied to the windows
            before ``|.|`` (e.g. model space to standardised returns, so the magnitude channels carry the data's
            heavy tails); ``None``: ``|x|`` itself.
        products: Whether the products ``x_i x_j`` of every pair of features ``i < j`` are appended as extra
            channels (co-movement, and joint extreme steps, directly visible to the first convolution).
        product_map: With ``products``, a differentiable map ``(N, T, F) -> (N, T, F)`` applied to the windows
            before the products (e.g. to standardised returns in data units); ``None``: ``x`` itself.
        batch_products: With ``products``, each pair's product averaged over the whole batch (all windows and
            steps) is fed to the logit too: one co-movement statistic of the batch, the same for every window in
            it (as the minibatch standard deviation of Karras et al. 2018 gives a critic the batch's spread).
            One window's products are too few to tell a correlation off by 0.05-0.1; a batch's are not. Real and
            generated windows must then be judged in separate batches (as the training loop does).
        batch_model_products: With ``products``, each pair's product of the windows themselves (before
            ``product_map``) averaged over the whole batch is fed to the logit too. In returns mode the windows are
            in model space, where each series is standardised and Gaussianized, so this is close to a normal-scores
            (rank) correlation, which the joint extremes that drive the data-unit products do not dominate.
    """

    def __init__(
        self,
        features: int,
        window: int,
        channels: int = 64,
        num_labels: int = 0,
        masked: bool = False,
        magnitude: bool = False,
        statistics_lags: Sequence[int] = (),
        magnitude_map: Callable[[Tensor], Tensor] | None = None,
        products: bool = False,
        product_map: Callable[[Tensor], Tensor] | None = None,
        batch_products: bool = False,
        batch_model_products: bool = False,
    ) -> None:
        super().__init__()
        if magnitude_map is not None and not magnitude:
            raise ValueError("magnitude_map changes the magnitude channels; pass magnitude=True as well")
        if product_map is not None and not products:
            raise ValueError("product_map changes the product channels; pass products=True as well")
        if products and features < 2:
            raise ValueError("products needs at least 2 features (pairs of series)")
        if (batch_products or batch_model_products) and (not products or masked):
            raise ValueError("batch_products averages the product channels: pass products=True, without masks")
        if statistics_lags and masked:
            raise ValueError("statistics_lags needs full-length windows; it is not available with masks")
        if any(not 0 < lag < window for lag in statistics_lags):
            raise ValueError(f"statistics_lags must lie in [1, {window - 1}], got {tuple(statistics_lags)}")
        self.masked = masked
        self.magnitude = magnitude
        self.magnitude_map = magnitude_map
        self.product_pairs = torch.triu_indices(features, features, offset=1) if products else None
        self.product_map = product_map
        self.batch_products = batch_products
        self.batch_model_products = batch_model_products
        self.statistics_lags = tuple(int(lag) for lag in statistics_lags)
        kernel = 5
        layers: list[nn.Module] = []
        pair_count = features * (features - 1) // 2 if products else 0
        in_channels = features * (2 if magnitude else 1) + pair_count + (1 if masked else 0)
        dilation, receptive_field = 1, 1
        while True:
            layers += [
                nn.Conv1d(in_channels, channels, kernel, dilation=dilation, padding=dilation * (kernel // 2)),
                nn.LeakyReLU(0.2),
            ]
            in_channels = channels
            receptive_field += (kernel - 1) * dilation
            dilation *= 2
            if receptive_field >= window or len(layers) >= 20:
                break
        self.body = nn.Sequential(*layers)
        pooled_dim = 2 * channels
        self.statistics_layer = None
        if self.statistics_lags:
            statistics_dim = features * (2 * len(self.statistics_lags) + 1)
            self.statistics_layer = nn.Sequential(nn.Linear(statistics_dim, channels), nn.LeakyReLU(0.2))
            pooled_dim += channels
        pooled_dim += pair_count * (int(batch_products) + int(batch_model_products))
        self.logit = nn.Linear(pooled_dim, 1)
        self.label_projection = nn.Embedding(num_labels, pooled_dim) if num_labels > 0 else None

    def forward(self, windows: Tensor, mask: Tensor | None = None, labels: Tensor | None = None) -> Tensor:
        """Logits ``(N,)`` for windows ``(N, T, F)``; ``mask`` ``(N, T)`` is 1 on observed steps."""
        inputs = windows.transpose(1, 2)  # (N, F, T)
        if self.magnitude:
            mapped = inputs if self.magnitude_map is None else self.magnitude_map(windows).transpose(1, 2)
            inputs = torch.cat([inputs, mapped.abs()], dim=1)
        if self.product_pairs is not None:
            signed = windows if self.product_map is None else self.product_map(windows)
            first, second = self.product_pairs.to(windows.device)
            # x_i * x_j per step for every pair i < j: (N, T, P) -> (N, P, T)
            products = (signed[:, :, first] * signed[:, :, second]).transpose(1, 2)
            inputs = torch.cat([inputs, products], dim=1)
        if self.masked:
            if mask is None:
                raise ValueError("this discriminator was built for masked data; pass mask")
            weights = mask.to(windows.dtype).unsqueeze(1)
            inputs = torch.cat([inputs * weights, weights], dim=1)
        else:
            weights = torch.ones_like(inputs[:, :1])
        hidden = self.body(inputs)  # (N, C, T)
        count = weights.sum(dim=2).clamp_min(1.0)
        mean = (hidden * weights).sum(dim=2) / count
        # masked standard deviation over time: sqrt(E[h^2] - E[h]^2) captures the spread of local patterns
        second = (hidden.square() * weights).sum(dim=2) / count
        spread = (second - mean.square()).clamp_min(1e-8).sqrt()
        pooled = torch.cat([mean, spread], dim=1)
        if self.batch_products:  # mean_{n,t} x_i x_j of the whole batch, given to every window: (N, P)
            pooled = torch.cat([pooled, products.mean(dim=(0, 2)).expand(len(windows), -1)], dim=1)
        if self.batch_model_products:  # mean_{n,t} of the unmapped windows' x_i x_j: (N, P)
            first, second = self.product_pairs.to(windows.device)
            model_products = (windows[:, :, first] * windows[:, :, second]).mean(dim=(0, 1))
            pooled = torch.cat([pooled, model_products.expand(len(windows), -1)], dim=1)
        if self.statistics_layer is not None:
            statistics = window_statistics(windows, self.statistics_lags)
            pooled = torch.cat([pooled, self.statistics_layer(statistics)], dim=1)
        logits = self.logit(pooled).squeeze(1)
        if self.label_projection is not None:
            if labels is None:
                raise ValueError("this discriminator is conditional; pass labels")
            logits = logits + (self.label_projection(labels) * pooled).sum(dim=1)
        return logits


def window_statistics(windows: Tensor, lags: Sequence[int]) -> Tensor:
    """Per-window volatility statistics ``(N, F * (2 * len(lags) + 1))`` of windows ``(N, T, F)``.

    Per feature and lag ``k``: the autocorrelation of ``a = |x|`` (``sum_t (a_t - m)(a_{t+k} - m) / sum_t
    (a_t - m)^2``, ``m`` the window mean, the biased estimator), then per lag the correlation between ``x_t``
    and ``a_{t+k}`` (both centred on their window means over the overlapping steps), and last
    ``log(mean_t x_t^2)``.
    """
    magnitude = windows.abs()
    centred_magnitude = magnitude - magnitude.mean(dim=1, keepdim=True)
    magnitude_energy = centred_magnitude.square().sum(dim=1).clamp_min(1e-8)  # (N, F)
    autocorrelations, leverages = [], []
    for lag in lags:
        autocorrelations.append(
            (centred_magnitude[:, :-lag] * centred_magnitude[:, lag:]).sum(dim=1) / magnitude_energy
        )
        leading = windows[:, :-lag] - windows[:, :-lag].mean(dim=1, keepdim=True)
        following = magnitude[:, lag:] - magnitude[:, lag:].mean(dim=1, keepdim=True)
        denominator = (leading.square().sum(dim=1) * following.square().sum(dim=1)).clamp_min(1e-8).sqrt()
        leverages.append((leading * following).sum(dim=1) / denominator)
    log_scale = torch.log(windows.square().mean(dim=1).clamp_min(1e-8))
    return torch.cat([*autocorrelations, *leverages, log_scale], dim=1)
