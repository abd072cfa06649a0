"""Low-dimensional point data (the 2D Gaussian mixtures of the mode-collapse benchmarks) and MLP networks.

This is the smallest modality: it plugs into the same trainer as images and is what the mixture benchmark and
the trainer's own tests use.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch import Tensor, nn  # noqa: E402

from polemos.errors import PolemosError  # noqa: E402
from polemos.registry import Registry  # noqa: E402
from polemos.train.task import GanTask  # noqa: E402


def ring_modes(count: int = 8, radius: float = 1.0) -> Tensor:
    """Means of ``count`` Gaussians on a circle: angles 2πk/count."""
    angles = torch.arange(count, dtype=torch.float64) * (2 * math.pi / count)
    return torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], dim=1)


def grid_modes(side: int = 5, spacing: float = 2.0) -> Tensor:
    """Means on a ``side`` x ``side`` grid centred at 0: {-4, -2, 0, 2, 4}² for the defaults."""
    axis = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
    return torch.cartesian_prod(axis, axis)


MIXTURES: Registry[tuple[Tensor, float]] = Registry("mixture")
MIXTURES.add("ring-8", (ring_modes(8, 1.0), 0.01), "8 Gaussians on a circle of radius 1, sigma 0.01")
MIXTURES.add("grid-25", (grid_modes(5, 2.0), 0.05), "25 Gaussians on {-4,-2,0,2,4}^2, sigma 0.05")


def sample_mixture(name: str, count: int, seed: int) -> Tensor:
    """``count`` points from the named mixture (uniform over modes), float32 (count, 2)."""
    modes, sigma = MIXTURES.get(name)
    rng = torch.Generator().manual_seed(seed)
    picks = torch.randint(len(modes), (count,), generator=rng)
    return (modes[picks] + sigma * torch.randn(count, modes.shape[1], generator=rng, dtype=torch.float64)).float()


class MLPGenerator(nn.Module):
    """``latent -> points`` with ReLU hidden layers.

    Args:
        latent_dim: Size of z.
        output_dim: Size of a point.
        width: Hidden units per layer.
        depth: Hidden layers.
    """

    def __init__(self, latent_dim: int, output_dim: int, width: int = 128, depth: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        size = latent_dim
        for _ in range(depth):
            layers += [nn.Linear(size, width), nn.ReLU()]
            size = width
        layers.append(nn.Linear(size, output_dim))
        self.network = nn.Sequential(*layers)

    def forward(self, latent: Tensor, condition: Tensor | None = None) -> Tensor:
        return self.network(latent)


class MLPDiscriminator(nn.Module):
    """``points -> logits`` with LeakyReLU hidden layers, optionally spectrally normalised.

    Args:
        input_dim: Size of a point.
        width: Hidden units per layer.
        depth: Hidden layers.
        spectral_norm: Spectral normalization on every linear layer.
        pack: PacGAN packing degree: D sees ``pack`` samples concatenated (batch size must be divisible).
    """

    def __init__(
        self, input_dim: int, width: int = 128, depth: int = 3, spectral_norm: bool = True, pack: int = 1
    ) -> None:
        super().__init__()
        wrap = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda layer: layer)
        self.pack = pack
        layers: list[nn.Module] = []
        size = input_dim * pack
        for _ in range(depth):
            layers += [wrap(nn.Linear(size, width)), nn.LeakyReLU(0.2)]
            size = width
        layers.append(wrap(nn.Linear(size, 1)))
        self.network = nn.Sequential(*layers)

    def forward(self, points: Tensor, condition: Tensor | None = None) -> Tensor:
        if self.pack > 1:
            if points.shape[0] % self.pack:
                raise ValueError(f"batch size {points.shape[0]} is not divisible by the packing degree {self.pack}")
            points = points.reshape(points.shape[0] // self.pack, -1)
            logits = self.network(points).reshape(-1)
            return logits.repeat_interleave(self.pack)  # one logit per packed group, shared by its members
        return self.network(points).reshape(-1)


def save_scatter(points: Tensor, path: Path, reference: Tensor | None = None) -> Path:
    """A scatter plot of 2D points (reference modes in red) as PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(4, 4), dpi=80)
    data = points.detach().float().cpu()
    axis.scatter(data[:, 0], data[:, 1], s=2, alpha=0.5)
    if reference is not None:
        axis.scatter(reference[:, 0], reference[:, 1], s=12, c="red", marker="x")
    axis.set_aspect("equal")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


# Spectral normalization makes D 1-Lipschitz in data units: for ring-8 (sigma 0.01) its logits can then differ by
# at most ~0.03 between a point on a mode and one 3 sigma away, so G gets almost no signal to be precise. Measured
# on ring-8 (docs/benchmarks.md §4): 83 % high-quality samples with SN, 94 % without, same steps.
POINTS_SPECTRAL_NORM = False

# The learning-rate schedule of points when the config leaves it unset: cosine from the full rate to 0.1 of it.
# With enough steps the decay turns the last bridges between modes into on-mode samples: grid-25 (12,000 steps)
# 93.3 % -> 95.6 % high-quality samples and 25/25 modes on every seed (docs/benchmarks.md §4).
POINTS_LR_SCHEDULE = ("cosine", 0.1)


def build_points_task(
    data: Tensor,
    latent_dim: int = 2,
    width: int = 128,
    depth: int = 3,
    spectral_norm: bool | None = None,
    pack: int = 1,
) -> GanTask:
    """A :class:`GanTask` over a float tensor of points (N, D).

    Args:
        data: Points, float (N, D), finite.
        latent_dim: Size of z.
        width: Hidden units of both MLPs.
        depth: Hidden layers of both MLPs.
        spectral_norm: Spectral normalization in D; ``None`` uses the modality's default (off).
        pack: PacGAN packing degree of D.
    """
    spectral_norm = POINTS_SPECTRAL_NORM if spectral_norm is None else spectral_norm
    if data.ndim != 2 or not torch.isfinite(data).all():
        raise PolemosError("point data must be a finite float array of shape (N, D); remove NaN/Inf rows")
    generator = MLPGenerator(latent_dim, data.shape[1], width, depth)
    discriminator = MLPDiscriminator(data.shape[1], width, depth, spectral_norm, pack)
    return GanTask(
        generator=generator,
        discriminator=discriminator,
        latent_dim=latent_dim,
        data=data.float(),
        conditions=None,
        prepare=lambda batch: batch,
        save_samples=lambda samples, path: save_scatter(samples, path),
        lr_schedule=POINTS_LR_SCHEDULE[0],
        lr_final=POINTS_LR_SCHEDULE[1],
        metadata={
            "modality": "points",
            "dim": data.shape[1],
            "width": width,
            "depth": depth,
            "spectral_norm": spectral_norm,
        },
    )
