"""Latent interpolation: slerp keeps the norm and moves at constant angle; lerp is
the straight line; bad inputs raise."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib import latent


def test_lerp_endpoints_and_midpoint():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 3.0])
    path = latent.lerp(z0, z1, torch.tensor([0.0, 0.5, 1.0]))
    assert torch.equal(path, torch.tensor([[1.0, 0.0], [0.5, 1.5], [0.0, 3.0]]))


def test_slerp_matches_the_closed_form_on_a_quarter_circle():
    z0, z1 = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 2.0])
    t = torch.linspace(0, 1, 7)
    expected = 2 * torch.stack(
        [torch.cos(t * math.pi / 2), torch.sin(t * math.pi / 2)], 1
    )
    assert torch.allclose(latent.slerp(z0, z1, t), expected, atol=1e-6)


def test_slerp_keeps_equal_norms_and_constant_angular_speed():
    g = torch.Generator().manual_seed(0)
    z0 = torch.randn(64, generator=g, dtype=torch.float64)
    z1 = torch.randn(64, generator=g, dtype=torch.float64)
    z1 = z1 * z0.norm() / z1.norm()
    t = torch.linspace(0, 1, 11, dtype=torch.float64)
    path = latent.slerp(z0, z1, t)
    assert torch.allclose(path[0], z0) and torch.allclose(path[-1], z1)
    assert torch.allclose(path.norm(dim=1), z0.norm().expand(11), rtol=1e-12)
    theta = torch.arccos(z0 @ z1 / z0.norm() ** 2)
    angles = torch.arccos((path @ z0 / z0.norm() ** 2).clamp(-1, 1))
    assert torch.allclose(angles, t * theta, atol=1e-6)
    # the straight line sags inside the sphere
    assert latent.lerp(z0, z1, t).norm(dim=1)[5] < 0.9 * z0.norm()


def test_parallel_codes_fall_back_to_the_line_and_opposite_codes_raise():
    z0 = torch.tensor([1.0, 1.0])
    t = torch.tensor([0.0, 0.5, 1.0])
    assert torch.allclose(latent.slerp(z0, 3 * z0, t), latent.lerp(z0, 3 * z0, t))
    with pytest.raises(ValueError, match="opposite directions"):
        latent.slerp(z0, -z0, t)
    with pytest.raises(ValueError, match="two nonzero vectors"):
        latent.slerp(torch.zeros(2), z0, t)


def test_interpolate_modes_and_bad_inputs():
    z0, z1 = torch.randn(5), torch.randn(5)
    assert latent.interpolate(z0, z1, 4, "linear").shape == (4, 5)
    assert torch.allclose(latent.interpolate(z0, z1, 4)[-1], z1, atol=1e-6)
    with pytest.raises(ValueError, match="mode must be 'linear' or 'slerp'"):
        latent.interpolate(z0, z1, 4, "cubic")
    with pytest.raises(ValueError, match="steps must be an int >= 2"):
        latent.interpolate(z0, z1, 1)
    with pytest.raises(ValueError, match=r"same size; got \(5,\) and \(4,\)"):
        latent.lerp(z0, torch.randn(4), torch.tensor([0.5]))
