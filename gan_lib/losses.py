"""Adversarial objectives as pure functions of the critic's logits.

Notation (as in the book): ``T`` is the discriminator's logit, ``D = sigmoid(T)`` its
probability that the input is real; ``real_logits = T(x_real)`` and
``fake_logits = T(G(z))``, each of shape ``(N,)`` or ``(N, 1)``. Every loss is the
quantity that its player *minimizes*, averaged over the batch.

The identities used throughout (all numerically stable, unlike ``log(sigmoid(t))``)::

    -log sigmoid(t)      = softplus(-t)
    -log(1 - sigmoid(t)) = softplus(t)

Look a pair up by name::

    d_loss, g_loss = losses.get("non_saturating")
    loss_D = d_loss(real_logits, fake_logits)
    loss_G = g_loss(real_logits, fake_logits)
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from gan_lib.errors import UnknownNameError

LossFn = Callable[[Tensor, Tensor], Tensor]


class LossPair(NamedTuple):
    """The discriminator's and the generator's loss; each ``(real_logits, fake_logits)``."""

    d_loss: LossFn
    g_loss: LossFn


def _check_logits(real_logits: Tensor, fake_logits: Tensor, paired: bool = False) -> None:
    for name, t in (("real_logits", real_logits), ("fake_logits", fake_logits)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor; got {t.dtype}")
        if t.dim() == 0 or t.dim() > 2 or (t.dim() == 2 and t.shape[1] != 1):
            raise ValueError(
                f"{name} must have shape (N,) or (N, 1) (one logit per sample); "
                f"got {tuple(t.shape)}"
            )
    if paired and real_logits.shape[0] != fake_logits.shape[0]:
        raise ValueError(
            "relativistic losses pair real and fake samples, so they need equal batch "
            f"sizes; got {real_logits.shape[0]} real and {fake_logits.shape[0]} fake"
        )


# --- Goodfellow et al. (2014): the minimax game and its non-saturating variant -------


def discriminator_loss_bce(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The discriminator's side of the original game (binary cross-entropy).

    .. math:: L_D = -\mathbb{E}_{x}[\log D(x)] - \mathbb{E}_{z}[\log(1 - D(G(z)))]

    Minimizing it maximizes the value function :math:`V(D, G)` of Goodfellow et al.
    (2014), Eq. 1.
    """
    _check_logits(real_logits, fake_logits)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss_minimax(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The *saturating* generator loss: G minimizes the value function itself.

    .. math:: L_G = \mathbb{E}_{z}[\log(1 - D(G(z)))] = -\mathbb{E}_z[\mathrm{softplus}(T)]

    Its gradient, :math:`-\sigma(T)\nabla T`, vanishes when D confidently rejects the
    fakes (:math:`T \to -\infty`): the reason for the non-saturating loss.
    """
    _check_logits(real_logits, fake_logits)
    return -F.softplus(fake_logits).mean()  # = mean log(1 - sigmoid(T))


def generator_loss_non_saturating(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The non-saturating generator loss: G maximizes :math:`\log D(G(z))`.

    .. math:: L_G = -\mathbb{E}_{z}[\log D(G(z))] = \mathbb{E}_z[\mathrm{softplus}(-T)]

    Goodfellow et al. (2014), Section 3. Same fixed points as the minimax game, but the
    gradient :math:`-(1-\sigma(T))\nabla T` is largest where D is most confident.
    """
    _check_logits(real_logits, fake_logits)
    return F.softplus(-fake_logits).mean()  # = -mean log sigmoid(T)


# --- Mao et al. (2017): least squares, targets a = 0 (fake), b = 1 (real), c = 1 -------


def discriminator_loss_least_squares(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""LSGAN discriminator loss with targets :math:`a = 0, b = 1`.

    .. math:: L_D = \tfrac12\mathbb{E}_x[(T(x) - 1)^2] + \tfrac12\mathbb{E}_z[T(G(z))^2]

    Mao et al. (2017), Eq. 2. Here ``T`` is the raw (linear) output.
    """
    _check_logits(real_logits, fake_logits)
    return 0.5 * (real_logits - 1).pow(2).mean() + 0.5 * fake_logits.pow(2).mean()


def generator_loss_least_squares(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""LSGAN generator loss with target :math:`c = 1`.

    .. math:: L_G = \tfrac12\mathbb{E}_z[(T(G(z)) - 1)^2]
    """
    _check_logits(real_logits, fake_logits)
    return 0.5 * (fake_logits - 1).pow(2).mean()


# --- Lim & Ye (2017), Miyato et al. (2018): hinge ------------------------------------


def discriminator_loss_hinge(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""Hinge discriminator loss: real logits pushed above +1, fake below -1.

    .. math:: L_D = \mathbb{E}_x[\max(0, 1 - T(x))] + \mathbb{E}_z[\max(0, 1 + T(G(z)))]
    """
    _check_logits(real_logits, fake_logits)
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def generator_loss_critic(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The generator loss shared by WGAN and hinge: raise the critic's score of fakes.

    .. math:: L_G = -\mathbb{E}_z[T(G(z))]
    """
    _check_logits(real_logits, fake_logits)
    return -fake_logits.mean()


# --- Arjovsky et al. (2017): Wasserstein ---------------------------------------------


def critic_loss_wasserstein(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""WGAN critic loss, the negative of the Kantorovich-Rubinstein estimate of W1.

    .. math:: L_D = \mathbb{E}_z[T(G(z))] - \mathbb{E}_x[T(x)]

    Only meaningful with a Lipschitz constraint on T (clipping, gradient penalty,
    spectral normalization).
    """
    _check_logits(real_logits, fake_logits)
    return fake_logits.mean() - real_logits.mean()


# --- Jolicoeur-Martineau (2018): relativistic discriminators ---------------------------


def discriminator_loss_relativistic(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""RSGAN: D estimates the probability that a real sample is more real than a fake.

    .. math:: L_D = -\mathbb{E}_{(x, z)}[\log \sigma(T(x) - T(G(z)))]

    Real and fake samples are paired by their index in the batch.
    """
    _check_logits(real_logits, fake_logits, paired=True)
    return F.softplus(-(real_logits - fake_logits)).mean()


def generator_loss_relativistic(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""RSGAN generator loss: the discriminator's loss with real and fake swapped.

    .. math:: L_G = -\mathbb{E}_{(x, z)}[\log \sigma(T(G(z)) - T(x))]
    """
    _check_logits(real_logits, fake_logits, paired=True)
    return F.softplus(-(fake_logits - real_logits)).mean()


def discriminator_loss_relativistic_average(
    real_logits: Tensor, fake_logits: Tensor
) -> Tensor:
    r"""RaGAN: each sample is compared with the *average* logit of the other kind.

    .. math::
        L_D = -\mathbb{E}_x[\log \sigma(T(x) - \bar T_{fake})]
              - \mathbb{E}_z[\log(1 - \sigma(T(G(z)) - \bar T_{real}))]
    """
    _check_logits(real_logits, fake_logits)
    real_rel = real_logits - fake_logits.mean()
    fake_rel = fake_logits - real_logits.mean()
    return F.softplus(-real_rel).mean() + F.softplus(fake_rel).mean()


def generator_loss_relativistic_average(
    real_logits: Tensor, fake_logits: Tensor
) -> Tensor:
    r"""RaGAN generator loss: the discriminator's loss with the roles of the sets swapped.

    .. math::
        L_G = -\mathbb{E}_z[\log \sigma(T(G(z)) - \bar T_{real})]
              - \mathbb{E}_x[\log(1 - \sigma(T(x) - \bar T_{fake}))]
    """
    _check_logits(real_logits, fake_logits)
    real_rel = real_logits - fake_logits.mean()
    fake_rel = fake_logits - real_logits.mean()
    return F.softplus(-fake_rel).mean() + F.softplus(real_rel).mean()


# --- the lookup ----------------------------------------------------------------------

_REGISTRY: dict[str, LossPair] = {
    "minimax": LossPair(discriminator_loss_bce, generator_loss_minimax),
    "non_saturating": LossPair(discriminator_loss_bce, generator_loss_non_saturating),
    "least_squares": LossPair(
        discriminator_loss_least_squares, generator_loss_least_squares
    ),
    "hinge": LossPair(discriminator_loss_hinge, generator_loss_critic),
    "wasserstein": LossPair(critic_loss_wasserstein, generator_loss_critic),
    "relativistic": LossPair(
        discriminator_loss_relativistic, generator_loss_relativistic
    ),
    "relativistic_average": LossPair(
        discriminator_loss_relativistic_average, generator_loss_relativistic_average
    ),
}


_GENERATOR_USES_REAL = frozenset({"relativistic", "relativistic_average"})


def generator_uses_real(name: str) -> bool:
    """Whether the generator loss ``name`` reads ``real_logits`` (the relativistic ones);
    the training loop skips the discriminator's pass over real data otherwise."""
    get(name)
    return name in _GENERATOR_USES_REAL


def names() -> list[str]:
    """The names :func:`get` accepts."""
    return sorted(_REGISTRY)


def get(name: str) -> LossPair:
    """The ``(d_loss, g_loss)`` pair called ``name``.

    Each is a callable ``(real_logits, fake_logits) -> scalar tensor`` that its player
    minimizes. Unknown names raise :class:`~gan_lib.errors.UnknownNameError` (a
    ``KeyError`` and a ``ValueError``) listing the known ones.
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        raise UnknownNameError("GAN loss", name, names())
    return _REGISTRY[name]
