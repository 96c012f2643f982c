"""Chapter 15's choice of the feature network: VGG19 (conv5_4) in the gpu profile when
its weights are cached, the CNN trained in the lab otherwise."""

from __future__ import annotations

import pytest
import torch

from gan_lib.benchmarks.lab_checks import ch15
from gan_lib.data.super_resolution import SRPairs
from gan_lib.models.vgg_features import VGG19_CONFIG, VGG19_FILE


def tiny_pairs() -> SRPairs:
    g = torch.Generator().manual_seed(0)
    hr = torch.rand(18, 1, 32, 32, generator=g) * 2 - 1
    return SRPairs(lr=hr[..., ::4, ::4], hr=hr, source=torch.arange(18) % 9)


def test_offline_profiles_use_the_cnn_trained_here(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_BOOK_PROFILE", "cpu")
    monkeypatch.setattr(ch15, "feature_budget", lambda: {"classifier": 2})
    phi, name = ch15.content_features(tiny_pairs(), cache_dir=str(tmp_path))
    assert name.startswith("a CNN trained here")
    assert not any(p.requires_grad for p in phi.parameters())


def test_gpu_profile_uses_cached_vgg19_conv5_4(monkeypatch, tmp_path):
    from torchvision.models.vgg import make_layers

    torch.manual_seed(0)
    reference = make_layers(list(VGG19_CONFIG)).eval()
    torch.save({f"features.{k}": v for k, v in reference.state_dict().items()},
               tmp_path / VGG19_FILE)
    monkeypatch.setenv("GAN_BOOK_PROFILE", "gpu")
    phi, name = ch15.content_features(tiny_pairs(), cache_dir=str(tmp_path))
    assert name.startswith("VGG19 conv5_4")
    x = torch.rand(2, 1, 32, 32) * 2 - 1
    assert phi(x).shape == (2, 512, 2, 2)  # four pools: 32 -> 2
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\) grey patches"):
        phi(torch.rand(2, 3, 32, 32))


def test_gpu_profile_without_cached_weights_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("GAN_BOOK_PROFILE", "gpu")
    monkeypatch.setattr(ch15, "feature_budget", lambda: {"classifier": 2})
    _, name = ch15.content_features(tiny_pairs(), cache_dir=str(tmp_path))
    assert name.startswith("a CNN trained here")
