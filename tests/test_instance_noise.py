"""Instance noise (gan_lib.stabilization.instance_noise): the noise law, the schedule,
the loop."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from gan_lib import training
from gan_lib.stabilization.instance_noise import InstanceNoise
from gan_lib.training import Snapshot


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: extra threads only add synchronisation (and crawl on a busy CPU)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class FirstCoordinate(nn.Module):
    """A 'critic' whose logit is its input's first coordinate: it shows the noise."""

    def forward(self, x: Tensor) -> Tensor:
        return x[:, 0]


def test_training_mode_adds_gaussian_noise_of_the_current_sigma():
    torch.manual_seed(0)
    D = InstanceNoise(FirstCoordinate(), sigma=0.5).train()
    out = D(torch.full((200_000, 2), 3.0))
    # mean 3 and std 0.5 within 5 standard errors (0.5 / sqrt(n) ~ 1e-3)
    assert out.mean().item() == pytest.approx(3.0, abs=5e-3)
    assert out.std().item() == pytest.approx(0.5, abs=5e-3)


def test_eval_mode_sees_clean_inputs():
    D = InstanceNoise(FirstCoordinate(), sigma=0.5).eval()
    x = torch.randn(10, 2)
    assert torch.equal(D(x), x[:, 0])


def test_linear_annealing_schedule():
    D = InstanceNoise(FirstCoordinate(), sigma=0.2, anneal_steps=100)
    for step, expected in ((0, 0.2), (25, 0.15), (50, 0.1), (100, 0.0), (150, 0.0)):
        D.set_step(step)
        assert D.sigma == pytest.approx(expected, abs=1e-15)
    D.train()
    x = torch.randn(5, 2)
    assert torch.equal(D(x), x[:, 0])  # sigma = 0: no noise drawn at all


def test_constant_sigma_without_annealing():
    D = InstanceNoise(FirstCoordinate(), sigma=0.3)
    D.set_step(10_000)
    assert D.sigma == 0.3


def test_hook_follows_the_loop_and_step_is_checkpointed():
    D = InstanceNoise(FirstCoordinate(), sigma=1.0, anneal_steps=10)
    D.hook(Snapshot(step=4, G=nn.Identity(), D=D, G_ema=nn.Identity()))
    assert int(D.step) == 4 and D.sigma == pytest.approx(0.6)
    fresh = InstanceNoise(FirstCoordinate(), sigma=1.0, anneal_steps=10)
    fresh.load_state_dict(D.state_dict())
    assert fresh.sigma == pytest.approx(0.6)


class PointMass(nn.Module):
    """G(z) = theta for every z: the Dirac generator, in 1-D."""

    z_dim = 1

    def __init__(self, theta: float) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.tensor([theta]))

    def forward(self, z: Tensor) -> Tensor:
        return self.theta.expand(z.shape[0], 1)  # (N, 1)


def zeros_1d(n: int) -> Tensor:
    return torch.zeros(n, 1)


def test_train_drives_the_schedule_through_the_hook():
    D = InstanceNoise(nn.Linear(1, 1), sigma=0.5, anneal_steps=20)
    config = training.TrainConfig(steps=20, batch_size=8, hook_every=1, progress=False)
    training.train(PointMass(1.0), D, zeros_1d, config, hook=D.hook)
    assert int(D.step) == 20 and D.sigma == 0.0


def test_noisy_critic_between_two_point_masses_stays_finite():
    # Without noise, delta_0 and delta_1 are separated perfectly and the optimal logit
    # diverges. With noise sigma the optimum is
    # T*(x) = (theta^2 - 2 theta x) / (2 sigma^2): slope -4 and bias 2 for theta = 1
    # and sigma = 0.5. Logistic regression gets close.
    torch.manual_seed(0)
    D = InstanceNoise(nn.Linear(1, 1), sigma=0.5)
    config = training.TrainConfig(
        steps=300, batch_size=256, lr_g=0.0, lr_d=0.05, betas_d=(0.9, 0.999),
        progress=False,
    )
    training.train(PointMass(1.0), D, zeros_1d, config)
    slope, bias = D.discriminator.weight.item(), D.discriminator.bias.item()
    assert slope == pytest.approx(-4.0, abs=0.4)
    assert bias == pytest.approx(2.0, abs=0.3)


def test_bad_arguments():
    with pytest.raises(TypeError, match="nn.Module"):
        InstanceNoise(lambda x: x, sigma=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sigma must be a positive"):
        InstanceNoise(FirstCoordinate(), sigma=0.0)
    with pytest.raises(ValueError, match="anneal_steps"):
        InstanceNoise(FirstCoordinate(), sigma=0.1, anneal_steps=0)
    with pytest.raises(ValueError, match="step must be"):
        InstanceNoise(FirstCoordinate(), sigma=0.1).set_step(-1)
