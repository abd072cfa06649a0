"""Image generators and discriminators: DCGAN and SNGAN-style ResNets, unconditional or class-conditional.

Conventions shared by every network here:

* Images are float tensors in ``[-1, 1]`` of shape ``(N, C, R, R)`` with ``R`` a power of two in ``[8, 256]``
  and any ``C >= 1`` (1 for grayscale, 3 for RGB).
* A generator maps ``latent (N, latent_dim)`` and optional ``labels (N,)`` to images, ending in ``tanh``.
* A discriminator maps images and optional labels to raw logits of shape ``(N,)`` (no sigmoid).
* ``num_classes == 0`` means unconditional (labels are ignored); ``num_classes > 0`` means the model needs
  integer labels in ``[0, num_classes)``: the generator through conditional batch norm (per-class gain and
  bias, initialised to gain 1 and bias 0, so all classes start identical), the discriminator through the
  projection of Miyato & Koyama 2018 (https://arxiv.org/abs/1802.05637):
  ``logit = linear(h) + <embedding(label), h>``.
* Channel widths follow one rule for all four networks: the feature map at resolution ``r`` has
  ``width * min(8, R // r)`` channels, so the full-resolution map has ``width`` channels and each halving of
  the resolution doubles them up to ``8 * width`` (the DCGAN / SNGAN CIFAR-10 layout for ``R = 32``:
  512, 256, 128, 64).
* Convolutions and linear layers followed by batch norm have no bias: batch norm cancels any per-channel
  constant, so such a bias would receive a zero gradient and never train.

Weight init: the DCGAN networks draw conv and linear weights from ``normal(0, 0.02)`` (Radford et al. 2015,
https://arxiv.org/abs/1511.06434); the ResNets use Xavier-uniform with gain ``sqrt(2)`` on the 3x3
convolutions of the residual branches (which feed or follow ReLUs) and gain 1 elsewhere. Biases start at zero.
Spectral normalisation (Miyato et al. 2018, https://arxiv.org/abs/1802.05957), when enabled, is applied after
the initialisation to every conv, linear and projection-embedding layer of the discriminator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrizations

from polemos.errors import PolemosError
from polemos.registry import Registry, check_callable, check_entry

__all__ = [
    "IMAGE_MODELS",
    "VALID_RESOLUTIONS",
    "ConditionalBatchNorm2d",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "ImageModelSpec",
    "MinibatchStd",
    "PackedDiscriminator",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "build_image_models",
    "channels_at",
    "validate_image_geometry",
]

VALID_RESOLUTIONS: tuple[int, ...] = tuple(2**exponent for exponent in range(3, 9))  # 8, 16, ..., 256
MAX_CHANNEL_MULTIPLIER = 8  # feature maps never get wider than 8 * width
DCGAN_INIT_STD = 0.02  # Radford et al. 2015
LEAKY_RELU_SLOPE = 0.2


# ----------------------------------------------------------------------------------------------------------
# Validation and shared helpers
# ----------------------------------------------------------------------------------------------------------


def validate_image_geometry(resolution: int, channels: int) -> None:
    """Raises :class:`PolemosError` unless ``resolution`` is a power of 2 in [8, 256] and ``channels > 0``."""
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution not in VALID_RESOLUTIONS:
        valid = ", ".join(str(value) for value in VALID_RESOLUTIONS)
        raise PolemosError(
            f"image resolution {resolution!r} is not supported; resize the images to one of {valid} pixels"
        )
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise PolemosError(
            f"image channels must be an integer >= 1, got {channels!r}; use 1 for grayscale or 3 for RGB"
        )


def _validate_sizes(width: int, num_classes: int, latent_dim: int | None = None) -> None:
    """Raises :class:`PolemosError` for a non-positive width or latent size or a negative class count."""
    if width < 1:
        raise PolemosError(f"network width must be >= 1, got {width}; use e.g. 64 (or 8-32 for quick CPU runs)")
    if num_classes < 0:
        raise PolemosError(
            f"num_classes must be >= 0, got {num_classes}; use 0 for an unconditional model or the number of classes"
        )
    if latent_dim is not None and latent_dim < 1:
        raise PolemosError(f"latent_dim must be >= 1, got {latent_dim}; use e.g. 128")


def channels_at(resolution: int, image_resolution: int, width: int) -> int:
    """Channels of the feature map at ``resolution`` in a network for ``image_resolution`` images.

    ``width * min(8, image_resolution // resolution)``: ``width`` at full resolution, doubling per halving,
    capped at ``8 * width``.
    """
    return width * min(MAX_CHANNEL_MULTIPLIER, max(1, image_resolution // resolution))


def _num_stages(resolution: int) -> int:
    """Number of 2x resampling stages between 4x4 and ``resolution`` (log2(R / 4))."""
    return int(math.log2(resolution // 4))


def _check_labels(labels: Tensor | None, batch_size: int, num_classes: int, owner: str) -> Tensor | None:
    """Returns ``labels`` for a conditional model (after shape checks), ``None`` for an unconditional one."""
    if num_classes == 0:
        return None
    if labels is None:
        raise ValueError(
            f"{owner} is conditional on {num_classes} classes and needs labels; "
            "pass an int64 tensor of shape (N,) with values in [0, num_classes)"
        )
    if labels.shape != (batch_size,) or labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError(
            f"{owner} expects int64 labels of shape ({batch_size},), "
            f"got {labels.dtype} {tuple(labels.shape)}; pass one integer class index per sample"
        )
    # note: the embedding lookup checks the range [0, num_classes); checking here would sync GPU and CPU
    return labels


def _check_latent(latent: Tensor, latent_dim: int, owner: str) -> None:
    if latent.dim() != 2 or latent.shape[1] != latent_dim:
        raise ValueError(
            f"{owner} expects a latent of shape (N, {latent_dim}), got {tuple(latent.shape)}; "
            "sample it as torch.randn(N, latent_dim)"
        )


def _check_images(images: Tensor, channels: int, resolution: int, owner: str) -> None:
    if images.dim() != 4 or tuple(images.shape[1:]) != (channels, resolution, resolution):
        raise ValueError(
            f"{owner} expects images of shape (N, {channels}, {resolution}, {resolution}), "
            f"got {tuple(images.shape)}; resize the images or build the model for this geometry"
        )


def _apply_spectral_norm(network: nn.Module) -> None:
    """Puts a spectral-norm parametrization on every conv, linear and embedding weight of ``network``."""
    for module in list(network.modules()):
        if isinstance(module, nn.Conv2d | nn.Linear | nn.Embedding):
            parametrizations.spectral_norm(module)


def _init_dcgan(network: nn.Module) -> None:
    """DCGAN init: conv and linear weights ~ normal(0, 0.02), biases 0 (embeddings left to their owners)."""
    for module in network.modules():
        if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=DCGAN_INIT_STD)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def _xavier(module: nn.Conv2d | nn.Linear | nn.Embedding, gain: float = 1.0) -> None:
    nn.init.xavier_uniform_(module.weight, gain=gain)
    bias = getattr(module, "bias", None)
    if bias is not None:
        nn.init.zeros_(bias)


class ConditionalBatchNorm2d(nn.Module):
    """Batch norm with a per-class affine gain and bias (de Vries et al. 2017; Miyato & Koyama 2018).

    ``y = gain[label] * (x - mean) / sqrt(var + eps) + bias[label]``, gains initialised to 1 and biases to 0.
    With ``num_classes == 0`` it is an ordinary affine ``BatchNorm2d`` and labels are ignored.

    Args:
        num_features: Channels of the input feature map.
        num_classes: Number of classes; 0 for an unconditional (shared) gain and bias.
    """

    def __init__(self, num_features: int, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.batch_norm = nn.BatchNorm2d(num_features, affine=num_classes == 0)
        if num_classes > 0:
            self.class_gain = nn.Embedding(num_classes, num_features)
            self.class_bias = nn.Embedding(num_classes, num_features)
            nn.init.ones_(self.class_gain.weight)
            nn.init.zeros_(self.class_bias.weight)

    def forward(self, features: Tensor, labels: Tensor | None = None) -> Tensor:
        """Normalises ``features (N, F, H, W)`` and applies the (per-class) affine map."""
        normalized = self.batch_norm(features)
        if self.num_classes == 0:
            return normalized
        if labels is None:
            raise ValueError("conditional batch norm needs labels; pass an int64 tensor of shape (N,)")
        gain = self.class_gain(labels)[:, :, None, None]
        bias = self.class_bias(labels)[:, :, None, None]
        return gain * normalized + bias


class _ProjectionHead(nn.Module):
    """``logit = linear(h) + <embedding(label), h>`` (Miyato & Koyama 2018); plain linear for 0 classes."""

    def __init__(self, feature_dim: int, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.to_logit = nn.Linear(feature_dim, 1)
        self.class_embedding = nn.Embedding(num_classes, feature_dim) if num_classes > 0 else None

    def forward(self, features: Tensor, labels: Tensor | None) -> Tensor:
        logits = self.to_logit(features).squeeze(1)
        if self.class_embedding is not None and labels is not None:
            logits = logits + (self.class_embedding(labels) * features).sum(dim=1)  # <e_y, h>
        return logits


class MinibatchStd(nn.Module):
    """Appends one feature map: how much a group of samples varies (Karras et al. 2018, §3).

    The batch is split into groups of ``group_size`` samples (the largest divisor of the batch size that is
    ``<= group_size``). For each group the standard deviation over its members is taken per feature and
    position, averaged into one number and appended to every member as a constant extra channel. A generator
    whose samples vary less than real ones (collapse, or a few over-produced modes) becomes visible to D
    per group instead of only per sample (https://arxiv.org/abs/1710.10196). Like batch norm, it mixes the
    samples of a batch, so per-sample gradient penalties (R1, WGAN-GP) are no longer exact.

    Args:
        group_size: Samples per group (>= 2).
    """

    def __init__(self, group_size: int) -> None:
        super().__init__()
        if group_size < 2:
            raise PolemosError(f"minibatch-std group size must be >= 2, got {group_size}; use e.g. 4, or 0 for off")
        self.group_size = group_size

    def forward(self, features: Tensor) -> Tensor:
        """Maps ``features (N, C, H, W)`` to ``(N, C + 1, H, W)``."""
        count, channels, height, width = features.shape
        group = min(self.group_size, count)
        while count % group:  # the largest divisor of N that is <= group_size (1 gives a zero std)
            group -= 1
        grouped = features.reshape(group, count // group, channels, height, width)  # member, group, ...
        # sqrt(var over members + eps), averaged over features and positions: one number per group
        spread = (grouped.var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))
        spread_map = spread.reshape(1, -1, 1, 1, 1).expand(group, -1, 1, height, width)
        return torch.cat([features, spread_map.reshape(count, 1, height, width)], dim=1)


# ----------------------------------------------------------------------------------------------------------
# DCGAN
# ----------------------------------------------------------------------------------------------------------


class DCGANGenerator(nn.Module):
    """DCGAN generator (Radford et al. 2015) with optional conditional batch norm.

    ``latent -> linear -> 4x4 map -> [transposed conv 4x4 stride 2 -> BN -> ReLU] x log2(R/4)
    -> conv 3x3 -> tanh``.
    The 4x4 map has ``width * min(8, R/4)`` channels, halving per stage down to ``width`` at full resolution.

    Args:
        latent_dim: Size of the latent vector.
        resolution: Output image side in pixels, a power of two in [8, 256].
        channels: Output image channels (1 grayscale, 3 RGB; any >= 1).
        width: Channels of the full-resolution feature map; the base of every other width.
        num_classes: Number of classes for a conditional generator; 0 for unconditional.
    """

    def __init__(
        self,
        latent_dim: int,  # size of the latent vector
        resolution: int,  # output side in pixels, power of two in [8, 256]
        channels: int,  # output image channels
        width: int = 64,  # channels of the full-resolution feature map
        num_classes: int = 0,  # 0 = unconditional
    ) -> None:
        super().__init__()
        validate_image_geometry(resolution, channels)
        _validate_sizes(width, num_classes, latent_dim)
        self.latent_dim = latent_dim
        self.resolution = resolution
        self.channels = channels
        self.num_classes = num_classes
        self.base_channels = channels_at(4, resolution, width)

        # batch norm follows every layer but the last, so only the last one has a bias
        self.project = nn.Linear(latent_dim, self.base_channels * 4 * 4, bias=False)
        self.project_norm = ConditionalBatchNorm2d(self.base_channels, num_classes)
        self.upsample_convs = nn.ModuleList()
        self.upsample_norms = nn.ModuleList()
        in_channels, side = self.base_channels, 4
        for _ in range(_num_stages(resolution)):
            side *= 2
            out_channels = channels_at(side, resolution, width)
            self.upsample_convs.append(
                nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=False)
            )
            self.upsample_norms.append(ConditionalBatchNorm2d(out_channels, num_classes))
            in_channels = out_channels
        self.to_image = nn.Conv2d(in_channels, channels, kernel_size=3, padding=1)
        _init_dcgan(self)

    def forward(self, latent: Tensor, labels: Tensor | None = None) -> Tensor:
        """Maps ``latent (N, latent_dim)`` (and ``labels (N,)`` if conditional) to images ``(N, C, R, R)``."""
        _check_latent(latent, self.latent_dim, type(self).__name__)
        labels = _check_labels(labels, latent.shape[0], self.num_classes, type(self).__name__)
        hidden = self.project(latent).view(latent.shape[0], self.base_channels, 4, 4)
        hidden = F.relu(self.project_norm(hidden, labels))
        for conv, norm in zip(self.upsample_convs, self.upsample_norms, strict=True):
            hidden = F.relu(norm(conv(hidden), labels))
        return torch.tanh(self.to_image(hidden))


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator with optional spectral norm and projection conditioning.

    ``conv 3x3 -> LReLU -> [conv 4x4 stride 2 -> (BN) -> LReLU] x log2(R/4) -> (minibatch std)
    -> flatten 4x4 map -> linear``.
    Channels double per stage from ``width`` up to ``8 * width``. With ``spectral_norm=True`` every conv,
    linear and embedding layer is spectrally normalised and there is no batch norm (SNGAN); with ``False``
    the strided convs are followed by batch norm as in the original DCGAN. Batch norm mixes the samples of a
    batch, so per-sample gradient penalties (WGAN-GP, R1) are only exact with ``spectral_norm=True``.

    Args:
        resolution: Input image side in pixels, a power of two in [8, 256].
        channels: Input image channels.
        width: Channels of the full-resolution feature map.
        num_classes: Number of classes for a projection discriminator; 0 for unconditional.
        spectral_norm: Spectrally normalise every layer (and use no batch norm).
        minibatch_std: Group size of a :class:`MinibatchStd` feature appended to the 4x4 map; 0 for none.
    """

    def __init__(
        self,
        resolution: int,  # input side in pixels, power of two in [8, 256]
        channels: int,  # input image channels
        width: int = 64,  # channels of the full-resolution feature map
        num_classes: int = 0,  # 0 = unconditional, > 0 = projection discriminator
        spectral_norm: bool = True,  # SN on every layer, no batch norm
        minibatch_std: int = 0,  # group size of the minibatch-std feature, 0 = none
    ) -> None:
        super().__init__()
        validate_image_geometry(resolution, channels)
        _validate_sizes(width, num_classes)
        self.resolution = resolution
        self.channels = channels
        self.num_classes = num_classes
        self.spectral_norm = spectral_norm

        in_channels = channels_at(resolution, resolution, width)
        self.from_image = nn.Conv2d(channels, in_channels, kernel_size=3, padding=1)
        self.downsample_convs = nn.ModuleList()
        self.downsample_norms = nn.ModuleList()
        side = resolution
        for _ in range(_num_stages(resolution)):
            side //= 2
            out_channels = channels_at(side, resolution, width)
            self.downsample_convs.append(
                nn.Conv2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=spectral_norm)
            )
            self.downsample_norms.append(nn.Identity() if spectral_norm else nn.BatchNorm2d(out_channels))
            in_channels = out_channels
        self.minibatch_std = MinibatchStd(minibatch_std) if minibatch_std else nn.Identity()
        in_channels += 1 if minibatch_std else 0
        self.head = _ProjectionHead(in_channels * 4 * 4, num_classes)
        _init_dcgan(self)
        if self.head.class_embedding is not None:
            nn.init.normal_(self.head.class_embedding.weight, mean=0.0, std=DCGAN_INIT_STD)
        if spectral_norm:
            _apply_spectral_norm(self)

    def forward(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """Maps images ``(N, C, R, R)`` (and ``labels (N,)`` if conditional) to logits ``(N,)``."""
        _check_images(images, self.channels, self.resolution, type(self).__name__)
        labels = _check_labels(labels, images.shape[0], self.num_classes, type(self).__name__)
        hidden = F.leaky_relu(self.from_image(images), LEAKY_RELU_SLOPE)
        for conv, norm in zip(self.downsample_convs, self.downsample_norms, strict=True):
            hidden = F.leaky_relu(norm(conv(hidden)), LEAKY_RELU_SLOPE)
        return self.head(self.minibatch_std(hidden).flatten(1), labels)


# ----------------------------------------------------------------------------------------------------------
# SNGAN-style ResNets (Miyato et al. 2018, appendix B; Miyato & Koyama 2018 for the conditional variants)
# ----------------------------------------------------------------------------------------------------------


def _upsample(features: Tensor) -> Tensor:
    return F.interpolate(features, scale_factor=2.0, mode="nearest")


class _GeneratorBlock(nn.Module):
    """Residual up-block: ``BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3`` plus an upsample + conv1x1 shortcut."""

    def __init__(self, in_channels: int, out_channels: int, num_classes: int) -> None:
        super().__init__()
        # no biases: the block output only reaches batch norms and 1x1 shortcuts, which pass a constant shift
        # on to a batch norm that cancels it, so a bias here would never receive a gradient
        self.norm1 = ConditionalBatchNorm2d(in_channels, num_classes)
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.norm2 = ConditionalBatchNorm2d(out_channels, num_classes)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False)
        self.shortcut = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)
        _xavier(self.conv1, gain=math.sqrt(2.0))
        _xavier(self.conv2, gain=math.sqrt(2.0))
        _xavier(self.shortcut)

    def forward(self, features: Tensor, labels: Tensor | None) -> Tensor:
        residual = self.conv1(_upsample(F.relu(self.norm1(features, labels))))
        residual = self.conv2(F.relu(self.norm2(residual, labels)))
        # a 1x1 conv commutes with nearest upsampling; convolving first is 4x cheaper
        return residual + _upsample(self.shortcut(features))


class _DiscriminatorBlock(nn.Module):
    """Residual down-block: ``(ReLU)-conv3x3-ReLU-conv3x3-(avgpool)`` plus a ``(avgpool) + conv1x1`` shortcut.

    The first ("optimised") block has no ReLU on its input, which is the image. The shortcut is learnable when
    the channel count changes or the block downsamples and the identity otherwise.
    """

    def __init__(self, in_channels: int, out_channels: int, downsample: bool, first: bool) -> None:
        super().__init__()
        self.downsample = downsample
        self.first = first
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1)
        learnable_shortcut = downsample or in_channels != out_channels
        self.shortcut = nn.Conv2d(in_channels, out_channels, kernel_size=1) if learnable_shortcut else None
        _xavier(self.conv1, gain=math.sqrt(2.0))
        _xavier(self.conv2, gain=math.sqrt(2.0))
        if self.shortcut is not None:
            _xavier(self.shortcut)

    def forward(self, features: Tensor) -> Tensor:
        residual = self.conv1(features if self.first else F.relu(features))
        residual = self.conv2(F.relu(residual))
        shortcut = features
        if self.downsample:
            residual = F.avg_pool2d(residual, kernel_size=2)
            # average pooling commutes with a 1x1 conv; pooling first is 4x cheaper
            shortcut = F.avg_pool2d(shortcut, kernel_size=2)
        if self.shortcut is not None:
            shortcut = self.shortcut(shortcut)
        return residual + shortcut


class ResNetGenerator(nn.Module):
    """SNGAN ResNet generator (Miyato et al. 2018) with optional conditional batch norm.

    ``latent -> linear -> 4x4 map -> residual up-block x log2(R/4) -> BN -> ReLU -> conv 3x3 -> tanh``.
    Channels: ``width * min(8, R/4)`` at 4x4, halving per block down to ``width`` at full resolution.

    Args:
        latent_dim: Size of the latent vector.
        resolution: Output image side in pixels, a power of two in [8, 256].
        channels: Output image channels.
        width: Channels of the full-resolution feature map.
        num_classes: Number of classes for a conditional generator; 0 for unconditional.
    """

    def __init__(
        self,
        latent_dim: int,  # size of the latent vector
        resolution: int,  # output side in pixels, power of two in [8, 256]
        channels: int,  # output image channels
        width: int = 64,  # channels of the full-resolution feature map
        num_classes: int = 0,  # 0 = unconditional
    ) -> None:
        super().__init__()
        validate_image_geometry(resolution, channels)
        _validate_sizes(width, num_classes, latent_dim)
        self.latent_dim = latent_dim
        self.resolution = resolution
        self.channels = channels
        self.num_classes = num_classes
        self.base_channels = channels_at(4, resolution, width)

        self.project = nn.Linear(latent_dim, self.base_channels * 4 * 4, bias=False)  # feeds batch norms only
        self.blocks = nn.ModuleList()
        in_channels, side = self.base_channels, 4
        for _ in range(_num_stages(resolution)):
            side *= 2
            out_channels = channels_at(side, resolution, width)
            self.blocks.append(_GeneratorBlock(in_channels, out_channels, num_classes))
            in_channels = out_channels
        self.output_norm = nn.BatchNorm2d(in_channels)  # unconditional, as in SNGAN
        self.to_image = nn.Conv2d(in_channels, channels, kernel_size=3, padding=1)
        _xavier(self.project)
        _xavier(self.to_image)

    def forward(self, latent: Tensor, labels: Tensor | None = None) -> Tensor:
        """Maps ``latent (N, latent_dim)`` (and ``labels (N,)`` if conditional) to images ``(N, C, R, R)``."""
        _check_latent(latent, self.latent_dim, type(self).__name__)
        labels = _check_labels(labels, latent.shape[0], self.num_classes, type(self).__name__)
        hidden = self.project(latent).view(latent.shape[0], self.base_channels, 4, 4)
        for block in self.blocks:
            hidden = block(hidden, labels)
        return torch.tanh(self.to_image(F.relu(self.output_norm(hidden))))


class ResNetDiscriminator(nn.Module):
    """SNGAN ResNet discriminator (Miyato et al. 2018) with optional projection conditioning.

    ``optimised down-block -> down-block x (log2(R/4) - 1) -> (minibatch std) -> block at 4x4 -> ReLU
    -> global sum pool -> linear``. Channels double per block from ``2 * width`` up to ``8 * width``. No batch
    norm; with ``spectral_norm=True`` every conv, linear and embedding layer is spectrally normalised.

    Args:
        resolution: Input image side in pixels, a power of two in [8, 256].
        channels: Input image channels.
        width: Channels of the full-resolution feature map (the first block outputs ``2 * width`` at R/2).
        num_classes: Number of classes for a projection discriminator; 0 for unconditional.
        spectral_norm: Spectrally normalise every layer.
        minibatch_std: Group size of a :class:`MinibatchStd` feature appended before the 4x4 block; 0 for none.
    """

    def __init__(
        self,
        resolution: int,  # input side in pixels, power of two in [8, 256]
        channels: int,  # input image channels
        width: int = 64,  # channels of the full-resolution feature map
        num_classes: int = 0,  # 0 = unconditional, > 0 = projection discriminator
        spectral_norm: bool = True,  # SN on every layer
        minibatch_std: int = 0,  # group size of the minibatch-std feature, 0 = none
    ) -> None:
        super().__init__()
        validate_image_geometry(resolution, channels)
        _validate_sizes(width, num_classes)
        self.resolution = resolution
        self.channels = channels
        self.num_classes = num_classes
        self.spectral_norm = spectral_norm

        self.blocks = nn.ModuleList()
        in_channels, side = channels, resolution
        for stage in range(_num_stages(resolution)):
            side //= 2
            out_channels = channels_at(side, resolution, width)
            self.blocks.append(_DiscriminatorBlock(in_channels, out_channels, downsample=True, first=stage == 0))
            in_channels = out_channels
        self.minibatch_std = MinibatchStd(minibatch_std) if minibatch_std else nn.Identity()
        extra = 1 if minibatch_std else 0
        self.blocks.append(_DiscriminatorBlock(in_channels + extra, in_channels, downsample=False, first=False))
        self.head = _ProjectionHead(in_channels, num_classes)
        _xavier(self.head.to_logit)
        if self.head.class_embedding is not None:
            _xavier(self.head.class_embedding)
        if spectral_norm:
            _apply_spectral_norm(self)

    def forward(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """Maps images ``(N, C, R, R)`` (and ``labels (N,)`` if conditional) to logits ``(N,)``."""
        _check_images(images, self.channels, self.resolution, type(self).__name__)
        labels = _check_labels(labels, images.shape[0], self.num_classes, type(self).__name__)
        hidden = images
        for block in self.blocks[:-1]:
            hidden = block(hidden)
        hidden = self.blocks[-1](self.minibatch_std(hidden))  # the block at 4x4 sees the group spread
        features = F.relu(hidden).sum(dim=(2, 3))  # global sum pooling
        return self.head(features, labels)


# ----------------------------------------------------------------------------------------------------------
# Registry and builder
# ----------------------------------------------------------------------------------------------------------


class PackedDiscriminator(nn.Module):
    """PacGAN packing: D judges groups of ``pack`` images stacked along the channels (Lin et al. 2018).

    A group of samples drawn from a generator that over-produces some modes looks less like a group of real
    samples than any single sample does, so packing penalises unequal mode frequencies
    (https://arxiv.org/abs/1712.04086). Each group's logit is repeated for its ``pack`` members, so losses and
    penalties see one logit per sample as without packing.

    Args:
        discriminator: An unconditional discriminator built for ``pack x`` the image channels.
        pack: Images per group; batch sizes must be divisible by it.
    """

    def __init__(self, discriminator: nn.Module, pack: int) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.pack = pack

    def forward(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """Maps ``images (N, C, R, R)`` to logits ``(N,)``, one per packed group of ``pack`` consecutive images."""
        count, channels, height, width = images.shape
        if count % self.pack:
            raise ValueError(f"batch size {count} is not divisible by the packing degree {self.pack}")
        groups = images.reshape(count // self.pack, self.pack * channels, height, width)
        return self.discriminator(groups, None).repeat_interleave(self.pack)


@dataclass(frozen=True)
class ImageModelSpec:
    """A named generator/discriminator family.

    Attributes:
        name: Registry name (``"dcgan"``, ``"resnet"``).
        generator: Generator class, called as
            ``generator(latent_dim, resolution, channels, width, num_classes)``.
        discriminator: Discriminator class, called as
            ``discriminator(resolution, channels, width, num_classes, spectral_norm, minibatch_std)``.
        description: One line for the CLI's list of choices.
    """

    name: str
    generator: type[nn.Module]
    discriminator: type[nn.Module]
    description: str


def _check_model(name: str, spec: ImageModelSpec) -> None:
    """A registered model family builds as :func:`build_image_models` builds it (keyword arguments)."""
    check_entry("image model", name, spec, ImageModelSpec, getattr(spec, "name", None))
    check_callable(
        spec.generator,
        f"image model {name!r}: generator",
        keywords=("latent_dim", "resolution", "channels", "width", "num_classes"),
    )
    check_callable(
        spec.discriminator,
        f"image model {name!r}: discriminator",
        keywords=("resolution", "channels", "width", "num_classes", "spectral_norm", "minibatch_std"),
    )


IMAGE_MODELS: Registry[ImageModelSpec] = Registry("image model", _check_model)

for _spec in (
    ImageModelSpec(
        name="dcgan",
        generator=DCGANGenerator,
        discriminator=DCGANDiscriminator,
        description="DCGAN: transposed-conv generator, strided-conv discriminator (fast on CPU)",
    ),
    ImageModelSpec(
        name="resnet",
        generator=ResNetGenerator,
        discriminator=ResNetDiscriminator,
        description="SNGAN ResNet: residual up/down blocks, global sum pooling",
    ),
):
    IMAGE_MODELS.add(_spec.name, _spec, _spec.description)
del _spec


def build_image_models(
    name: str,  # registry name: "dcgan" or "resnet"
    latent_dim: int,  # size of the latent vector
    resolution: int,  # image side in pixels, power of two in [8, 256]
    channels: int,  # image channels
    width: int = 64,  # channels of the full-resolution feature maps
    num_classes: int = 0,  # 0 = unconditional
    spectral_norm: bool = True,  # spectral norm on the discriminator
    pack: int = 1,  # PacGAN: D judges groups of this many images (unconditional models only)
    minibatch_std: int = 0,  # group size of D's minibatch-std feature, 0 = none
) -> tuple[nn.Module, nn.Module]:
    """Builds a matched ``(generator, discriminator)`` pair from the :data:`IMAGE_MODELS` registry.

    Raises:
        PolemosError: Unknown model name, unsupported resolution, channels < 1, invalid sizes, or packing
            asked of a conditional model.
    """
    spec = IMAGE_MODELS.get(name)
    validate_image_geometry(resolution, channels)
    _validate_sizes(width, num_classes, latent_dim)
    if pack > 1 and num_classes:
        raise PolemosError("model.pack needs an unconditional model; set model.pack=1 or data.conditional=false")
    generator = spec.generator(
        latent_dim=latent_dim, resolution=resolution, channels=channels, width=width, num_classes=num_classes
    )
    discriminator = spec.discriminator(
        resolution=resolution,
        channels=channels * pack,
        width=width,
        num_classes=num_classes,
        spectral_norm=spectral_norm,
        minibatch_std=minibatch_std,
    )
    return generator, PackedDiscriminator(discriminator, pack) if pack > 1 else discriminator
