"""GAN_BOOK_PROFILE: parsing, budgets, device choice, seeding."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from gan_lib import profiles
from gan_lib.errors import UnknownNameError


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def fake_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)


@pytest.mark.parametrize(
    "value,expected",
    [
        ("smoke", "smoke"),
        ("cpu", "cpu"),
        ("gpu", "gpu"),
        ("SMOKE", "smoke"),
        ("Cpu", "cpu"),
        ("  gpu\n", "gpu"),
    ],
)
def test_profile_is_read_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("GAN_BOOK_PROFILE", value)
    assert profiles.current() == expected


@pytest.mark.parametrize("value", ["", "   "])
def test_default_profile_is_cpu_without_cuda(monkeypatch, no_cuda, value):
    monkeypatch.setenv("GAN_BOOK_PROFILE", value)
    assert profiles.current() == "cpu"
    monkeypatch.delenv("GAN_BOOK_PROFILE")
    assert profiles.current() == "cpu"


def test_default_profile_is_gpu_with_cuda(monkeypatch, fake_cuda):
    monkeypatch.delenv("GAN_BOOK_PROFILE", raising=False)
    assert profiles.current() == "gpu"


@pytest.mark.parametrize("value", ["fast", "gpus", "smoke,cpu", "colab"])
def test_unknown_profile_raises_an_error_naming_the_variable_and_choices(
    monkeypatch, value
):
    monkeypatch.setenv("GAN_BOOK_PROFILE", value)
    with pytest.raises(UnknownNameError) as info:  # a KeyError and a ValueError
        profiles.current()
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    message = str(info.value)
    assert "GAN_BOOK_PROFILE" in message and repr(value) in message
    for name in ("smoke", "cpu", "gpu"):
        assert name in message
    with pytest.raises(ValueError):
        profiles.budget(smoke=1, cpu=2, gpu=3)  # every caller sees the error


@pytest.mark.parametrize(
    "profile,expected", [("smoke", 10), ("cpu", 200), ("gpu", 5000)]
)
def test_budget_picks_the_value_of_the_active_profile(monkeypatch, profile, expected):
    monkeypatch.setenv("GAN_BOOK_PROFILE", profile)
    assert profiles.budget(smoke=10, cpu=200, gpu=5000) == expected
    assert (
        profiles.budget(smoke="a", cpu="b", gpu="c")
        == "abc"[["smoke", "cpu", "gpu"].index(profile)]
    )


def test_budget_takes_keyword_arguments_only():
    with pytest.raises(TypeError):
        profiles.budget(10, 200, 5000)  # type: ignore[misc]


@pytest.mark.parametrize("profile", ["smoke", "cpu"])
def test_device_is_cpu_for_smoke_and_cpu_even_with_cuda(
    monkeypatch, fake_cuda, profile
):
    monkeypatch.setenv("GAN_BOOK_PROFILE", profile)
    assert profiles.device() == torch.device("cpu")


def test_device_is_cuda_for_gpu_profile_when_cuda_is_there(monkeypatch, fake_cuda):
    monkeypatch.setenv("GAN_BOOK_PROFILE", "gpu")
    assert profiles.device() == torch.device("cuda")


def test_device_falls_back_to_cpu_for_gpu_profile_without_cuda(monkeypatch, no_cuda):
    monkeypatch.setenv("GAN_BOOK_PROFILE", "gpu")
    assert profiles.device() == torch.device("cpu")


def test_describe_names_profile_and_device(monkeypatch):
    monkeypatch.setenv("GAN_BOOK_PROFILE", "smoke")
    text = profiles.describe()
    assert "profile=smoke" in text and "device=cpu" in text
    assert torch.__version__ in text


def draws(generator: torch.Generator) -> tuple:
    return (
        random.random(),
        float(np.random.rand()),
        torch.rand(3).tolist(),
        torch.rand(2, generator=generator).tolist(),
    )


def test_seed_everything_makes_every_generator_reproducible():
    first = draws(profiles.seed_everything(123))
    second = draws(profiles.seed_everything(123))
    other = draws(profiles.seed_everything(124))
    assert first == second
    assert all(a != b for a, b in zip(first, other, strict=True))


def test_seed_everything_returns_a_generator_seeded_with_the_seed():
    g = profiles.seed_everything(7)
    assert torch.equal(
        torch.rand(4, generator=g),
        torch.rand(4, generator=torch.Generator().manual_seed(7)),
    )
    assert torch.equal(
        torch.rand(4), torch.rand(4, generator=torch.Generator().manual_seed(7))
    )


@pytest.mark.parametrize("seed", [-1, 1.5, "3", None])
def test_seed_everything_refuses_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        profiles.seed_everything(seed)  # type: ignore[arg-type]
