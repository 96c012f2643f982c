"""Feature extractors: the digits classifier (accuracy, cache, determinism), the FID
Inception architecture against pytorch-fid's, user modules, and bad images."""

from __future__ import annotations

import json
import urllib.error

import numpy as np
import pytest
import torch
from torch import nn

from gan_lib.metrics import (
    ModuleFeatureExtractor,
    class_mode_coverage,
    digits_cnn,
    fid_from_features,
    fid_inception,
    inception_score,
)
from gan_lib.metrics.digits_classifier import (
    DigitsTraining,
    digits_images,
    load_digits_cnn,
    train_digits_cnn,
    train_test_indices,
)
from gan_lib.metrics.inception import FIDInceptionV3

RESOLUTION = 16  # the fastest size to train in the tests; 32 is the default


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The 299 x 299 Inception passes are much faster on one thread of a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def digits_root(tmp_path_factory):
    """A fresh GAN_LIB_DATA for the session: the classifier is trained once here."""
    return tmp_path_factory.mktemp("gan_lib_data")


@pytest.fixture(scope="session")
def extractor(digits_root):
    return digits_cnn(RESOLUTION, root=digits_root)


@pytest.mark.parametrize("resolution", [RESOLUTION, 32])
def test_held_out_accuracy_is_at_least_95_percent(resolution, extractor, digits_root):
    if resolution != RESOLUTION:  # trains the default size too (about 15 s)
        extractor = digits_cnn(resolution, root=digits_root)
    assert extractor.provenance["test_accuracy"] >= 0.95
    config = DigitsTraining(resolution=resolution)
    for mode in ("nearest", "bilinear"):
        images, labels = digits_images(resolution, mode)
        _, test = train_test_indices(labels, config)
        predicted = extractor.logits(images[test]).argmax(axis=1)
        assert (predicted == labels[test].numpy()).mean() >= 0.95


def test_features_and_logits_have_the_documented_shapes(extractor):
    images, _ = digits_images(RESOLUTION)
    features = extractor.features(images[:70])
    assert features.shape == (70, extractor.dim) == (70, 128)
    assert features.dtype == np.float64
    both = extractor.features_and_logits(images[:70])
    np.testing.assert_array_equal(both[0], features)
    assert both[1].shape == (70, 10) and both[1].dtype == np.float64
    loader = [(images[i : min(i + 32, 70)], None) for i in range(0, 70, 32)]  # (x, y)
    np.testing.assert_allclose(extractor.features(loader), features, atol=1e-5)


def test_real_digits_score_high_and_noise_scores_far(extractor):
    images, labels = digits_images(RESOLUTION)
    logits = extractor.logits(images)
    assert inception_score(logits, splits=5)[0] > 8  # 10 classes, confident
    assert class_mode_coverage(logits.argmax(1), 10).modes == 10
    half = len(images) // 2
    real, other_real = (
        extractor.features(images[:half]),
        extractor.features(images[half:]),
    )
    noise = (
        torch.rand(
            half, 1, RESOLUTION, RESOLUTION, generator=torch.Generator().manual_seed(0)
        )
        * 2
        - 1
    )
    near = fid_from_features(real, other_real)
    far = fid_from_features(real, extractor.features(noise))
    assert far > 20 * near


def test_the_cache_is_a_weights_only_state_dict_with_its_arguments(
    digits_root, extractor
):
    weights = digits_root / "digits_cnn" / f"digits_cnn_{RESOLUTION}px.pt"
    record = json.loads(weights.with_suffix(".json").read_text())
    assert record["training"]["resolution"] == RESOLUTION
    assert record["test_accuracy"] == extractor.provenance["test_accuracy"]
    state = torch.load(weights, weights_only=True)
    assert all(isinstance(value, torch.Tensor) for value in state.values())
    model, again = load_digits_cnn(RESOLUTION, root=digits_root)  # loads, no training
    assert again == record
    for name, value in model.state_dict().items():
        assert torch.equal(value, state[name])


def test_training_is_deterministic():
    config = DigitsTraining(resolution=8, epochs=1)
    first, accuracy_first = train_digits_cnn(config)
    second, accuracy_second = train_digits_cnn(config)
    assert accuracy_first == accuracy_second
    for a, b in zip(
        first.state_dict().values(), second.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)


def test_the_seed_gives_other_weights_cached_beside_the_default(
    digits_root, extractor
):
    seeded = digits_cnn(RESOLUTION, root=digits_root, seed=3)
    assert seeded.provenance["training"]["seed"] == 3
    assert extractor.provenance["training"]["seed"] == 0  # the default is unchanged
    assert seeded.provenance["test_accuracy"] >= 0.95  # another seed trains as well
    folder = digits_root / "digits_cnn"
    assert (folder / f"digits_cnn_{RESOLUTION}px_seed3.pt").is_file()
    assert (folder / f"digits_cnn_{RESOLUTION}px.pt").is_file()  # not overwritten
    default, seeded_again = (
        load_digits_cnn(RESOLUTION, root=digits_root)[0],
        load_digits_cnn(RESOLUTION, root=digits_root, seed=3)[0],
    )
    assert not torch.equal(
        default.head.weight, seeded_again.head.weight
    )  # another seed, other weights
    for a, b in zip(
        seeded_again.state_dict().values(), seeded.module.state_dict().values()
    ):  # the body's parameters, loaded from the cache
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        load_digits_cnn(RESOLUTION, root=digits_root, seed=-1)


def test_bad_images_raise_clear_errors(extractor):
    good = torch.zeros(4, 1, RESOLUTION, RESOLUTION)
    with pytest.raises(ValueError, match=r"must have shape \(N, 1, 16, 16\); got"):
        extractor.features(torch.zeros(4, 3, RESOLUTION, RESOLUTION))
    with pytest.raises(ValueError, match=r"scaled to \[-1, 1\]; got values in"):
        extractor.features(good + 255)
    with pytest.raises(ValueError, match="NaN or infinite"):
        extractor.features(good * float("nan"))
    with pytest.raises(ValueError, match=r"float tensor \(N, C, H, W\)"):
        extractor.features(torch.zeros(4, RESOLUTION, RESOLUTION))
    with pytest.raises(TypeError, match="numpy array"):
        extractor.features(good.numpy())


def test_any_module_is_an_extractor_and_keeps_its_mode():
    module = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.Dropout(0.5))
    module.train()
    extractor = ModuleFeatureExtractor(module, name="tiny", dim=5, batch_size=3)
    x = torch.rand(7, 3, 2, 2) * 2 - 1
    features = extractor.features(x)
    assert features.shape == (7, 5)
    np.testing.assert_allclose(features, extractor.features(x))  # eval: no dropout
    assert module.training  # restored
    with pytest.raises(NotImplementedError, match="'tiny' has no logits"):
        extractor.logits(x)
    with pytest.raises(ValueError, match="dimension 4; got"):
        ModuleFeatureExtractor(module, name="tiny", dim=4).features(x)


def randomized_inception(seed: int = 0) -> FIDInceptionV3:
    """Random weights and batch-norm statistics: a non-trivial network to compare."""
    torch.manual_seed(seed)
    network = FIDInceptionV3().eval()
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.1, 0.1)
    return network


def test_fid_inception_matches_pytorch_fid_with_the_same_weights(monkeypatch):
    from pytorch_fid import inception as inception_module  # a missing one fails
    ours = randomized_inception()
    state = ours.state_dict()

    def weights_from_memory(*args, **kwargs):  # instead of pytorch-fid's download
        return state

    monkeypatch.setattr(
        inception_module, "load_state_dict_from_url", weights_from_memory
    )
    reference = inception_module.InceptionV3([3], use_fid_inception=True).eval()
    x = torch.rand(2, 3, 37, 29, generator=torch.Generator().manual_seed(1)) * 2 - 1
    with torch.no_grad():
        pool3 = ours(x)
        expected = reference((x + 1) / 2)[0].flatten(1)  # pytorch-fid takes [0, 1]
    assert pool3.shape == (2, 2048)
    torch.testing.assert_close(pool3, expected, rtol=1e-4, atol=1e-6)
    assert pool3.std() > 1e-3  # not a degenerate network


def test_fid_inception_loads_a_local_file_and_refuses_others(tmp_path):
    network = randomized_inception(seed=2)
    path = tmp_path / "pt_inception-2015-12-05.pth"
    torch.save(network.state_dict(), path)
    extractor = fid_inception(weights=path, batch_size=2)
    x = torch.rand(3, 1, 20, 20, generator=torch.Generator().manual_seed(3)) * 2 - 1
    features, logits = extractor.features_and_logits(x)  # grey images: 3 channels
    assert features.shape == (3, 2048) and logits.shape == (3, 1008)
    with torch.no_grad():
        pool3 = network(x)
        expected_logits = (pool3 @ network.fc.weight.T).double().numpy()  # no bias
    np.testing.assert_allclose(features, pool3.double().numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(logits, expected_logits, rtol=1e-4, atol=1e-6)
    wrong = tmp_path / "wrong.pth"
    torch.save({"fc.weight": torch.zeros(3, 3)}, wrong)
    with pytest.raises(ValueError, match="does not hold the FID Inception weights"):
        fid_inception(weights=wrong)


def test_fid_inception_without_weights_says_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_LIB_DATA", str(tmp_path))

    def empty_hub_dir() -> str:  # no pytorch-fid cache either
        return str(tmp_path / "hub")

    monkeypatch.setattr(torch.hub, "get_dir", empty_hub_dir)
    with pytest.raises(FileNotFoundError, match="download=True"):
        fid_inception()
    with pytest.raises(FileNotFoundError, match="no FID Inception weights file"):
        fid_inception(weights=tmp_path / "missing.pth")

    def offline(url, destination, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(RuntimeError, match="could not download.*offline"):
        fid_inception(download=True)
