"""The Inception-v3 network of the FID literature, in plain ``torch.nn`` (no torchvision needed).

This is the graph of TensorFlow's ``inception-2015-12-05`` release as ported by pytorch-fid: the layout of
torchvision's ``Inception3`` (no auxiliary classifier, 1008 output classes) with the FID-specific blocks

- ``Mixed_5b..5d`` (A), ``Mixed_6b..6e`` (C) and ``Mixed_7b`` (E, first): the pooling branch averages with
  ``count_include_pad=False``, as TensorFlow's average pool ignores the zero padding;
- ``Mixed_7c`` (E, second): the pooling branch uses a 3x3 *max* pool (a quirk of that graph).

Module names are chosen so that :meth:`FIDInceptionV3.state_dict` has exactly the keys of the
``pt_inception-2015-12-05-6726825d.pth`` file distributed by pytorch-fid (and used by torch-fidelity), e.g.
``Conv2d_1a_3x3.conv.weight`` (32, 3, 3, 3), ``Mixed_7c.branch_pool.conv.weight`` (192, 2048, 1, 1) and
``fc.weight`` (1008, 2048). Nothing here downloads weights:
:class:`polemos.metrics.extractors.InceptionExtractor` loads them from a local file.

Input convention: images of shape (N, 3, 299, 299) with values in [-1, 1]. That is what the TensorFlow graph
sees after its own ``(x - 128) / 128`` scaling of [0, 255] pixels (pytorch-fid uses ``2 x - 1`` on [0, 1]
images, which is the same map up to 1/255), so images that are already in [-1, 1] go in unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

INCEPTION_RESOLUTION = 299  # input height and width of the TensorFlow graph
INCEPTION_FEATURE_DIM = 2048  # width of the final average pool ("pool_3" in TensorFlow)
INCEPTION_NUM_CLASSES = 1008  # the 2015-12-05 graph has 1008 logits (1000 ImageNet classes + 8 unused)


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm (eps 1e-3, as in TensorFlow) and ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int = 1,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


def _tf_average_pool(x: Tensor) -> Tensor:
    # 3x3 stride-1 average over the valid (non-padding) pixels only, as TensorFlow's SAME average pool does
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionA(nn.Module):
    """35x35 block: 1x1, 5x5, double 3x3 and average-pool branches."""

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        one_by_one = self.branch1x1(x)
        five_by_five = self.branch5x5_2(self.branch5x5_1(x))
        double_three = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        pooled = self.branch_pool(_tf_average_pool(x))
        return torch.cat([one_by_one, five_by_five, double_three, pooled], dim=1)


class InceptionB(nn.Module):
    """Grid reduction 35x35 -> 17x17: strided 3x3, strided double 3x3 and max-pool branches."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        three = self.branch3x3(x)
        double_three = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        pooled = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([three, double_three, pooled], dim=1)


class FIDInceptionC(nn.Module):
    """17x17 block with factorised 7x7 convolutions (1x7 then 7x1) and an average-pool branch."""

    def __init__(self, in_channels: int, channels_7x7: int) -> None:
        super().__init__()
        width = channels_7x7
        self.branch1x1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(in_channels, width, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(width, width, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(width, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, width, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(width, width, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(width, width, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(width, width, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(width, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        one_by_one = self.branch1x1(x)
        seven = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        double_seven = self.branch7x7dbl_1(x)
        double_seven = self.branch7x7dbl_3(self.branch7x7dbl_2(double_seven))
        double_seven = self.branch7x7dbl_5(self.branch7x7dbl_4(double_seven))
        pooled = self.branch_pool(_tf_average_pool(x))
        return torch.cat([one_by_one, seven, double_seven, pooled], dim=1)


class InceptionD(nn.Module):
    """Grid reduction 17x17 -> 8x8: strided 3x3, 7x7-then-strided-3x3 and max-pool branches."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        three = self.branch3x3_2(self.branch3x3_1(x))
        seven_three = self.branch7x7x3_1(x)
        seven_three = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(seven_three)))
        pooled = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([three, seven_three, pooled], dim=1)


class FIDInceptionE(nn.Module):
    """8x8 block with split 1x3 / 3x1 branches.

    Args:
        in_channels: Input channels (1280 for ``Mixed_7b``, 2048 for ``Mixed_7c``).
        max_pool_branch: ``False`` for ``Mixed_7b`` (average pool without padding), ``True`` for ``Mixed_7c``,
            whose pooling branch is a 3x3 max pool in the TensorFlow FID graph.
    """

    def __init__(self, in_channels: int, max_pool_branch: bool) -> None:
        super().__init__()
        self.max_pool_branch = max_pool_branch
        self.branch1x1 = BasicConv2d(in_channels, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        one_by_one = self.branch1x1(x)
        three = self.branch3x3_1(x)
        three = torch.cat([self.branch3x3_2a(three), self.branch3x3_2b(three)], dim=1)
        double_three = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        double_three = torch.cat([self.branch3x3dbl_3a(double_three), self.branch3x3dbl_3b(double_three)], dim=1)
        if self.max_pool_branch:
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            pooled = _tf_average_pool(x)
        pooled = self.branch_pool(pooled)
        return torch.cat([one_by_one, three, double_three, pooled], dim=1)


class FIDInceptionV3(nn.Module):
    """Inception-v3 as used for FID (TensorFlow ``inception-2015-12-05``), returning 2048-d pool features.

    The weights are not included: load the pytorch-fid state dict into it with ``load_state_dict``.
    ``forward`` expects (N, 3, 299, 299) in [-1, 1] (see the module docstring); resizing is the caller's job.
    """

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = FIDInceptionA(192, pool_features=32)
        self.Mixed_5c = FIDInceptionA(256, pool_features=64)
        self.Mixed_5d = FIDInceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
        self.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = FIDInceptionE(1280, max_pool_branch=False)
        self.Mixed_7c = FIDInceptionE(2048, max_pool_branch=True)
        self.fc = nn.Linear(INCEPTION_FEATURE_DIM, INCEPTION_NUM_CLASSES)

    def forward(self, images: Tensor) -> Tensor:
        """Pool features (N, 2048) of images (N, 3, 299, 299) in [-1, 1]."""
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(images)))  # N x 64 x 147 x 147
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # N x 64 x 73 x 73
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))  # N x 192 x 71 x 71
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # N x 192 x 35 x 35
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))  # N x 288 x 35 x 35
        x = self.Mixed_6a(x)  # N x 768 x 17 x 17
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(x))))  # N x 768 x 17 x 17
        x = self.Mixed_7a(x)  # N x 1280 x 8 x 8
        x = self.Mixed_7c(self.Mixed_7b(x))  # N x 2048 x 8 x 8
        return x.mean(dim=(2, 3))  # global average pool -> N x 2048

    def unbiased_logits(self, pool_features: Tensor) -> Tensor:
        """Class logits without the output bias, as the original Inception Score code computes them."""
        # pool @ W^T; the Salimans et al. IS code multiplies by the softmax weight matrix only
        return pool_features @ self.fc.weight.T
