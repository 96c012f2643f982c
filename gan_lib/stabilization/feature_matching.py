r"""Feature matching (Salimans et al., 2016, "Improved techniques for training GANs",
Sec. 3.1).

Instead of maximizing the discriminator's output, the generator matches the mean of
an intermediate layer :math:`f` of the discriminator on real and generated data:

.. math::
    \mathcal{L}_G = \big\lVert \E_{x \sim p_{data}} f(x)
                    - \E_{z \sim p_z} f(G(z)) \big\rVert_2^2 ,

estimated on one minibatch of each. The discriminator keeps its usual loss, so it keeps
looking for the features that tell the two apart. For a fixed discriminator the
generator's target :math:`\E f(x_{real})` is fixed (it does not depend on the
generator), unlike the maximum of the logit that the plain generator chases; as the
discriminator trains, :math:`f`, and with it the target, moves.

The minibatch estimate is biased upward: for a generator that matches the feature
means exactly, its expectation is :math:`\operatorname{tr}\operatorname{Cov}_P f / B +
\operatorname{tr}\operatorname{Cov}_Q f / B'` (the variance of the two batch means).
"""

from __future__ import annotations

from torch import Tensor


def feature_matching_loss(features_real: Tensor, features_fake: Tensor) -> Tensor:
    """``|| mean(features_real) - mean(features_fake) ||_2^2``.

    Args:
        features_real: ``(B, F)`` the discriminator's features of real samples.
        features_fake: ``(B', F)`` the same features of generated samples.
    """
    if features_real.dim() != 2 or features_fake.dim() != 2:
        raise ValueError(
            "feature matching expects (B, F) features; got "
            f"{tuple(features_real.shape)} and {tuple(features_fake.shape)}"
        )
    if features_real.shape[1] != features_fake.shape[1]:
        raise ValueError(
            f"real and fake features differ in width: {features_real.shape[1]} "
            f"vs {features_fake.shape[1]}"
        )
    gap = features_real.float().mean(dim=0) - features_fake.float().mean(dim=0)  # (F,)
    return gap.pow(2).sum()
