"""gan_lib.data.images: offline sets, the torchvision readers on files written here."""

from __future__ import annotations

import math
import pickle
import socket
import struct
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_lib.data import bundled, generated, images
from gan_lib.data.downloaded import DataUnavailableError
from gan_lib.errors import UnknownNameError


def test_names():
    assert images.names() == [
        "celeba",
        "cifar10",
        "digits",
        "fashion_mnist",
        "lfw_faces",
        "mnist",
        "shape_factors",
        "shapes",
        "stacked_digits",
    ]


@pytest.mark.parametrize("resolution", [8, 16, 32])
def test_digits(resolution):
    data = images.load("digits", resolution)
    assert data.images.shape == (1797, 1, resolution, resolution)
    assert data.images.dtype == torch.float32
    assert data.images.min() == -1 and data.images.max() == 1
    assert data.labels.dtype == torch.int64
    assert torch.bincount(data.labels).tolist() == [
        178, 182, 177, 183, 181, 182, 181, 179, 174, 180
    ]  # fmt: skip
    assert data.info.num_classes == 10 and data.info.channels == 1
    assert data.info.source == "bundled"


def test_digits_n_takes_the_first_images():
    full, part = images.load("digits", 16), images.load("digits", 16, n=100)
    assert torch.equal(part.images, full.images[:100])


def test_shapes_attributes_match_the_pixels():
    data = images.load("shapes", 32, n=300, seed=3)
    x, attrs = data.images, data.attributes
    assert x.shape == (300, 3, 32, 32) and x.min() >= -1 and x.max() <= 1
    assert torch.equal(attrs["shape"], data.labels)
    assert set(data.labels.tolist()) == {0, 1, 2}
    # the filled area (in units of the image side squared) matches each shape's area
    area = ((x + 1) / 2).amax(dim=1) / attrs["colour"].amax(dim=1)[:, None, None]
    area = area.sum(dim=(1, 2)) / 32**2
    s = attrs["size"]
    expected = torch.stack([math.pi * s**2, 4 * s**2, 2 * s**2])  # circle/square/tri
    expected = expected.gather(0, data.labels[None]).squeeze(0)
    assert torch.allclose(area, expected, rtol=0.12, atol=2 / 32**2)
    # the brightest pixel carries the shape's colour (antialiasing only darkens)
    centre = x[torch.arange(300), :, (attrs["y"] * 32).long(), (attrs["x"] * 32).long()]
    assert torch.allclose((centre + 1) / 2, attrs["colour"], atol=0.02)


def test_shapes_are_seeded():
    a, b = (
        images.load("shapes", 16, n=50, seed=1),
        images.load("shapes", 16, n=50, seed=1),
    )
    c = images.load("shapes", 16, n=50, seed=2)
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)


def test_shapes_any_resolution():
    assert images.load("shapes", 20, n=4).images.shape == (4, 3, 20, 20)


def test_stacked_digits_channels_are_the_labelled_digits():
    data = images.load("stacked_digits", 16, n=5000, seed=0)
    digits = images.load("digits", 16)
    assert data.info.num_classes == 1000 and data.images.shape == (5000, 3, 16, 16)
    triples = generated.stacked_digit_triples(data.labels)
    # every channel is one of the bundled digits, of the class its label says
    flat = digits.images.flatten(1)  # (1797, 256)
    for c in range(3):
        channel = data.images[:200, c].flatten(1)
        match = torch.cdist(channel, flat).argmin(dim=1)
        assert torch.cdist(channel, flat).min(dim=1).values.max() < 1e-5
        assert torch.equal(digits.labels[match], triples[:200, c])
    # 5,000 uniform draws over 1,000 modes hit about 993 of them
    hit = len(torch.unique(data.labels))
    assert abs(hit - generated.expected_modes_in_sample(5000)) < 10


def test_stacked_digit_triples_round_trip():
    labels = torch.tensor([0, 7, 42, 999, 305])
    triples = generated.stacked_digit_triples(labels)
    assert triples.tolist() == [[0, 0, 0], [0, 0, 7], [0, 4, 2], [9, 9, 9], [3, 0, 5]]
    with pytest.raises(ValueError, match=r"\[0, 1000\)"):
        generated.stacked_digit_triples(torch.tensor([1000]))


def test_expected_modes_in_sample():
    assert generated.expected_modes_in_sample(1) == pytest.approx(1.0)
    assert generated.expected_modes_in_sample(26_000) == pytest.approx(1000, abs=0.01)


def test_bad_requests_name_what_was_expected():
    with pytest.raises(UnknownNameError, match="known: celeba, cifar10, digits"):
        images.load("mnst")
    with pytest.raises(ValueError, match=r"resolutions \[8, 16, 32, 64\]; got 24"):
        images.load("digits", 24)
    with pytest.raises(TypeError, match="resolution must be an int"):
        images.load("digits", 16.0)
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        images.load("shapes", n=0)
    with pytest.raises(UnknownNameError, match="offline fallback"):
        images.load("mnist", fallback="cifar10")


def test_check_images():
    images.check_images(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\[-1, 1\].*got values in \[0, 255\]"):
        images.check_images(torch.tensor([0.0, 255.0]).view(1, 1, 1, 2))
    with pytest.raises(TypeError, match="uint8 pixels"):
        images.check_images(torch.zeros(2, 1, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        images.check_images(torch.zeros(8, 8))
    with pytest.raises(ValueError, match="NaN or infinite"):
        images.check_images(torch.full((1, 1, 2, 2), float("nan")))
    with pytest.raises(ValueError, match=r"shape \(N, 3, 8, 8\)"):
        images.check_images(torch.zeros(2, 1, 8, 8), shape=(3, 8, 8))


def test_to_unit_range():
    x = torch.tensor([0, 255, 128], dtype=torch.uint8)
    assert torch.allclose(
        images.to_unit_range(x), torch.tensor([-1.0, 1.0, 0.00392]), atol=1e-4
    )


# --- the torchvision readers on files written here ----------------------------------


def write_idx_images(path: Path, pixels: np.ndarray) -> None:
    """IDX3: magic 0x00000803, then N, rows, cols as big-endian int32, then bytes."""
    n, rows, cols = pixels.shape
    path.write_bytes(struct.pack(">IIII", 0x803, n, rows, cols) + pixels.tobytes())


def write_idx_labels(path: Path, labels: np.ndarray) -> None:
    """IDX1: magic 0x00000801, then N, then one byte per label."""
    path.write_bytes(struct.pack(">II", 0x801, len(labels)) + labels.tobytes())


def write_mnist(root: Path, folder: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for split in ("train", "t10k"):
        write_idx_images(raw / f"{split}-images-idx3-ubyte", pixels)
        write_idx_labels(raw / f"{split}-labels-idx1-ubyte", labels)
    return pixels, labels


@pytest.mark.parametrize(
    "name,folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")]
)
def test_mnist_reader_on_generated_idx_files(tmp_path, name, folder):
    pixels, labels = write_mnist(tmp_path, folder, n=12)
    data = images.load(name, 28, root=tmp_path, download=False)
    assert data.images.shape == (12, 1, 28, 28)
    expected = torch.from_numpy(pixels).float()[:, None] / 127.5 - 1
    assert torch.allclose(data.images, expected)
    assert data.labels.tolist() == labels.tolist()
    assert data.info.source == "torchvision"
    small = images.load(name, 16, root=tmp_path, download=False, n=5)
    assert small.images.shape == (5, 1, 16, 16)
    assert small.images.min() >= -1 and small.images.max() <= 1


def test_cifar10_reader_on_generated_batches(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 256, size=(4, 3 * 32 * 32), dtype=np.uint8)
    batch = {"data": rows, "labels": [3, 1, 4, 1]}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for file in names:
        with open(folder / file, "wb") as f:
            pickle.dump(batch, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": list(images.CIFAR10_NAMES)}, f)
    # torchvision verifies each file's md5 against the real CIFAR-10's; this test
    # checks our conversion of its arrays, so the check becomes "the file exists"
    from torchvision.datasets import cifar

    monkeypatch.setattr(
        cifar, "check_integrity", lambda path, md5=None: Path(path).is_file()
    )
    data = images.load("cifar10", 32, root=tmp_path, download=False)
    assert data.images.shape == (20, 3, 32, 32)
    first = torch.from_numpy(rows[0]).view(3, 32, 32).float() / 127.5 - 1
    assert torch.allclose(data.images[0], first)  # CHW layout preserved
    assert data.labels.tolist()[:4] == [3, 1, 4, 1]


def test_missing_download_raises_or_falls_back(tmp_path, capsys):
    with pytest.raises(DataUnavailableError, match="fallback='digits'"):
        images.load("mnist", root=tmp_path, download=False)
    data = images.load("mnist", 16, root=tmp_path, download=False, fallback="digits")
    assert data.info.name == "digits" and data.images.shape[-1] == 16
    assert "falling back to the offline data set 'digits'" in capsys.readouterr().out
    data = images.load("celeba", 128, root=tmp_path, download=False, fallback="digits")
    assert data.info.resolution == 32  # digits has no 128: its default


def test_encode_stacked_digits_inverts_the_triples():
    labels = torch.arange(1000)
    assert torch.equal(
        generated.encode_stacked_digits(generated.stacked_digit_triples(labels)), labels
    )
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        generated.encode_stacked_digits(torch.zeros(4, 2, dtype=torch.int64))


# --- sets bundled in scikit-image's wheel, and shapes with continuous factors ---------


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a connection raises: what loads here is offline."""

    def refuse(*args, **kwargs):
        raise OSError("network access in an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_no_network_fixture_refuses_connections(no_network):
    with pytest.raises(OSError, match="offline test"):
        urllib.request.urlopen("http://example.com")
    with pytest.raises(OSError, match="offline test"):
        socket.create_connection(("example.com", 80))


@pytest.mark.parametrize("resolution", [16, 32])
def test_lfw_faces_load_offline(no_network, resolution):
    data = images.load("lfw_faces", resolution)
    assert data.images.shape == (100, 1, resolution, resolution)
    assert data.images.min() >= -1 and data.images.max() <= 1
    assert data.images.std() > 0.2  # faces, not a constant
    assert data.labels is None and data.info.num_classes == 0
    assert data.info.channels == 1 and data.info.source == "bundled"


def test_lfw_faces_are_the_first_hundred_of_the_subset(no_network):
    from skimage.data import lfw_subset

    native = images.load("lfw_faces", 25)  # the native size: no resizing
    expected = torch.from_numpy(lfw_subset()[:100]).float()[:, None] * 2 - 1
    assert torch.equal(native.images, expected)
    assert torch.equal(images.load("lfw_faces", 25, n=10).images, expected[:10])
    with pytest.raises(ValueError, match="lfw_faces holds 100 faces; got n=101"):
        images.load("lfw_faces", n=101)


def test_textures_load_offline(no_network):
    textures = bundled.textures()
    assert tuple(textures) == bundled.TEXTURE_NAMES == ("brick", "grass", "gravel")
    for name, texture in textures.items():
        assert texture.shape == (1, 512, 512) and texture.dtype == torch.float32
        assert texture.min() >= -1 and texture.max() <= 1
        assert texture.std() > 0.1, name  # a texture, not a flat grey


def test_shape_factors_by_name_carry_the_factors():
    data = images.load("shape_factors", 16, n=50, seed=4)
    expected, factors = generated.shapes_with_factors(50, 16, seed=4)
    assert torch.equal(data.images, expected)
    assert set(data.attributes) == set(generated.FACTOR_NAMES)
    assert all(torch.equal(data.attributes[k], factors[k]) for k in factors)
    assert torch.equal(data.labels, factors["shape"])
    assert data.info.num_classes == 3 and data.info.source == "generated"
    assert len(images.load("shape_factors", 8)) == 2000
