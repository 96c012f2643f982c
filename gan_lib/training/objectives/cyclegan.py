r"""The CycleGAN game (Zhu et al., 2017): two generators, two discriminators, no pairs.

Two domains :math:`A` and :math:`B`; generators :math:`G: A \to B` (``G["A_to_B"]``)
and :math:`F: B \to A` (``G["B_to_A"]``); discriminators :math:`D_A` (``D["A"]``,
real :math:`a` against :math:`F(b)`) and :math:`D_B` (``D["B"]``, real :math:`b`
against :math:`G(a)`). Each step reads one unpaired batch ``(a, b)``
(:class:`gan_lib.data.unpaired.UnpairedSource`). The generators descend, Eq. (3) of
the paper plus the identity term of Sec. 5.2,

.. math::
    \mathcal L_{GAN}(G, D_B) + \mathcal L_{GAN}(F, D_A)
    + \lambda\,\bigl(\lVert F(G(a)) - a\rVert_1 + \lVert G(F(b)) - b\rVert_1\bigr)
    + \lambda\,\lambda_{id}\,\bigl(\lVert F(a) - a\rVert_1 + \lVert G(b) - b\rVert_1
    \bigr),

with the least-squares adversarial loss of Sec. 4 (Mao et al., 2017):
:math:`\mathbb E[(D_B(G(a)) - 1)^2]` for G, and for D
:math:`\tfrac12\,\mathbb E[(D_B(b) - 1)^2] + \tfrac12\,\mathbb E[D_B(\tilde b)^2]`,
where :math:`\tilde b` comes from a history of 50 earlier fakes
(:class:`~gan_lib.stabilization.history_buffer.ImageHistoryBuffer`). :math:`\lambda
= 10` (Sec. 4, training details; ``--lambda_A/B 10`` in the official
``models/cycle_gan_model.py``); the identity weight :math:`\lambda_{id} = 0.5` is a
multiple of :math:`\lambda` as in the official ``--lambda_identity 0.5``, i.e. a
weight of 5 on each identity L1.

A PatchGAN discriminator returns a map of logits ``(B, 1, h, w)``; the losses see it
flattened to ``(B h w,)``, so they average over patches and samples alike
(:func:`gan_lib.losses.patch_logits`). The term names are those of the history: ``adversarial_A``,
``adversarial_B``, ``cycle_A``, ``cycle_B``, ``identity_A``, ``identity_B`` (the
suffix names the domain of the image a term judges or reconstructs).

Step order: the loop takes D's step first. It draws ``(a, b)``, makes the fakes with
the current generators (no gradient), passes them through the buffers and updates
both discriminators; the generator step then reuses the same batch (the official
code also spends one batch on both players, with G's step first). The buffers are in
:meth:`CycleGAN.state_dict`, so a resumed run continues exactly.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gan_lib import losses
from gan_lib.stabilization.history_buffer import CYCLEGAN_POOL, ImageHistoryBuffer
from gan_lib.training.objectives.base import Context, Objective, Reals, Terms, unwrap

CYCLE_WEIGHT = 10.0  # Zhu et al. (2017), Sec. 4: lambda = 10 (official --lambda_A 10)
IDENTITY_WEIGHT = 0.5  # official --lambda_identity 0.5: 0.5 * lambda on the identity L1
GENERATORS = ("A_to_B", "B_to_A")
DISCRIMINATORS = ("A", "B")
# gan_lib's least-squares G loss is 1/2 E[(T - 1)^2]; CycleGAN's (Sec. 4, and MSELoss
# in the official networks.GANLoss) is E[(T - 1)^2]: twice it, to keep lambda's scale.
_GENERATOR_SCALE = {"least_squares": 2.0}


def l1(x: Tensor, target: Tensor) -> Tensor:
    r""":math:`\lVert x - y \rVert_1` averaged over every element (``nn.L1Loss``)."""
    return (x.float() - target.float()).abs().mean()


def _check_dict(net: nn.Module, keys: tuple[str, ...], role: str) -> None:
    if not isinstance(net, nn.ModuleDict) or set(net.keys()) != set(keys):
        got = (sorted(net.keys()) if isinstance(net, nn.ModuleDict)
               else type(net).__name__)
        raise TypeError(
            f"CycleGAN needs {role} as an nn.ModuleDict with keys {list(keys)}; "
            f"got {got}"
        )


class CycleGAN(Objective):
    r"""Two LSGAN games tied by cycle consistency and an identity term (see the
    module docstring).

    Args:
        cycle_weight: :math:`\lambda` of the two cycle L1 terms (10 in the paper).
        identity_weight: :math:`\lambda_{id}`, as a multiple of :math:`\lambda` (0.5
            in the official code; 0: no identity term).
        loss: a name from :func:`gan_lib.losses.names` (``"least_squares"``: the
            paper's).
        buffer_size: images in each domain's history of fakes (50; 0: none).
    """

    def __init__(
        self,
        cycle_weight: float = CYCLE_WEIGHT,
        identity_weight: float = IDENTITY_WEIGHT,
        loss: str = "least_squares",
        buffer_size: int = CYCLEGAN_POOL,
    ) -> None:
        for name, value in (("cycle_weight", cycle_weight),
                            ("identity_weight", identity_weight)):
            if not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
                raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
        self.cycle_weight, self.identity_weight = float(cycle_weight), identity_weight
        self.loss = loss
        self.d_loss_fn, self.g_loss_fn = losses.get(loss)
        if losses.generator_uses_real(loss):
            raise ValueError(
                f"CycleGAN takes a loss whose generator term reads fakes only; {loss!r}"
                " reads real logits too"
            )
        self.g_scale = _GENERATOR_SCALE.get(loss, 1.0)
        self.buffers = {d: ImageHistoryBuffer(buffer_size) for d in DISCRIMINATORS}
        self._batch: tuple[Tensor, Tensor] | None = None

    def bind(self, context: Context) -> None:
        super().bind(context)
        if context.distributed:
            raise ValueError(
                "CycleGAN's networks are nn.ModuleDicts, which DistributedDataParallel "
                "cannot wrap; run it on one process"
            )
        _check_dict(context.G, GENERATORS, "G")
        _check_dict(context.D, DISCRIMINATORS, "D")
        first = context.first
        if not (isinstance(first, tuple) and len(first) == 2):
            got = (f"a tuple of {len(first)} tensors" if isinstance(first, tuple)
                   else f"a {type(first).__name__} of shape {tuple(first.shape)}")
            raise TypeError(
                "CycleGAN's data must yield unpaired batches (a, b) (see "
                f"gan_lib.data.unpaired.UnpairedSource); got {got}"
            )

    # --- the networks ---------------------------------------------------------------

    def translate(self, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        """``(G(a), F(b))``: ``a`` to domain B, ``b`` to domain A."""
        G = unwrap(self.context.G)
        return G["A_to_B"](a), G["B_to_A"](b)

    def discriminate(self, domain: str, x: Tensor) -> Tensor:
        """``D[domain](x)`` flattened to one logit per patch, ``(B h w,)``."""
        return losses.patch_logits(unwrap(self.context.D)[domain](x))

    # --- the steps ------------------------------------------------------------------

    def discriminator_loss(self, reals: Reals, d_step: int) -> Terms:
        c = self.context
        a, b = reals()
        self._batch = (a, b)  # the generator step reuses it
        with torch.no_grad(), c.autocast():
            fake_b, fake_a = self.translate(a, b)
        fake_a = self.buffers["A"].query(fake_a)  # (B, ...) some from the history
        fake_b = self.buffers["B"].query(fake_b)
        with c.autocast():
            return {
                "adversarial_A": self.d_loss_fn(self.discriminate("A", a),
                                                self.discriminate("A", fake_a)),
                "adversarial_B": self.d_loss_fn(self.discriminate("B", b),
                                                self.discriminate("B", fake_b)),
            }

    def generator_loss(self, reals: Reals, g_step: int) -> Terms:
        a, b = self._batch if self._batch is not None else reals()
        self._batch = None
        G = unwrap(self.context.G)
        lam = self.cycle_weight
        with self.context.autocast():
            fake_b, fake_a = self.translate(a, b)
            logits_a = self.discriminate("A", fake_a)
            logits_b = self.discriminate("B", fake_b)
            terms = {  # G fools D_B with G(a); F fools D_A with F(b)
                "adversarial_A": self.g_scale * self.g_loss_fn(logits_a, logits_a),
                "adversarial_B": self.g_scale * self.g_loss_fn(logits_b, logits_b),
                "cycle_A": lam * l1(G["B_to_A"](fake_b), a),  # F(G(a)) ~ a
                "cycle_B": lam * l1(G["A_to_B"](fake_a), b),  # G(F(b)) ~ b
            }
            if self.identity_weight:
                weight = lam * self.identity_weight
                terms["identity_A"] = weight * l1(G["B_to_A"](a), a)  # F(a) ~ a
                terms["identity_B"] = weight * l1(G["A_to_B"](b), b)  # G(b) ~ b
        return terms

    # --- exact resume ---------------------------------------------------------------

    def state_dict(self) -> dict[str, Tensor]:
        state = {}
        for domain, buffer in self.buffers.items():
            for key, value in buffer.state_dict().items():
                state[f"buffer_{domain}.{key}"] = value
        return state

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        for domain, buffer in self.buffers.items():
            prefix = f"buffer_{domain}."
            part = {key[len(prefix):]: value for key, value in state.items()
                    if key.startswith(prefix)}
            if part:
                buffer.load_state_dict(part)
