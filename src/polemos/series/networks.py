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
    ) -> None:
        super().__init__()
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
        self.gru = nn.GRU(noise_dim + self.label_dim + self.shock_dim, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 2 * features if output == "volatility" else features)

    def forward(
        self,
        batch: int,  # number of sequences
        steps: int,  # steps to generate (after the context, if any)
        labels: Tensor | None = None,  # (batch,) integer classes, for a conditional generator
        context: Tensor | None = None,  # (batch, L, F) given steps to continue
    ) -> Tensor:
        """Generates ``(batch, steps, F)``; with a context, its continuation."""
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
        noise = torch.randn(batch, steps, self.noise_dim, **options)
        parts = [noise, embedded.unsqueeze(1).expand(batch, steps, self.label_dim)]
        if self.output == "volatility":
            shocks = torch.randn(batch, steps + 1, self.features, **options)
            parts.append(shocks[:, :-1])  # the GRU at step t reads the shock of step t - 1
        hidden_states, _ = self.gru(torch.cat(parts, dim=2), initial)
        raw = self.head(hidden_states)
        if self.output == "sigmoid":
            return torch.sigmoid(raw)
        if self.output == "volatility":
            mean, raw_scale = raw.chunk(2, dim=2)
            return mean + F.softplus(raw_scale) * shocks[:, 1:]  # mu_t + sigma_t * eps_t
        return raw


class ConvDiscriminator(nn.Module):
    """Dilated convolutional discriminator over ``(N, T, F)`` windows with an optional mask and labels.

    Args:
        features: Input features ``F``.
        window: Window length; dilations double until the receptive field covers it.
        channels: Convolution channels.
        num_labels: Number of static label classes (0: unconditional).
        masked: Whether a mask channel is appended (variable-length data).
    """

    def __init__(
        self, features: int, window: int, channels: int = 64, num_labels: int = 0, masked: bool = False
    ) -> None:
        super().__init__()
        self.masked = masked
        kernel = 5
        layers: list[nn.Module] = []
        in_channels = features + (1 if masked else 0)
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
        self.logit = nn.Linear(2 * channels, 1)
        self.label_projection = nn.Embedding(num_labels, 2 * channels) if num_labels > 0 else None

    def forward(self, windows: Tensor, mask: Tensor | None = None, labels: Tensor | None = None) -> Tensor:
        """Logits ``(N,)`` for windows ``(N, T, F)``; ``mask`` ``(N, T)`` is 1 on observed steps."""
        inputs = windows.transpose(1, 2)  # (N, F, T)
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
        logits = self.logit(pooled).squeeze(1)
        if self.label_projection is not None:
            if labels is None:
                raise ValueError("this discriminator is conditional; pass labels")
            logits = logits + (self.label_projection(labels) * pooled).sum(dim=1)
        return logits
