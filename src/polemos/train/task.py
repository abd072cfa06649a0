"""The contract between a modality and the training loop.

A modality (images, tables, series) builds a :class:`GanTask`: the two networks, the data as tensors, how to
turn a stored batch into model inputs, optional augmentation and how to save a sample grid. The loop needs
nothing else, so it holds no image or table code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn


@dataclass
class GanTask:
    """Everything the training loop needs from a modality.

    Attributes:
        generator: ``generator(latent (N, latent_dim), condition) -> samples``.
        discriminator: ``discriminator(samples, condition) -> logits (N,)``.
        latent_dim: Size of the latent vector.
        data: The stored training data, first dim = items (e.g. uint8 images); kept on CPU.
        conditions: Per-item conditioning (e.g. int64 labels), or None for an unconditional task.
        prepare: Maps a stored batch (already on the device) to model inputs (e.g. uint8 -> float in [-1, 1]).
        augment: Differentiable augmentation of D's inputs, or None; may expose state_dict/load_state_dict.
        save_samples: Writes generated samples (model range) to a file, e.g. an image grid.
        metadata: JSON-serialisable facts needed to rebuild the generator for sampling (kind, sizes, classes).
        evaluate: ``evaluate(generator, step) -> records`` for evaluation during training, or None; each record
            is a dict with at least ``metric`` and ``value`` plus its protocol (extractor, N, split, ...).
        lr_schedule: The modality's learning-rate schedule, used when ``game.lr_schedule`` is unset.
        lr_final: The modality's final learning-rate fraction, used when ``game.lr_final`` is unset.
    """

    generator: nn.Module
    discriminator: nn.Module
    latent_dim: int
    data: Tensor
    conditions: Tensor | None
    prepare: Callable[[Tensor], Tensor]
    save_samples: Callable[[Tensor, Path], Any]
    augment: Callable[[Tensor], Tensor] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    evaluate: Callable[[nn.Module, int], list[dict[str, Any]]] | None = None
    lr_schedule: str = "constant"
    lr_final: float = 0.0

    def sample_latent(self, count: int, device: torch.device, generator: torch.Generator | None = None) -> Tensor:
        """Standard normal latents ``z ~ N(0, I)``."""
        return torch.randn(count, self.latent_dim, device=device, generator=generator)
