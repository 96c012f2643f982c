r"""VGG19 feature maps for perceptual losses, from a cached torchvision checkpoint only.

SRGAN's content loss (Ledig et al., 2017, Sec. 2.2.1) compares feature maps of the
ImageNet-trained VGG19 (Simonyan & Zisserman, 2015): ``relu2_2`` ("VGG22") and
``relu5_4`` ("VGG54", the fourth convolution of the fifth block after its ReLU).
ESRGAN (Wang et al., 2018, Sec. 3.3) takes the same layer *before* the activation,
``conv5_4``, because the activated maps are sparse and lose brightness information.

The book works offline, so nothing is downloaded here: :func:`vgg19_features` builds
torchvision's convolutional part of VGG19 (``vgg19(weights=None).features``, without
the 120M-weight classifier it would discard) and loads the
ImageNet weights from the file torchvision itself would have cached
(``<torch hub dir>/checkpoints/vgg19-dcbb9e9d.pth``), with ``weights_only=True``.
When the file is absent it raises :class:`FileNotFoundError` naming the path;
:func:`vgg19_weights_available` lets a lab choose the VGG loss only when it can.

Layers are named ``conv<b>_<k>`` / ``relu<b>_<k>`` (block ``b`` = 1..5, convolution
``k`` within it) and ``pool<b>``, in the order of torchvision's ``vgg19().features``.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor, nn

# torchvision's VGG19 configuration "E": channels per convolution, "M" a max pool
# (torchvision/models/vgg.py, ``cfgs["E"]``; Simonyan & Zisserman, 2015, Table 1, E)
VGG19_CONFIG: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
    512, 512, 512, 512, "M", 512, 512, 512, 512, "M",
)
# torchvision's ImageNet normalization of inputs in [0, 1] (the documented transforms
# of ``VGG19_Weights.IMAGENET1K_V1``)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# the file name of ``VGG19_Weights.IMAGENET1K_V1.url`` (torch.hub keeps the basename)
VGG19_FILE = "vgg19-dcbb9e9d.pth"


def vgg19_layer_names() -> list[str]:
    """The names of ``vgg19().features``' 37 modules, in order: ``conv1_1``,
    ``relu1_1``, ``conv1_2``, ``relu1_2``, ``pool1``, ``conv2_1``, ... ``pool5``."""
    names, block, k = [], 1, 1
    for item in VGG19_CONFIG:
        if item == "M":
            names.append(f"pool{block}")
            block, k = block + 1, 1
        else:
            names += [f"conv{block}_{k}", f"relu{block}_{k}"]
            k += 1
    return names


def vgg19_weights_path(cache_dir: str | os.PathLike | None = None) -> Path:
    """Where torchvision caches VGG19's ImageNet weights: ``<cache_dir>/`` +
    :data:`VGG19_FILE`, ``cache_dir`` defaulting to ``torch.hub.get_dir()/checkpoints``
    (``$TORCH_HOME/hub/checkpoints``)."""
    folder = Path(torch.hub.get_dir()) / "checkpoints" if cache_dir is None else Path(
        cache_dir)
    return folder / VGG19_FILE


def vgg19_weights_available(cache_dir: str | os.PathLike | None = None) -> bool:
    """Whether :func:`vgg19_features` can load the weights without a download."""
    return vgg19_weights_path(cache_dir).is_file()


class VGGFeatures(nn.Module):
    r"""VGG19 truncated after ``layer``, frozen, with ImageNet input normalization.

    ``forward``: images ``(N, 3, H, W)`` in [-1, 1] (gan_lib's convention) ->
    feature maps ``(N, C, H / 2^p, W / 2^p)`` (``p`` the pools before ``layer``),
    computed as ``features(((x + 1) / 2 - mean) / std)``. Its parameters never
    require gradients and it stays in eval mode; gradients still flow to ``x``.
    """

    def __init__(self, features: nn.Sequential, layer: str) -> None:
        super().__init__()
        self.layer = layer
        self.features = features
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> VGGFeatures:
        return super().train(False)  # frozen: always in eval mode

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f"VGG features take RGB images (N, 3, H, W) in [-1, 1]; got shape "
                f"{tuple(x.shape)}"
            )
        return self.features(((x + 1) / 2 - self.mean) / self.std)


def vgg19_features(
    layer: str = "conv5_4", cache_dir: str | os.PathLike | None = None
) -> VGGFeatures:
    """VGG19 with torchvision's cached ImageNet weights, cut after ``layer``.

    Args:
        layer: a name of :func:`vgg19_layer_names`; ``"conv5_4"`` is ESRGAN's
            choice, ``"relu5_4"`` and ``"relu2_2"`` SRGAN's VGG54 and VGG22.
        cache_dir: the folder holding :data:`VGG19_FILE` (default: torch hub's
            ``checkpoints``, where ``vgg19(weights="IMAGENET1K_V1")`` would put it).

    Raises:
        ValueError: an unknown layer name.
        FileNotFoundError: the weights file is absent (nothing is downloaded).
    """
    from torchvision.models.vgg import make_layers

    names = vgg19_layer_names()
    if layer not in names:
        raise ValueError(f"layer must be one of {names}; got {layer!r}")
    path = vgg19_weights_path(cache_dir)
    if not path.is_file():
        raise FileNotFoundError(
            f"VGG19's ImageNet weights are not cached at {path}; this book never "
            "downloads them (torchvision.models.vgg19(weights='IMAGENET1K_V1') on a "
            "machine with network access writes that file)"
        )
    keep = names.index(layer) + 1
    full = make_layers(list(VGG19_CONFIG))  # = torchvision's vgg19().features
    state = torch.load(path, map_location="cpu", weights_only=True)
    kept = {
        key.removeprefix("features."): value for key, value in state.items()
        if key.startswith("features.") and int(key.split(".")[1]) < keep
    }
    features = nn.Sequential(*list(full)[:keep])
    features.load_state_dict(kept, strict=True)  # every kept layer's weights, exactly
    for i, module in enumerate(features):
        if isinstance(module, nn.ReLU):
            features[i] = nn.ReLU()  # not in place: the features feed a loss
    return VGGFeatures(features, layer)
