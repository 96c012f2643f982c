r"""Regularization phases of the discriminator: the gradient penalty (WGAN-GP) and R1,
each with a *lazy* interval (Karras et al., 2020, "Analyzing and improving the image
quality of StyleGAN", Sec. 3.1 and Appendix B).

With interval :math:`k = 1` the weighted penalty joins every D step's loss. With
:math:`k > 1` it is its own optimizer step after every :math:`k`-th D step, on that
step's batch, weighted :math:`k` times as much, so that on average it weighs what it
would every step. D's Adam then takes :math:`k + 1` steps per :math:`k` batches; to keep
its time constants per batch, Karras et al. scale the learning rate and the betas by
:math:`c = k / (k + 1)`:

.. math:: \eta' = c\,\eta, \qquad \beta_1' = \beta_1^{\,c}, \qquad \beta_2' = \beta_2^{\,c}

(``mb_ratio`` in their ``training_loop.py``). :func:`lazy_adam` computes it.
"""

from __future__ import annotations

from torch import nn

from gan_lib.errors import check_positive_int


def lazy_adam(
    lr: float, betas: tuple[float, float], interval: int
) -> tuple[float, tuple[float, float]]:
    """Adam's ``(lr, betas)`` corrected for a lazy regularization step every
    ``interval`` steps: ``lr * c`` and ``beta ** c`` with ``c = interval / (interval
    + 1)``; unchanged for ``interval = 1`` (no separate step)."""
    check_positive_int("interval", interval)
    if interval == 1:
        return lr, betas
    c = interval / (interval + 1)
    return lr * c, (betas[0] ** c, betas[1] ** c)


def samples_per_logit(D: nn.Module, penalty: str, allow_mixing: bool = False) -> int:
    """How many samples one of D's logits judges: ``m`` for a packed discriminator,
    1 otherwise.

    A per-sample gradient penalty needs sample ``i``'s logit to depend on ``x_i`` alone
    (or on its pack alone). With a layer that mixes the samples of a batch (minibatch
    discrimination, minibatch standard deviation), row ``i`` of the gradient of the
    summed logits also holds the other samples' logits' dependence on ``x_i``, so the
    "norm per sample" is not the norm of any one logit's gradient: the combination is
    refused unless ``allow_mixing``, which takes that gradient anyway, as the official
    ProGAN and StyleGAN code does (WGAN-GP or R1 on a discriminator with minibatch
    standard deviation)."""
    mixing = [type(m).__name__ for m in D.modules() if getattr(m, "mixes_samples", 0)]
    if mixing and not allow_mixing:
        raise ValueError(
            f"{penalty} takes one gradient norm per sample, but D holds "
            f"{sorted(set(mixing))}, whose output for one sample depends on the rest "
            "of the batch; drop the layer or the penalty, or pass "
            "penalty_through_batch_layers=True to take the gradient of the summed "
            "logits anyway, as the ProGAN and StyleGAN code does"
        )
    packs = {m.samples_per_logit for m in D.modules() if hasattr(m, "samples_per_logit")}
    if len(packs) > 1:
        raise ValueError(f"D holds packed discriminators of sizes {sorted(packs)}")
    return packs.pop() if packs else 1
