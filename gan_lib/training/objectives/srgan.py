r"""The SRGAN game (Ledig et al., 2017) and its ESRGAN variant (Wang et al., 2018).

The data are paired, ``(lr, hr)``: G is fed the low-resolution image and its output
:math:`\hat x = G(x_{LR})` is compared with the truth :math:`x_{HR}`. G minimizes the
*perceptual loss* of SRGAN's Eq. 3,

.. math:: \ell_G = \ell_{content}(\hat x, x_{HR}) + 10^{-3}\,\ell_{adv}(\hat x),

with the content term either the pixel MSE (``content="pixel"``, SRGAN-MSE) or the
MSE between features :math:`\phi` of a frozen network (``content="features"``;
SRGAN-VGG54 uses VGG19's fourth convolution before the fifth pooling, after its
activation; ESRGAN takes the features *before* the activation, Sec. 3.3). D is the
ordinary binary classifier of HR against SR images, or, with ``relativistic=True``,
ESRGAN's relativistic average discriminator (Sec. 3.2): each image is judged
against the mean logit of the other kind, and G's loss reads D's logits on real
images too (:func:`gan_lib.losses.generator_loss_relativistic_average`).

No pretrained VGG loads offline, so ``features`` is any frozen ``nn.Module`` mapping
images to feature maps; Chapter 15 trains a small one. A discriminator that returns a
map of patch logits ``(B, 1, h, w)`` (or ``(B, h, w)``) is scored per patch: the map
is flattened to ``(B h w,)`` so every loss averages over patches
(:func:`gan_lib.losses.patch_logits`).

:func:`fit_content` is SRGAN's first stage: the generator alone trained on the
content loss (SRResNet-MSE), the initialization of the GAN stage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib import losses
from gan_lib.data.stream import DataStream
from gan_lib.training.objectives.base import Context, Objective, Reals, Terms, unwrap

Content = Literal["pixel", "features"]
ADVERSARIAL_WEIGHT = 1e-3  # Ledig et al. (2017), Eq. 3: l_X + 10^-3 l_Gen
ADAM_BETAS = (0.9, 0.999)  # Ledig et al. (2017), Sec. 3.2: Adam, beta1 = 0.9


class SRGAN(Objective):
    r"""Content loss plus ``adversarial_weight`` times the adversarial loss, on
    ``(lr, hr)`` pairs.

    Args:
        adversarial_weight: the adversarial term's weight (SRGAN Eq. 3: 1e-3).
        content: ``"pixel"`` (MSE between images) or ``"features"`` (MSE between
            ``features(G(lr))`` and ``features(hr)``).
        features: the frozen feature network for ``content="features"``.
        relativistic: ESRGAN's relativistic average D and G losses instead of the
            standard (non-saturating) ones.
    """

    def __init__(
        self,
        adversarial_weight: float = ADVERSARIAL_WEIGHT,
        content: Content = "pixel",
        features: nn.Module | None = None,
        relativistic: bool = False,
    ) -> None:
        if content not in ("pixel", "features"):
            raise ValueError(f"content must be 'pixel' or 'features'; got {content!r}")
        if (content == "features") != (features is not None):
            raise ValueError(
                "content='features' needs a features network and content='pixel' "
                f"takes none; got content={content!r} with features={features!r}"
            )
        if adversarial_weight < 0:
            raise ValueError(
                f"adversarial_weight must be >= 0; got {adversarial_weight}"
            )
        self.adversarial_weight, self.content = adversarial_weight, content
        self.features, self.relativistic = features, relativistic
        self.loss = "relativistic_average" if relativistic else "non_saturating"
        self.d_loss_fn, self.g_loss_fn = losses.get(self.loss)
        if features is not None:
            features.requires_grad_(False).eval()  # frozen: a fixed metric

    def bind(self, context: Context) -> None:
        super().bind(context)
        first = context.first
        if not (isinstance(first, tuple) and len(first) == 2):
            raise ValueError(
                "SRGAN trains on paired data (lr, hr): a tuple of two tensors; got "
                f"{type(first).__name__}"
            )
        lr, hr = first
        if lr.dim() != 4 or hr.dim() != 4 or lr.shape[1] != hr.shape[1]:
            raise ValueError(
                "SRGAN's pairs must be images (N, C, h, w) and (N, C, H, W) with one C;"
                f" got {tuple(lr.shape)} and {tuple(hr.shape)}"
            )
        factor = getattr(unwrap(context.G), "upscale_factor", None)
        if factor is not None and tuple(hr.shape[-2:]) != (
            lr.shape[-2] * factor, lr.shape[-1] * factor
        ):
            raise ValueError(
                f"G upsamples by {factor}, so HR images must be {factor}x the LR ones;"
                f" got LR {tuple(lr.shape[-2:])} and HR {tuple(hr.shape[-2:])}"
            )
        if self.features is not None:
            self.features.to(context.device)

    def content_loss(self, sr: Tensor, hr: Tensor) -> Tensor:
        """MSE between images, or between their features (SRGAN Eqs. 4 and 5)."""
        if self.features is None:
            return F.mse_loss(sr.float(), hr.float())
        return F.mse_loss(self.features(sr).float(), self.features(hr).float())

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        c = self.context
        lr, hr = reals()
        with torch.no_grad(), c.autocast():
            sr = c.G(lr)  # (B, C, H, W)
        with c.autocast():
            real_logits = losses.patch_logits(c.D(hr))
            fake_logits = losses.patch_logits(c.D(sr))
        return {"adversarial": self.d_loss_fn(real_logits, fake_logits)}

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        c = self.context
        D = unwrap(c.D)  # frozen during G's step
        lr, hr = reals()
        with c.autocast():
            sr = c.G(lr)
            terms = {"content": self.content_loss(sr, hr)}
            if self.adversarial_weight > 0:
                fake_logits = losses.patch_logits(D(sr))
                real_logits = fake_logits  # only the relativistic loss reads D(hr)
                if self.relativistic:
                    real_logits = losses.patch_logits(D(hr))
                terms["adversarial"] = self.adversarial_weight * self.g_loss_fn(
                    real_logits, fake_logits
                )
        return terms


def fit_content(
    G: nn.Module,
    pairs: tuple[Tensor, Tensor],
    steps: int,
    batch_size: int = 16,
    lr: float = 1e-4,
    content: Callable[[Tensor, Tensor], Tensor] = F.mse_loss,
    seed: int = 0,
    cosine_decay: bool = True,
) -> list[float]:
    """SRGAN's first stage: Adam on ``content(G(lr), hr)`` alone for ``steps``
    minibatches of ``pairs = (lr, hr)`` (SRResNet-MSE; SRGAN: lr 1e-4, Sec. 3.2).
    With ``cosine_decay`` the learning rate falls from ``lr`` to 0 along a half
    cosine (SRGAN divides it by 10 after 10^5 of 2 x 10^5 steps; a short run ends
    better at a small step than at a noisy iterate).

    Reseeds torch's global generator with ``seed`` (it draws the batches); trains
    ``G`` in place and returns the loss of every step."""
    stream = DataStream(pairs, batch_size)
    torch.manual_seed(seed)
    G.train()
    opt = torch.optim.Adam(G.parameters(), lr=lr, betas=ADAM_BETAS)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(steps, 1))
    history = []
    for _ in range(steps):
        x_lr, x_hr = stream.next()
        loss = content(G(x_lr), x_hr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if cosine_decay:
            schedule.step()
        history.append(loss.item())
    return history
