"""VGG19 features from a cached checkpoint: layer names, truncation, normalization,
freezing, and the errors when the weights are absent (a random state dict written
to a temporary cache stands in for torchvision's file)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_lib.models.vgg_features import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    VGG19_CONFIG,
    VGG19_FILE,
    vgg19_features,
    vgg19_layer_names,
    vgg19_weights_available,
    vgg19_weights_path,
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> tuple:
    """A torchvision-style VGG19 checkpoint with random weights, and the reference
    ``features`` network holding them."""
    from torchvision.models.vgg import make_layers

    torch.manual_seed(0)
    reference = make_layers(list(VGG19_CONFIG)).eval()
    state = {f"features.{k}": v for k, v in reference.state_dict().items()}
    state["classifier.0.weight"] = torch.randn(4, 4)  # the real file has these too
    folder = tmp_path_factory.mktemp("checkpoints")
    torch.save(state, folder / VGG19_FILE)
    return folder, reference


def test_config_and_file_name_are_torchvisions():
    from torchvision.models import VGG19_Weights
    from torchvision.models.vgg import cfgs

    assert list(VGG19_CONFIG) == cfgs["E"]
    assert VGG19_Weights.IMAGENET1K_V1.url.endswith("/" + VGG19_FILE)



def test_default_path_is_where_torch_hub_caches(tmp_path):
    """``load_state_dict_from_url`` stores into ``<hub dir>/checkpoints``."""
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path))
    try:
        assert vgg19_weights_path() == tmp_path / "checkpoints" / VGG19_FILE
        assert not vgg19_weights_available()
    finally:
        torch.hub.set_dir(previous)


def test_layer_names_match_the_paper_indices():
    names = vgg19_layer_names()
    assert len(names) == 37
    # torchvision's indices: relu2_2 = 8, conv5_4 = 34, relu5_4 = 35, pool5 = 36
    assert names.index("relu2_2") == 8
    assert names.index("conv5_4") == 34 and names.index("relu5_4") == 35
    assert names[-1] == "pool5" and names[0] == "conv1_1"


@pytest.mark.parametrize("layer,channels,pools",
                         [("relu2_2", 128, 1), ("conv5_4", 512, 4),
                          ("relu5_4", 512, 4)])
def test_features_equal_the_truncated_reference(cache, layer, channels, pools):
    folder, reference = cache
    net = vgg19_features(layer, cache_dir=folder)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    out = net(x)
    assert out.shape == (2, channels, 32 >> pools, 32 >> pools)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = reference[: vgg19_layer_names().index(layer) + 1](
            ((x + 1) / 2 - mean) / std)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    if layer == "conv5_4":  # before the activation: negative values survive
        assert (out < 0).any()
    else:
        assert (out >= 0).all()


def test_frozen_but_differentiable_in_its_input(cache):
    folder, _ = cache
    net = vgg19_features("relu2_2", cache_dir=folder)
    net.train()
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    assert not any(isinstance(m, nn.ReLU) and m.inplace for m in net.modules())
    x = (torch.rand(1, 3, 16, 16) * 2 - 1).requires_grad_(True)
    net(x).square().mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_missing_weights_name_the_path(tmp_path):
    assert not vgg19_weights_available(tmp_path)
    with pytest.raises(FileNotFoundError, match=str(tmp_path / VGG19_FILE)):
        vgg19_features("conv5_4", cache_dir=tmp_path)


def test_incomplete_weights_are_refused(tmp_path):
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, tmp_path / VGG19_FILE)
    assert vgg19_weights_available(tmp_path)
    with pytest.raises(RuntimeError, match="features.0.bias|0.bias"):
        vgg19_features("relu1_1", cache_dir=tmp_path)


def test_bad_layer_and_bad_input(cache):
    folder, _ = cache
    with pytest.raises(ValueError, match="conv6_1"):
        vgg19_features("conv6_1", cache_dir=folder)
    net = vgg19_features("relu1_2", cache_dir=folder)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\).*\(2, 1, 8, 8\)"):
        net(torch.zeros(2, 1, 8, 8))
