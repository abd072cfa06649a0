"""Generator and packed discriminator for tables, and the output activations that walk the column layout."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from polemos.tabular.layout import ColumnSpan

__all__ = ["Discriminator", "Generator", "OutputActivation", "TargetClassifier"]


class OutputActivation(nn.Module):
    """Applies each span's activation: tanh to scalars, (gumbel-)softmax to one-hot blocks.

    Spans of equal width are processed together as one ``(N, spans, width)`` tensor, so the cost does not grow
    with the number of columns.

    Args:
        layout: The column layout of the encoded table.
    """

    def __init__(self, layout: tuple[ColumnSpan, ...]) -> None:
        super().__init__()
        scalar = [span.start for span in layout if span.activation == "tanh"]
        self.register_buffer("scalar_index", torch.tensor(scalar, dtype=torch.long), persistent=False)
        groups: dict[int, list[int]] = {}
        for span in layout:
            if span.activation == "softmax":
                groups.setdefault(span.width, []).append(span.start)
        self.group_widths = sorted(groups)
        for width in self.group_widths:
            # index (spans, width) into the raw output for every span of this width
            starts = torch.tensor(groups[width], dtype=torch.long)
            index = starts[:, None] + torch.arange(width)[None, :]
            self.register_buffer(f"softmax_index_{width}", index, persistent=False)

    def forward(self, raw: Tensor, temperature: float = 0.2, gumbel: bool = True) -> Tensor:
        """Returns the activated output, same shape as ``raw``.

        Args:
            raw: Generator logits, shape ``(N, width)``.
            temperature: Softmax temperature (gumbel-softmax ``tau``).
            gumbel: Add Gumbel noise (training); without it a plain softmax is applied.
        """
        activated = raw.clone()
        if self.scalar_index.numel():
            activated[:, self.scalar_index] = torch.tanh(raw[:, self.scalar_index])
        for width in self.group_widths:
            index = getattr(self, f"softmax_index_{width}")
            logits = raw[:, index]  # (N, spans, width)
            if gumbel:
                # -log(-log(U)): Gumbel noise, drawn from the global generator (seeded by fit)
                uniform = torch.rand_like(logits).clamp_(1e-10, 1.0 - 1e-10)
                logits = logits - torch.log(-torch.log(uniform))
            probabilities = F.softmax(logits / temperature, dim=-1)
            activated[:, index.reshape(-1)] = probabilities.reshape(raw.shape[0], -1)
        return activated

    def harden(self, activated: Tensor) -> Tensor:
        """Replaces every one-hot block of ``activated`` rows by the one-hot of its largest slot (as sampled rows)."""
        hardened = activated.clone()
        for width in self.group_widths:
            index = getattr(self, f"softmax_index_{width}")
            blocks = activated[:, index]  # (N, spans, width)
            one_hot = F.one_hot(blocks.argmax(dim=-1), width).to(activated.dtype)
            hardened[:, index.reshape(-1)] = one_hot.reshape(activated.shape[0], -1)
        return hardened


class _Residual(nn.Module):
    """``[relu(bn(linear(x))), x]``: a dense block that concatenates its input (CTGAN's generator block)."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.norm = nn.BatchNorm1d(out_features)

    def forward(self, inputs: Tensor) -> Tensor:
        return torch.cat([F.relu(self.norm(self.linear(inputs))), inputs], dim=1)


class Generator(nn.Module):
    """Maps noise and a conditional vector to raw logits over the encoded columns.

    Args:
        noise_dim: Size of the latent noise.
        cond_dim: Size of the conditional vector.
        hidden: Widths of the residual blocks.
        data_dim: Width of the encoded table.
        target_head: With a target column, the classifier that generates it from the other generated
            columns (trained on real rows, see :class:`TargetClassifier`); ``None`` otherwise.
    """

    def __init__(
        self,
        noise_dim: int,
        cond_dim: int,
        hidden: tuple[int, ...],
        data_dim: int,
        target_head: TargetClassifier | None = None,
    ) -> None:
        super().__init__()
        self.target_head = target_head  # generates the target column from the other generated columns
        blocks: list[nn.Module] = []
        width = noise_dim + cond_dim
        for size in hidden:
            blocks.append(_Residual(width, size))
            width += size
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(width, data_dim)

    def forward(self, noise: Tensor, cond: Tensor) -> Tensor:
        """Raw logits, shape ``(N, data_dim)``; apply :class:`OutputActivation` to get a table row."""
        return self.head(self.body(torch.cat([noise, cond], dim=1)))


class Discriminator(nn.Module):
    """A packed critic (PacGAN, Lin et al. 2018, https://arxiv.org/abs/1712.04086).

    ``pac`` consecutive rows are concatenated and judged together, which penalizes a generator that collapses
    to few modes. The batch size must be a multiple of ``pac``.

    Args:
        input_dim: Width of one row (encoded data plus conditional vector).
        hidden: Widths of the hidden layers.
        pac: Number of rows judged together.
        dropout: Dropout after each hidden layer.
    """

    def __init__(self, input_dim: int, hidden: tuple[int, ...], pac: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.pac = pac
        layers: list[nn.Module] = []
        width = input_dim * pac
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, rows: Tensor) -> Tensor:
        """Logits of shape ``(N / pac,)`` for rows of shape ``(N, input_dim)``."""
        return self.judge_packed(self.pack(rows))

    def pack(self, rows: Tensor) -> Tensor:
        """Concatenates every ``pac`` consecutive rows: ``(N, D) -> (N / pac, pac * D)``."""
        return rows.reshape(rows.shape[0] // self.pac, -1)

    def judge_packed(self, packed: Tensor) -> Tensor:
        """Logits for already packed inputs; gradient penalties are taken with respect to packs."""
        return self.body(packed).squeeze(1)


class TargetClassifier(nn.Module):
    """Predicts a categorical target column from the other encoded columns of a row.

    Trained on real rows by cross-entropy, it then *generates* the target of a synthetic row from the row's
    other generated columns: the label is drawn from its predicted ``P(target | features)``. The adversarial
    game alone ties labels to features only through the shared latent code, so the categorical draws of the
    other columns are independent of the label given the code, and a downstream classifier trained on the
    synthetic rows loses accuracy; drawing the target last, from the drawn features, removes that. (Auxiliary
    classifiers for tables: CTAB-GAN, Zhao et al. 2021, https://arxiv.org/abs/2102.08369; sequential
    synthesizers such as synthpop generate every column this way.)

    Args:
        input_dim: Width of the encoded row without the target's span.
        hidden: Widths of the hidden layers.
        classes: Slots of the target's one-hot span.
        dropout: Dropout after each hidden layer.
    """

    def __init__(self, input_dim: int, hidden: tuple[int, ...], classes: int, dropout: float = 0.2) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = input_dim
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, classes))
        self.body = nn.Sequential(*layers)

    def forward(self, features: Tensor) -> Tensor:
        """Logits over the target's slots, shape ``(N, classes)``, for features ``(N, input_dim)``."""
        return self.body(features)
