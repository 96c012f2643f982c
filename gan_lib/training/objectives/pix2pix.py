r"""The pix2pix game (Isola et al., 2017): a conditional GAN plus an L1 distance.

The data are pairs ``(x, y)`` of a source image and its target (the loop's tuple
source, :class:`~gan_lib.data.stream.DataStream`). G maps the source to an image,
:math:`G(x)`; there is no latent code (Section 3.1: the only noise is G's dropout).
The discriminator sees the source and an image *together*, concatenated along the
channels, and returns a map of patch logits (:class:`~gan_lib.models.pix2pix.PatchGAN`).
Eq. 4 of the paper:

.. math::

    G^* = \arg\min_G \max_D\ \mathcal{L}_{cGAN}(G, D) + \lambda\, \mathcal{L}_{L1}(G),
    \qquad \mathcal{L}_{L1}(G) = \mathbb{E}_{x, y}\,\lVert y - G(x) \rVert_1,

with :math:`\mathcal{L}_{cGAN} = \mathbb{E}[\log D(x, y)] + \mathbb{E}[\log(1 -
D(x, G(x)))]` (Eq. 1) and :math:`\lambda = 100` (Section 4.2 and the official
``--lambda_L1 100``). G minimizes the non-saturating form (Section 3.3), D half the
cross-entropy (Section 3.3 halves D's objective to slow D down relative to G).

Every patch logit is one sample of the loss: the logit maps ``(B, 1, h, w)`` are
flattened to ``(B h w,)`` before :mod:`gan_lib.losses` averages them, so the loss is
the mean over patches and images (the official ``GANLoss`` averages the same way).
The L1 term is the mean absolute error per pixel and channel (``nn.L1Loss()``).

``gan_weight=0`` is the L1-only ablation (D still trains, so its loss shows how easily
the L1 outputs are told apart, but G ignores it), ``l1_weight=0`` the cGAN alone,
``conditional=False`` the unconditional "GAN" row of the paper's Table 1 (D sees the
image alone).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gan_lib import losses
from gan_lib.training.objectives.base import Context, Objective, Reals, Terms, unwrap

L1_WEIGHT = 100.0  # Isola et al. (2017), Sec. 4.2 / official train option lambda_L1
D_LOSS_SCALE = 0.5  # Sec. 3.3: D's objective divided by 2, slowing D relative to G


class Pix2Pix(Objective):
    r"""``min_D (1/2) d_loss(D(x, y), D(x, G(x)))``, then
    ``min_G gan_weight * g_loss(D(x, G(x))) + l1_weight * |y - G(x)|_1``.

    Args:
        l1_weight: :math:`\lambda` of the L1 term (0: the cGAN alone).
        gan_weight: weight of the adversarial term (0: L1 regression alone).
        loss: a name from :func:`gan_lib.losses.names` (the paper: the
            non-saturating cross-entropy; CycleGAN's code offers ``least_squares``).
        conditional: D sees ``(source, image)``; ``False``: the image alone.
    """

    def __init__(
        self,
        l1_weight: float = L1_WEIGHT,
        gan_weight: float = 1.0,
        loss: str = "non_saturating",
        conditional: bool = True,
    ) -> None:
        if l1_weight < 0 or gan_weight < 0 or l1_weight + gan_weight == 0:
            raise ValueError(
                "l1_weight and gan_weight must be >= 0 and not both 0; got "
                f"l1_weight={l1_weight!r}, gan_weight={gan_weight!r}"
            )
        self.l1_weight, self.gan_weight = l1_weight, gan_weight
        self.loss, self.conditional = loss, conditional
        self.d_loss_fn, self.g_loss_fn = losses.get(loss)
        self.g_uses_real = losses.generator_uses_real(loss)

    def bind(self, context: Context) -> None:
        super().bind(context)
        first = context.first
        if not isinstance(first, tuple) or len(first) != 2:
            raise ValueError(
                "pix2pix trains on pairs: the data must be a (source, target) tuple "
                f"of image tensors; got {_describe(first)}"
            )
        source, target = first
        same_size = source.shape[2:] == target.shape[2:]
        if source.dim() != 4 or target.dim() != 4 or not same_size:
            raise ValueError(
                "source and target must be images (N, C, H, W) of the same size; got "
                f"{tuple(source.shape)} and {tuple(target.shape)}"
            )
        expected = target.shape[1] + (source.shape[1] if self.conditional else 0)
        got = getattr(unwrap(context.D), "in_channels", expected)
        if got != expected:
            what = "source + target" if self.conditional else "target"
            raise ValueError(
                f"D must take {expected} input channels ({what}); got a D with "
                f"in_channels={got}"
            )
        self._batch: tuple[Tensor, Tensor] | None = None

    def discriminate(self, source: Tensor, image: Tensor, D: nn.Module) -> Tensor:
        """Patch logits of ``(source, image)``, flattened: ``(B, 1, h, w) ->
        (B h w,)``."""
        pair = torch.cat([source, image], dim=1) if self.conditional else image
        return losses.patch_logits(D(pair))  # (B * h * w,)

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        c = self.context
        source, target = reals()
        self._batch = (source, target)  # the G step reuses it, as the official code
        with torch.no_grad(), c.autocast():
            fake = c.G(source)
        with c.autocast():
            real_logits = self.discriminate(source, target, c.D)
            fake_logits = self.discriminate(source, fake, c.D)
            loss = D_LOSS_SCALE * self.d_loss_fn(real_logits, fake_logits)
        return {"adversarial": loss}

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        c = self.context
        if self._batch is None:  # no D step yet in this process: draw a batch
            self._batch = reals()
        source, target = self._batch
        self._batch = None
        D = unwrap(c.D)  # frozen: no gradient of D to synchronize
        terms: Terms = {}
        with c.autocast():
            fake = c.G(source)  # (B, C_target, H, W)
            if self.gan_weight:
                fake_logits = self.discriminate(source, fake, D)
                real_logits = fake_logits  # only relativistic losses read D(x, y)
                if self.g_uses_real:
                    real_logits = self.discriminate(source, target, D)
                terms["adversarial"] = self.gan_weight * self.g_loss_fn(
                    real_logits, fake_logits
                )
            if self.l1_weight:
                l1 = (fake.float() - target.float()).abs().mean()
                terms["l1"] = self.l1_weight * l1
        return terms


def _describe(batch: object) -> str:
    if isinstance(batch, tuple):
        return f"a tuple of {len(batch)}"
    if isinstance(batch, Tensor):
        return f"a single tensor of shape {tuple(batch.shape)}"
    return type(batch).__name__
