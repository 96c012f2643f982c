"""The Inception-v3 network of FID: the TensorFlow graph of 2015-12-05, in PyTorch.

FID, KID and the Inception Score are only comparable across papers when computed with
the same network: the Inception-v3 graph that TensorFlow released on 2015-12-05
(``classify_image_graph_def.pb``), used by the original IS and FID (TTUR) code. Its
architecture is Szegedy et al. (2016), "Rethinking the Inception Architecture for
Computer Vision", with details that differ from torchvision's ``inception_v3``:

* 1008 output classes (1000 ImageNet classes and 8 unused ones);
* the average pools inside the Inception blocks ignore the zero padding
  (``count_include_pad=False``);
* the last block (``Mixed_7c``) pools its fourth branch with a *max* pool.

**Which reference it matches.** pytorch-fid's ``InceptionV3`` with
``use_fid_inception=True`` (the port of that graph; its weights file
``pt_inception-2015-12-05-6726825d.pth`` loads into :class:`FIDInceptionV3` as it is,
the parameter names being the same), including its input pipeline: bilinear resizing
to 299 x 299 (``align_corners=False``) of images scaled to [-1, 1]. The tests check
that, with the same (random) weights, both give the same pool3 features. TensorFlow's
own resizing differs slightly (torch-fidelity reimplements it), so FIDs from the
two pipelines differ a little; compare numbers from one pipeline only.

The features are the 2048 ``pool3`` activations (the global average pool); the
logits are ``pool3 @ W^T`` of the 1008-way layer *without its bias*, as in the
original Inception Score code.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

INPUT_SIZE = 299  # the graph's input resolution
POOL3_DIM = 2048
N_CLASSES = 1008
Pool = Literal["avg", "max"]  # the pooling branch of the last two Inception blocks


class ConvBlock(nn.Module):
    """Convolution (no bias) -> batch norm (eps 1e-3, TensorFlow's) -> ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int = 1,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride, padding, bias=False
        )
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


def _average_pool_3x3(x: Tensor) -> Tensor:
    """3x3 average pool, stride 1, over the unpadded pixels only (the 2015 graph)."""
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    """The 35 x 35 block (cf. Szegedy et al., 2016, Figure 5): 1x1, 5x5, double 3x3 and
    pooled branches; ``192|256|288 -> 224 + pool_features`` channels."""

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = ConvBlock(in_channels, 64, 1)
        self.branch5x5_1 = ConvBlock(in_channels, 48, 1)
        self.branch5x5_2 = ConvBlock(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = ConvBlock(in_channels, 64, 1)
        self.branch3x3dbl_2 = ConvBlock(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBlock(96, 96, 3, padding=1)
        self.branch_pool = ConvBlock(in_channels, pool_features, 1)

    def forward(self, x: Tensor) -> Tensor:
        branches = [
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_average_pool_3x3(x)),
        ]
        return torch.cat(branches, dim=1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17 (cf. Figure 10): strided 3x3, strided double 3x3 and max
    pool; ``288 -> 768`` channels."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3 = ConvBlock(in_channels, 384, 3, stride=2)
        self.branch3x3dbl_1 = ConvBlock(in_channels, 64, 1)
        self.branch3x3dbl_2 = ConvBlock(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = ConvBlock(96, 96, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        branches = [
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, 3, stride=2),
        ]
        return torch.cat(branches, dim=1)


class InceptionC(nn.Module):
    """The 17 x 17 block with factorized 7x7 convolutions (cf. Figure 6); ``768 -> 768``
    channels, ``channels_7x7`` inside the factorized branches."""

    def __init__(self, in_channels: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = ConvBlock(in_channels, 192, 1)
        self.branch7x7_1 = ConvBlock(in_channels, c7, 1)
        self.branch7x7_2 = ConvBlock(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = ConvBlock(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = ConvBlock(in_channels, c7, 1)
        self.branch7x7dbl_2 = ConvBlock(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = ConvBlock(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = ConvBlock(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = ConvBlock(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = ConvBlock(in_channels, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        branch7x7dbl = self.branch7x7dbl_1(x)
        for conv in (
            self.branch7x7dbl_2,
            self.branch7x7dbl_3,
            self.branch7x7dbl_4,
            self.branch7x7dbl_5,
        ):
            branch7x7dbl = conv(branch7x7dbl)
        branches = [
            self.branch1x1(x),
            branch7x7,
            branch7x7dbl,
            self.branch_pool(_average_pool_3x3(x)),
        ]
        return torch.cat(branches, dim=1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8: strided 3x3, factorized 7x7 then strided 3x3, and max
    pool; ``768 -> 1280`` channels."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = ConvBlock(in_channels, 192, 1)
        self.branch3x3_2 = ConvBlock(192, 320, 3, stride=2)
        self.branch7x7x3_1 = ConvBlock(in_channels, 192, 1)
        self.branch7x7x3_2 = ConvBlock(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = ConvBlock(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = ConvBlock(192, 192, 3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        branch7x7x3 = self.branch7x7x3_1(x)
        for conv in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            branch7x7x3 = conv(branch7x7x3)
        branches = [
            self.branch3x3_2(self.branch3x3_1(x)),
            branch7x7x3,
            F.max_pool2d(x, 3, stride=2),
        ]
        return torch.cat(branches, dim=1)


class InceptionE(nn.Module):
    """The 8 x 8 block with expanded filter banks (cf. Figure 7); ``-> 2048`` channels.

    ``pool`` is the fourth branch's 3x3 pool: ``"avg"`` (padding excluded) in
    ``Mixed_7b``, ``"max"`` in ``Mixed_7c`` (a quirk of the 2015 graph).
    """

    def __init__(self, in_channels: int, pool: Pool) -> None:
        super().__init__()
        if pool not in get_args(Pool):
            raise ValueError(f"pool must be 'avg' or 'max'; got {pool!r}")
        self.pool = pool
        self.branch1x1 = ConvBlock(in_channels, 320, 1)
        self.branch3x3_1 = ConvBlock(in_channels, 384, 1)
        self.branch3x3_2a = ConvBlock(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = ConvBlock(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = ConvBlock(in_channels, 448, 1)
        self.branch3x3dbl_2 = ConvBlock(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = ConvBlock(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = ConvBlock(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = ConvBlock(in_channels, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        branch3x3 = self.branch3x3_1(x)
        branch3x3 = torch.cat(
            [self.branch3x3_2a(branch3x3), self.branch3x3_2b(branch3x3)], dim=1
        )
        branch3x3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = torch.cat(
            [self.branch3x3dbl_3a(branch3x3dbl), self.branch3x3dbl_3b(branch3x3dbl)],
            dim=1,
        )
        if self.pool == "avg":
            pooled = _average_pool_3x3(x)
        else:
            pooled = F.max_pool2d(x, 3, stride=1, padding=1)
        branches = [
            self.branch1x1(x),
            branch3x3,
            branch3x3dbl,
            self.branch_pool(pooled),
        ]
        return torch.cat(branches, dim=1)


class FIDInceptionV3(nn.Module):
    """Inception-v3 as in the 2015-12-05 TensorFlow graph; ``forward`` gives pool3.

    ``forward``: images ``(N, 3 or 1, H, W)`` in [-1, 1] -> pool3 features
    ``(N, 2048)``. One-channel images are repeated over the three channels; every
    image is resized to 299 x 299 (bilinear, ``align_corners=False``).
    Build it with random weights here; load the FID weights with
    :func:`gan_lib.metrics.features.fid_inception`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = ConvBlock(3, 32, 3, stride=2)  # 299 -> 149
        self.Conv2d_2a_3x3 = ConvBlock(32, 32, 3)  # -> 147
        self.Conv2d_2b_3x3 = ConvBlock(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = ConvBlock(64, 80, 1)  # after a max pool: 73
        self.Conv2d_4a_3x3 = ConvBlock(80, 192, 3)  # -> 71
        self.Mixed_5b = InceptionA(192, pool_features=32)  # after a max pool: 35
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)  # -> 17
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)  # -> 8
        self.Mixed_7b = InceptionE(1280, pool="avg")
        self.Mixed_7c = InceptionE(2048, pool="max")
        self.fc = nn.Linear(POOL3_DIM, N_CLASSES)  # the 1008-way softmax layer

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(
                f"FIDInceptionV3 expects images (N, 3 or 1, H, W); got {tuple(x.shape)}"
            )
        x = x.expand(-1, 3, -1, -1)  # a grey image is the same in R, G and B
        x = F.interpolate(
            x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False
        )  # (N, 3, 299, 299)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)  # (N, 64, 73, 73)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)  # (N, 192, 35, 35)
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))  # (N, 288, 35, 35)
        x = self.Mixed_6a(x)  # (N, 768, 17, 17)
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(x))))
        x = self.Mixed_7a(x)  # (N, 1280, 8, 8)
        x = self.Mixed_7c(self.Mixed_7b(x))  # (N, 2048, 8, 8)
        return x.mean(dim=(2, 3))  # (N, 2048): pool3, the global average pool

    def logits(self, pool3: Tensor) -> Tensor:
        """The 1008 class logits of the original IS code: ``pool3 @ W^T``, no bias."""
        return pool3 @ self.fc.weight.mT  # (N, 1008)
