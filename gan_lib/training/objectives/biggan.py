"""The BigGAN game (Brock et al., 2019): the class-conditional hinge loss with a
projection discriminator, plus orthogonal regularization of the generator,
:math:`\\beta\\,\\lVert W W^\\top \\odot (\\mathbf 1 - I) \\rVert_F^2` summed over every
weight of G but the shared class embedding (:func:`gan_lib.regularizers.orthogonal_penalty`;
:math:`\\beta = 10^{-4}`, Sec. 3.1 of the paper). It keeps G's filters near orthogonal,
which the paper finds makes a generator amenable to the truncation trick.

BigGAN-PyTorch (``utils.ortho``, called with ``strength = 1e-4``) adds the hand-written
gradient :math:`2 (W W^\\top \\odot (\\mathbf 1 - I)) W` times the strength after the
backward pass: the gradient of :math:`\\beta / 2 \\cdot R`, half the paper's term. We add
the paper's :math:`\\beta R` to G's loss; pass ``ortho_weight=5e-5`` to reproduce the
code's step.
"""

from __future__ import annotations

from gan_lib.regularizers import orthogonal_penalty
from gan_lib.training.objectives.adversarial import Adversarial
from gan_lib.training.objectives.base import Reals, Terms, unwrap

ORTHO_WEIGHT = 1e-4  # Brock et al. (2019), Sec. 3.1: beta = 1e-4


class BigGAN(Adversarial):
    """Hinge loss (conditional data: ``(x, y)``) + orthogonal regularization of G.

    Args:
        ortho_weight: :math:`\\beta` (0: none).
        loss: the adversarial loss (``"hinge"`` in the paper).
    """

    def __init__(self, ortho_weight: float = ORTHO_WEIGHT, loss: str = "hinge") -> None:
        super().__init__(loss=loss)
        self.ortho_weight = ortho_weight

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        terms = super().generator_loss(reals, g_step)
        if self.ortho_weight:
            G = unwrap(self.context.G)
            shared = getattr(G, "shared", None)
            exclude = list(shared.parameters()) if shared is not None else []
            terms["orthogonal"] = self.ortho_weight * orthogonal_penalty(G, exclude)
        return terms
