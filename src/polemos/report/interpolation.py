"""Latent interpolations of an image generator: a few fixed latent pairs, walked on a great circle."""

from __future__ import annotations

import io
from typing import Any

import torch
from torch import Tensor


def slerp(start: Tensor, end: Tensor, fractions: Tensor) -> Tensor:
    """Spherical interpolation between two batches of latents.

    ``slerp(a, b, t) = sin((1 - t) w) / sin(w) * a + sin(t w) / sin(w) * b`` with ``w`` the angle between
    ``a`` and ``b`` (White 2016, https://arxiv.org/abs/1609.04468); linear where ``sin(w)`` is ~0 (parallel
    latents). Gaussian latents keep a typical norm along the path, which a straight line would shrink.

    Args:
        start: Latents ``(P, D)`` at ``t = 0``.
        end: Latents ``(P, D)`` at ``t = 1``.
        fractions: Positions ``(S,)`` in [0, 1].

    Returns:
        ``(P, S, D)``: for each pair, the ``S`` interpolated latents.
    """
    start_unit = start / start.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    end_unit = end / end.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    cosine = (start_unit * end_unit).sum(dim=-1).clamp(-1.0, 1.0)
    angle = torch.arccos(cosine)[:, None, None]  # (P, 1, 1)
    t = fractions.to(start.dtype)[None, :, None]  # (1, S, 1)
    sine = torch.sin(angle)
    nearly_parallel = sine.abs() < 1e-6
    safe_sine = torch.where(nearly_parallel, torch.ones_like(sine), sine)
    weight_start = torch.where(nearly_parallel, 1.0 - t, torch.sin((1.0 - t) * angle) / safe_sine)
    weight_end = torch.where(nearly_parallel, t, torch.sin(t * angle) / safe_sine)
    return weight_start * start[:, None, :] + weight_end * end[:, None, :]


@torch.no_grad()
def interpolation_images(
    sampler: Any,  # polemos.images.task.ImageSampler (from polemos.load)
    pairs: int = 4,  # rows: latent pairs
    steps: int = 8,  # columns: positions from one latent to the other, ends included
    seed: int = 0,  # seed of the latent pairs (and of each row's class for conditional generators)
) -> Tensor:
    """Generates ``pairs * steps`` images, row ``i`` walking from latent ``a_i`` to ``b_i`` (floats in [-1, 1]).

    The pairs come from a fixed seed, so reports of the same run at different times show the same walks.
    A conditional generator keeps one class per row, so the row shows the latent's effect only.
    """
    rng = torch.Generator().manual_seed(seed)
    latent_dim = int(sampler.latent_dim)
    start = torch.randn(pairs, latent_dim, generator=rng)
    end = torch.randn(pairs, latent_dim, generator=rng)
    latents = slerp(start, end, torch.linspace(0.0, 1.0, steps)).reshape(pairs * steps, latent_dim)
    condition = None
    if int(getattr(sampler, "num_classes", 0)) > 0:
        row_classes = torch.randint(int(sampler.num_classes), (pairs,), generator=rng)
        condition = row_classes.repeat_interleave(steps)
    generator = sampler.generator
    device = next(generator.parameters()).device
    images = generator(latents.to(device), None if condition is None else condition.to(device))
    return images.float().cpu()


def interpolation_png(images: Tensor, steps: int) -> bytes:
    """Tiles interpolation images into one PNG, one walk per row."""
    from PIL import Image

    from polemos.images.grid import make_image_grid

    grid = make_image_grid(images, nrow=steps)
    picture = Image.fromarray(grid[:, :, 0] if grid.shape[2] == 1 else grid)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
