"""The StyleGAN2 game (Karras et al., 2020): the non-saturating loss, style mixing in
every generated batch, R1 on D every 16 steps and path length regularization on G
every 4, each as its own lazily weighted Adam step (the regularization phases of
:mod:`gan_lib.training.objectives.regularization`).

Constants (NVlabs/stylegan2 ``training/training_loop.py`` and ``training/loss.py``;
stylegan2-ada-pytorch ``training/loss.py``): ``D_reg_interval = 16``,
``G_reg_interval = 4``, ``pl_weight = 2``, ``pl_batch_shrink = 2``, ``pl_decay =
0.01``, ``style_mixing_prob = 0.9``; ``r1_gamma`` depends on the data set (10 for
FFHQ at 1024 px in config F, 1 in ada-pytorch's ``paper256``, 0.01 for CIFAR-10).

G must be a :mod:`gan_lib.models.stylegan` generator: ``G(z, mixing_prob=...)``,
``G.mapping``, ``G.style_mixing``, ``G.synthesis`` and ``G.num_ws``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gan_lib.regularizers import PathLengthPenalty
from gan_lib.training.objectives.adversarial import Adversarial, Labels
from gan_lib.training.objectives.base import Context, Terms, unwrap

D_REG_INTERVAL = 16  # stylegan2 training_loop.py: D_reg_interval
G_REG_INTERVAL = 4  # stylegan2 training_loop.py: G_reg_interval
PL_WEIGHT = 2.0  # stylegan2 loss.py: pl_weight
PL_BATCH_SHRINK = 2  # stylegan2 loss.py: pl_batch_shrink
STYLE_MIXING_PROB = 0.9  # stylegan2 networks: style_mixing_prob


class StyleGAN2(Adversarial):
    """Non-saturating GAN with lazy R1 (D) and lazy path length (G), style mixing.

    Args:
        r1_gamma: :math:`\\gamma` of R1 (weighted :math:`\\gamma / 2`).
        r1_interval: D steps between R1 steps (16).
        pl_weight: weight of the path length penalty (2; 0: none).
        pl_interval: G steps between path length steps (4).
        pl_batch_shrink: the path length batch is the batch divided by this (2).
        mixing_prob: probability of style mixing in a generated batch (0.9).
    """

    def __init__(self, r1_gamma: float = 10.0, r1_interval: int = D_REG_INTERVAL,
                 pl_weight: float = PL_WEIGHT, pl_interval: int = G_REG_INTERVAL,
                 pl_batch_shrink: int = PL_BATCH_SHRINK,
                 mixing_prob: float = STYLE_MIXING_PROB) -> None:
        super().__init__(loss="non_saturating", r1_gamma=r1_gamma,
                         reg_interval=r1_interval, penalty_through_batch_layers=True)
        self.pl_weight, self.pl_batch_shrink = pl_weight, pl_batch_shrink
        self.mixing_prob = mixing_prob
        self.g_reg_interval = pl_interval if pl_weight > 0 else 1
        self.path_length = PathLengthPenalty()

    def bind(self, context: Context) -> None:
        super().bind(context)
        G = unwrap(context.G)
        missing = [a for a in ("mapping", "style_mixing", "synthesis", "num_ws")
                   if not hasattr(G, a)]
        if missing:
            raise AttributeError(f"the StyleGAN2 game needs a style-based G; "
                                 f"{type(G).__name__} lacks {missing}")
        if self.conditional:
            raise ValueError("the StyleGAN2 objective here is unconditional; the data "
                             "carry labels")
        if context.distributed and self.pl_weight > 0:
            raise ValueError("path length regularization differentiates G.synthesis "
                             "outside DistributedDataParallel; not implemented under "
                             "torchrun (pl_weight=0 trains without it)")
        self.path_length.to(context.device)

    def fakes(self) -> tuple[Tensor, Labels]:
        """``G(z)`` with style mixing, for this rank's shard of a global batch."""
        c = self.context
        z = self.global_draw(lambda n: torch.randn(n, self.z_dim, device=c.device))
        return c.G(z, mixing_prob=self.mixing_prob), None

    def generator_regularizer(self, g_step: int) -> Terms | None:
        """Every ``pl_interval`` G steps: path length on a batch shrunk by
        ``pl_batch_shrink``, weighted ``pl_weight * pl_interval``."""
        if self.pl_weight == 0 or g_step % self.g_reg_interval:
            return None
        G, c = unwrap(self.context.G), self.context
        n = max(1, (c.shard.stop - c.shard.start) // self.pl_batch_shrink)
        z = torch.randn(n, self.z_dim, device=c.device)
        ws = G.mapping(z)[:, None].expand(-1, G.num_ws, -1)
        ws = G.style_mixing(ws, self.mixing_prob)
        with c.autocast():
            images = G.synthesis(ws)
        penalty = self.path_length(images, ws)
        return {"path_length": self.pl_weight * self.g_reg_interval * penalty}

    def state_dict(self) -> dict[str, Tensor]:
        return {"pl_mean": self.path_length.mean}

    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        if "pl_mean" in state:
            self.path_length.mean.copy_(state["pl_mean"])
