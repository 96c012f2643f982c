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

from functools import partial
from typing import Callable, Literal, NamedTuple

import torch.nn.functional as F
from torch import Tensor

from gan_lib import divergences
from gan_lib.divergences import FDivergence
from gan_lib.errors import UnknownNameError

LossFn = Callable[[Tensor, Tensor], Tensor]


class LossPair(NamedTuple):
    """The discriminator's and the generator's loss; each ``(real_logits, fake_logits)``."""

    d_loss: LossFn
    g_loss: LossFn


def patch_logits(logits: Tensor) -> Tensor:
    """D's output as one float32 logit per judged region, flat: ``(B,)`` and ``(B, 1)``
    stay one per image; a PatchGAN map ``(B, 1, h, w)`` or ``(B, h, w)`` becomes
    ``(B h w,)``, so every loss below, a mean, averages over patches and images alike
    (pix2pix, CycleGAN and SRGAN call it)."""
    ok = logits.dim() in (1, 3) or (logits.dim() in (2, 4) and logits.shape[1] == 1)
    if not ok:
        raise ValueError(
            "D must return logits (B,), (B, 1), or a patch map (B, 1, h, w) / "
            f"(B, h, w); got {tuple(logits.shape)}"
        )
    return logits.float().reshape(-1)


def _check_logits(real_logits: Tensor, fake_logits: Tensor, paired: bool = False) -> None:
    for name, t in (("real_logits", real_logits), ("fake_logits", fake_logits)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor; got {t.dtype}")
        bad_dim = t.dim() == 0 or t.dim() > 2 or (t.dim() == 2 and t.shape[1] != 1)
        if bad_dim or t.shape[0] == 0:
            raise ValueError(
                f"{name} must have shape (N,) or (N, 1) with N >= 1 (one logit per "
                f"sample); got {tuple(t.shape)}"
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


# --- Salimans et al. (2016), Section 3.4: one-sided label smoothing ------------------


def discriminator_loss_bce_smoothed(
    real_logits: Tensor, fake_logits: Tensor, real_target: float = 0.9
) -> Tensor:
    r"""Binary cross-entropy with the *real* target lowered from 1 to ``real_target``.

    .. math::
        L_D = -\mathbb{E}_{x}\big[\alpha \log D(x) + (1 - \alpha)\log(1 - D(x))\big]
              - \mathbb{E}_{z}[\log(1 - D(G(z)))]

    with :math:`\alpha` = ``real_target``: one-sided label smoothing (Salimans et al.,
    2016, Section 3.4; Goodfellow, 2016, Section 4.2 suggests 0.9). The fake target
    stays 0, so the optimal discriminator is
    :math:`D^* = \alpha\, p_{data} / (p_{data} + p_g)`: still 0 where only fakes lie.
    ``real_target = 1`` gives :func:`discriminator_loss_bce`.
    """
    _check_logits(real_logits, fake_logits)
    if not isinstance(real_target, (int, float)) or not 0 < real_target <= 1:
        raise ValueError(f"real_target must lie in (0, 1]; got {real_target!r}")
    real_term = real_target * F.softplus(-real_logits)  # = -a log sigmoid(T)
    real_term = real_term + (1 - real_target) * F.softplus(real_logits)  # (1-a) part
    return real_term.mean() + F.softplus(fake_logits).mean()


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
    diff = real_logits.reshape(-1) - fake_logits.reshape(-1)  # (N,): never (N, N)
    return F.softplus(-diff).mean()


def generator_loss_relativistic(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""RSGAN generator loss: the discriminator's loss with real and fake swapped.

    .. math:: L_G = -\mathbb{E}_{(x, z)}[\log \sigma(T(G(z)) - T(x))]
    """
    _check_logits(real_logits, fake_logits, paired=True)
    diff = fake_logits.reshape(-1) - real_logits.reshape(-1)  # (N,): never (N, N)
    return F.softplus(-diff).mean()


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


# --- Nowozin et al. (2016): f-GAN, one pair per f-divergence --------------------------
# Here the network's raw output v = V(x) plays the logit's part and the critic is
# T = g_f(v), the divergence's output activation (gan_lib.divergences).


def discriminator_loss_f_gan(
    real_logits: Tensor, fake_logits: Tensor, *, divergence: FDivergence
) -> Tensor:
    r"""The f-GAN critic loss: minus the variational lower bound on :math:`D_f`.

    .. math:: L_D = -\big(\mathbb{E}_x[g_f(V(x))]
              - \mathbb{E}_z[f^*(g_f(V(G(z))))]\big)

    Nowozin et al. (2016), Eq. 6: the critic *maximizes* the bound, whose supremum is
    :math:`D_f(p_{data} \| p_g)` (Eq. 4). :math:`f^* \circ g_f` is computed in a
    form that stays finite for every logit (``conjugate_of_activation``).
    """
    _check_logits(real_logits, fake_logits)
    real_T = divergence.activation(real_logits)  # T(x) in dom f*
    return divergence.conjugate_of_activation(fake_logits).mean() - real_T.mean()


def generator_loss_f_gan(
    real_logits: Tensor, fake_logits: Tensor, *, divergence: FDivergence
) -> Tensor:
    r"""The f-GAN generator loss of the saddle-point game (Nowozin et al., Eq. 6).

    .. math:: L_G = -\mathbb{E}_z[f^*(g_f(V(G(z))))]

    G minimizes the same objective that the critic maximizes; only its second term
    depends on G. Because :math:`f^*` is non-decreasing, lowering :math:`L_G` raises
    the critic's score of the fakes. For the GAN divergence it is the saturating
    minimax loss plus :math:`\log 4`.
    """
    _check_logits(real_logits, fake_logits)
    return -divergence.conjugate_of_activation(fake_logits).mean()


def generator_loss_f_gan_alternative(
    real_logits: Tensor, fake_logits: Tensor, *, divergence: FDivergence
) -> Tensor:
    r"""The alternative f-GAN generator loss (Nowozin et al., Section 3.2).

    .. math:: L_G = -\mathbb{E}_z[g_f(V(G(z)))]

    Same fixed points as the saddle loss, stronger gradients early in training; for
    the GAN divergence it is exactly the non-saturating loss.
    """
    _check_logits(real_logits, fake_logits)
    return -divergence.activation(fake_logits).mean()


def f_gan(
    divergence: str, generator: Literal["saddle", "alternative"] = "saddle"
) -> LossPair:
    """The f-GAN pair for a name of :func:`gan_lib.divergences.names`.

    ``losses.get("f_gan:<name>")`` returns the ``saddle`` pair; ask for
    ``generator="alternative"`` here to get the generator loss of Section 3.2.
    """
    div = divergences.get(divergence)
    g_losses = {
        "saddle": generator_loss_f_gan,
        "alternative": generator_loss_f_gan_alternative,
    }
    if generator not in g_losses:
        raise ValueError(
            f"generator must be 'saddle' or 'alternative'; got {generator!r}"
        )
    return LossPair(
        partial(discriminator_loss_f_gan, divergence=div),
        partial(g_losses[generator], divergence=div),
    )


# --- the lookup ----------------------------------------------------------------------

_REGISTRY: dict[str, LossPair] = {
    "minimax": LossPair(discriminator_loss_bce, generator_loss_minimax),
    "non_saturating": LossPair(discriminator_loss_bce, generator_loss_non_saturating),
    "non_saturating_label_smoothing": LossPair(  # real target 0.9 (Salimans et al.)
        discriminator_loss_bce_smoothed, generator_loss_non_saturating
    ),
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

for _name in divergences.names():  # "f_gan:kl", "f_gan:reverse_kl", ...
    _REGISTRY[f"f_gan:{_name}"] = f_gan(_name)


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
