"""Differentiable Augmentation (DiffAugment; Zhao et al. 2020, https://arxiv.org/abs/2006.10738).

The same random, differentiable transforms are applied to every image the discriminator sees, real and
generated, in both the discriminator and the generator steps, so the generator receives gradients through them
and does not learn to reproduce the augmentations. Three transforms from the paper:

* ``color``: per sample, brightness ``x + b`` with ``b ~ U(-0.5, 0.5)``; saturation ``m_c + s (x - m_c)``
  with ``m_c`` the per-pixel mean over channels and ``s ~ U(0, 2)`` (a no-op for 1 channel); contrast
  ``m + k (x - m)`` with ``m`` the per-image mean and ``k ~ U(0.5, 1.5)``.
* ``translation``: per sample, shift by integers ``(dy, dx)`` uniform in ``[-H/8, H/8] x [-W/8, W/8]`` (sizes
  rounded to the nearest pixel), filling the uncovered border with zeros.
* ``cutout``: per sample, zero an ``H/2 x W/2`` rectangle (a square for square images) whose centre is
  uniform over the pixels; the part falling outside the image is clipped away.

Everything is vectorised over the batch and draws its randomness from torch's global generator of the images'
device, so restoring that generator's state reproduces an augmentation exactly. Images are ``(N, C, H, W)``
float tensors; outputs keep their shape, dtype and device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from polemos.registry import Registry

__all__ = [
    "AUGMENTATIONS",
    "DiffAugment",
    "random_brightness",
    "random_contrast",
    "random_cutout",
    "random_saturation",
    "random_translation",
]

TRANSLATION_FRACTION = 1 / 8  # largest shift as a fraction of the side
CUTOUT_FRACTION = 1 / 2  # side of the cut-out square as a fraction of the image side

AUGMENTATIONS: Registry[Callable[[Tensor], Tensor]] = Registry("augmentation")


def _check_images(images: Tensor) -> None:
    if images.dim() != 4 or not images.is_floating_point():
        raise ValueError(
            "DiffAugment expects float images of shape (N, C, H, W), "
            f"got {images.dtype} {tuple(images.shape)}; convert the batch to a float tensor in [-1, 1]"
        )


def _per_sample_uniform(images: Tensor, low: float, high: float) -> Tensor:
    """``U(low, high)`` of shape ``(N, 1, 1, 1)`` with the images' dtype and device."""
    unit = torch.rand(images.shape[0], 1, 1, 1, dtype=images.dtype, device=images.device)
    return low + (high - low) * unit


def random_brightness(images: Tensor) -> Tensor:
    """``x + b`` with ``b ~ U(-0.5, 0.5)`` per sample."""
    return images + _per_sample_uniform(images, -0.5, 0.5)


def random_saturation(images: Tensor) -> Tensor:
    """``m_c + s (x - m_c)``, ``m_c`` the per-pixel channel mean, ``s ~ U(0, 2)`` per sample.

    A no-op for one channel, where ``x == m_c``.
    """
    channel_mean = images.mean(dim=1, keepdim=True)
    return channel_mean + _per_sample_uniform(images, 0.0, 2.0) * (images - channel_mean)


def random_contrast(images: Tensor) -> Tensor:
    """``m + k (x - m)``, ``m`` the per-image mean over (C, H, W), ``k ~ U(0.5, 1.5)`` per sample."""
    image_mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return image_mean + _per_sample_uniform(images, 0.5, 1.5) * (images - image_mean)


@AUGMENTATIONS.register("color", "random brightness, saturation and contrast per sample")
def random_color(images: Tensor) -> Tensor:
    """Random brightness, then saturation, then contrast, each with its own per-sample factor."""
    return random_contrast(random_saturation(random_brightness(images)))


def _shifted_indices(size: int, max_shift: int, batch_size: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """Source indices ``i - shift`` of shape ``(N, size)`` (clamped) and a mask of those in ``[0, size)``."""
    shift = torch.randint(-max_shift, max_shift + 1, (batch_size, 1), device=device)
    source = torch.arange(size, device=device)[None, :] - shift  # out[i] = in[i - shift]
    inside = (source >= 0) & (source < size)
    return source.clamp(0, size - 1), inside


@AUGMENTATIONS.register("translation", "shift by up to 1/8 of the size per sample, zero padding")
def random_translation(images: Tensor) -> Tensor:
    """Shifts each sample by integers ``(dy, dx)``, uniform in ``[-round(H/8), round(H/8)]`` and likewise
    for ``W``, filling the uncovered border with zeros."""
    batch_size, channels, height, width = images.shape
    max_dy = int(height * TRANSLATION_FRACTION + 0.5)
    max_dx = int(width * TRANSLATION_FRACTION + 0.5)
    rows, rows_inside = _shifted_indices(height, max_dy, batch_size, images.device)
    cols, cols_inside = _shifted_indices(width, max_dx, batch_size, images.device)
    # gather is differentiable w.r.t. the images: out[n, c, i, j] = in[n, c, rows[n, i], cols[n, j]]
    shifted = images.gather(2, rows[:, None, :, None].expand(batch_size, channels, height, width))
    shifted = shifted.gather(3, cols[:, None, None, :].expand(batch_size, channels, height, width))
    inside = rows_inside[:, None, :, None] & cols_inside[:, None, None, :]
    return shifted * inside.to(images.dtype)


def _cut_interval(size: int, cut_size: int, batch_size: int, device: torch.device) -> Tensor:
    """Mask ``(N, size)`` of ``cut_size`` consecutive pixels centred uniformly in ``[0, size)``, clipped."""
    centre = torch.randint(0, size, (batch_size, 1), device=device)
    start = centre - cut_size // 2
    positions = torch.arange(size, device=device)[None, :]
    return (positions >= start) & (positions < start + cut_size)


@AUGMENTATIONS.register("cutout", "zero a random half-size square per sample")
def random_cutout(images: Tensor) -> Tensor:
    """Zeroes a ``round(H/2) x round(W/2)`` rectangle at a uniform random centre per sample, clipped at the
    borders."""
    batch_size, _, height, width = images.shape
    cut_rows = _cut_interval(height, int(height * CUTOUT_FRACTION + 0.5), batch_size, images.device)
    cut_cols = _cut_interval(width, int(width * CUTOUT_FRACTION + 0.5), batch_size, images.device)
    cut = cut_rows[:, None, :, None] & cut_cols[:, None, None, :]
    return images * (~cut).to(images.dtype)


def _parse_policy(policy: str | Sequence[str]) -> tuple[str, ...]:
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    names = [name.strip() for name in names if name.strip()]
    if names == ["none"]:
        return ()
    for name in names:
        AUGMENTATIONS.get(name)  # raises PolemosError listing the valid names
    return tuple(names)


class DiffAugment:
    """Differentiable augmentation applied to every discriminator input (Zhao et al. 2020).

    Args:
        policy: Comma-separated augmentation names or a sequence of names, applied in order;
            ``""`` or ``"none"`` is the identity. Valid names: ``AUGMENTATIONS.names()``.

    Raises:
        PolemosError: An unknown augmentation name.

    Example:
        >>> augment = DiffAugment("color,translation,cutout")
        >>> d_real_logits = discriminator(augment(real_images))
        >>> d_fake_logits = discriminator(augment(generator(latent)))
    """

    def __init__(self, policy: str | Sequence[str] = "color,translation,cutout") -> None:
        self.policy = _parse_policy(policy)
        self._transforms = [AUGMENTATIONS.get(name) for name in self.policy]

    def __call__(self, images: Tensor) -> Tensor:
        """Returns the augmented batch (the input itself for an empty policy)."""
        if not self._transforms:
            return images
        _check_images(images)
        for transform in self._transforms:
            images = transform(images)
        return images

    def state_dict(self) -> dict:
        """Empty: DiffAugment is stateless (its randomness is torch's RNG); kept for checkpoint symmetry."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Accepts the (empty) state written by :meth:`state_dict`."""
        del state  # nothing to restore

    def __repr__(self) -> str:
        return f"DiffAugment(policy={','.join(self.policy)!r})"
