"""The adversarial game of Goodfellow et al. (2014), with any loss of
:mod:`gan_lib.losses`, unconditional or conditional, with an auxiliary classifier
(AC-GAN, Odena et al., 2017), a gradient penalty (Gulrajani et al., 2017) or R1
(Mescheder et al., 2018) on D, and weight clipping (Arjovsky et al., 2017).

G is fed a latent code ``z ~ N(0, I)`` of size ``G.z_dim`` (and, in a conditional run,
labels ``y`` uniform over ``G.num_classes``). D returns realness logits ``(B,)``, or a
pair ``(logits (B,), class_logits (B, K))`` for an AC-GAN, whose class cross-entropy
(weight ``aux_weight``) joins both players' losses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_lib import losses
from gan_lib.data.stream import Batch, Source
from gan_lib.regularizers import clip_weights_, gradient_penalty, r1_penalty
from gan_lib.training.objectives.base import Context, Objective, Reals, Terms, unwrap
from gan_lib.training.objectives.regularization import samples_per_logit

Labels = Tensor | None  # (B,) int64 in a conditional run


class Adversarial(Objective):
    r"""``min_D d_loss(D(x), D(G(z))) + penalties``, then ``min_G g_loss``.

    Args:
        loss: a name from :func:`gan_lib.losses.names`.
        gp_weight: :math:`\lambda` of the gradient penalty (0: none).
        r1_gamma: :math:`\gamma` of R1, weighted :math:`\gamma / 2` (0: none).
        reg_interval: the penalties' lazy interval :math:`k` (see
            :mod:`~gan_lib.training.objectives.regularization`).
        clip_value: clip D's weights to ``[-c, c]`` after each step (None: no).
        aux_weight: weight of an AC-GAN discriminator's class cross-entropy.
        drift: :math:`\epsilon_{drift}` of ProGAN's term
            :math:`\epsilon_{drift}\,\mathbb{E}[D(x)^2]` on real logits, which keeps
            a Wasserstein critic's output near 0 (Karras et al., 2018, Appendix A.1;
            ``wgan_epsilon = 0.001`` in ``progressive_growing_of_gans/loss.py``).
        penalty_through_batch_layers: allow the penalties on a D with minibatch
            standard deviation or discrimination, as ProGAN and StyleGAN do (see
            :func:`~gan_lib.training.objectives.regularization.samples_per_logit`).
    """

    def __init__(
        self,
        loss: str = "non_saturating",
        gp_weight: float = 0.0,
        r1_gamma: float = 0.0,
        reg_interval: int = 1,
        clip_value: float | None = None,
        aux_weight: float = 1.0,
        drift: float = 0.0,
        penalty_through_batch_layers: bool = False,
    ) -> None:
        self.loss = loss
        self.d_loss_fn, self.g_loss_fn = losses.get(loss)
        self.g_uses_real = losses.generator_uses_real(loss)
        self.gp_weight, self.r1_gamma = gp_weight, r1_gamma
        self.penalized = gp_weight > 0 or r1_gamma > 0
        self.reg_interval = reg_interval
        self.d_reg_interval = reg_interval if self.penalized else 1
        self.clip_value, self.aux_weight, self.drift = clip_value, aux_weight, drift
        self.penalty_through_batch_layers = penalty_through_batch_layers


    def bind(self, context: Context) -> None:
        super().bind(context)
        G = unwrap(context.G)
        if not isinstance(getattr(G, "z_dim", None), int):
            raise AttributeError(
                f"{type(self).__name__} feeds G a latent code, so G needs an int "
                "attribute z_dim (the latent size)"
            )
        self.z_dim = G.z_dim
        self.conditional = isinstance(context.first, tuple)  # (x, y): labelled data
        if self.conditional:
            self.num_classes = _check_conditional(G, context.data)
        self.group = 1
        if self.penalized:
            name = "the gradient penalty" if self.gp_weight > 0 else "R1"
            self.group = samples_per_logit(unwrap(context.D), name,
                                           self.penalty_through_batch_layers)

    # --- the players' moves --------------------------------------------------------

    def fakes(self) -> tuple[Tensor, Labels]:
        """``G(z)`` (or ``G(z, y)``) for this rank's shard of a global batch."""
        c = self.context
        z = self.global_draw(lambda n: torch.randn(n, self.z_dim, device=c.device))
        if not self.conditional:
            return c.G(z), None
        y = self.global_draw(
            lambda n: torch.randint(self.num_classes, (n,), device=c.device)
        )
        return c.G(z, y), y

    def discriminate(
        self, x: Tensor, y: Labels, D: nn.Module | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """D's realness logits, and its class logits when D is an AC-GAN one."""
        D = self.context.D if D is None else D
        out = D(x, y) if self.conditional else D(x)
        logits, class_logits = out if isinstance(out, tuple) else (out, None)
        return logits.float(), None if class_logits is None else class_logits.float()

    def classification(
        self, terms: Terms, name: str, class_logits: Tensor | None, y: Labels
    ) -> None:
        """Add ``aux_weight * CE(class_logits, y)`` as ``terms[name]`` (AC-GAN)."""
        if class_logits is not None:
            terms[name] = self.aux_weight * F.cross_entropy(class_logits, y)

    # --- the steps ------------------------------------------------------------------

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        c = self.context
        x_real, y_real = self._split(reals())
        with torch.no_grad(), c.autocast():
            x_fake, y_fake = self.fakes()
        with c.autocast():
            real_logits, real_classes = self.discriminate(x_real, y_real)
            fake_logits, fake_classes = self.discriminate(x_fake, y_fake)
            terms = {"adversarial": self.d_loss_fn(real_logits, fake_logits)}
            self.classification(terms, "aux_class_real", real_classes, y_real)
            self.classification(terms, "aux_class_fake", fake_classes, y_fake)
            if self.drift:
                terms["drift"] = self.drift * real_logits.pow(2).mean()
        self._last = (x_real, y_real, x_fake)  # the batch a lazy penalty step reuses
        if self.d_reg_interval == 1 and self.penalized:
            terms.update(self.penalties(1))
        return terms

    def discriminator_regularizer(self, d_step: int) -> Terms | None:
        if self.d_reg_interval == 1 or d_step % self.d_reg_interval:
            return None
        return self.penalties(self.d_reg_interval)

    def penalties(self, interval: int) -> Terms:
        """The weighted penalties on the last D batch, in fp32; a lazy step weighs
        them ``interval`` times."""
        x_real, y_real, x_fake = self._last

        def critic(x: Tensor) -> Tensor:
            return self.discriminate(x, y_real)[0]  # the penalties see real labels

        terms: Terms = {}
        if self.gp_weight > 0:
            penalty = gradient_penalty(critic, x_real, x_fake.float(), group=self.group)
            terms["gp"] = self.gp_weight * interval * penalty
        if self.r1_gamma > 0:
            penalty = r1_penalty(critic, x_real, group=self.group)
            terms["r1"] = self.r1_gamma / 2 * interval * penalty
        return terms

    def after_discriminator_step(self) -> None:
        if self.clip_value is not None:
            clip_weights_(unwrap(self.context.D), self.clip_value)

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        D = unwrap(self.context.D)  # frozen: no gradient of D to synchronize
        with self.context.autocast():
            x_fake, y_fake = self.fakes()
            fake_logits, fake_classes = self.discriminate(x_fake, y_fake, D)
            real_logits = fake_logits  # only relativistic losses read D(x_real)
            if self.g_uses_real:
                real_logits = self.discriminate(*self._split(reals()), D)[0]
            terms = {"adversarial": self.g_loss_fn(real_logits, fake_logits)}
            self.classification(terms, "aux_class", fake_classes, y_fake)
        return terms

    def _split(self, batch: Batch) -> tuple[Tensor, Labels]:
        return batch if self.conditional else (batch, None)


def _check_conditional(G: nn.Module, data: Source) -> int:
    """A labelled run needs a conditional G (``G.num_classes``, ``G(z, y)``) and labels
    in ``[0, num_classes)``."""
    num_classes = getattr(G, "num_classes", None)
    if not isinstance(num_classes, int) or num_classes < 1:
        raise AttributeError(
            "the data come with labels, so G must be conditional: an int attribute "
            "num_classes and forward(z, y)"
        )
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(
                f"labelled data are a pair (x, y); got a tuple of {len(data)} tensors"
            )
        x, y = data
        if y.dtype != torch.int64 or y.dim() != 1:
            raise ValueError(
                f"labels must be int64 of shape (N,) = ({x.shape[0]},); "
                f"got {y.dtype} {tuple(y.shape)}"
            )
        if y.min() < 0 or y.max() >= num_classes:
            raise ValueError(
                f"labels must lie in [0, G.num_classes) = [0, {num_classes}); got "
                f"[{y.min().item()}, {y.max().item()}]"
            )
    return num_classes
