r"""Inception Score (IS): how confident and how varied a classifier finds the samples.

Salimans et al. (2016), "Improved Techniques for Training GANs", Section 4:

.. math:: \mathrm{IS} = \exp\Bigl( \mathbb E_x\,
   \mathrm{KL}\bigl(p(y \mid x) \,\big\|\, p(y)\bigr) \Bigr),
   \qquad p(y) = \mathbb E_x\, p(y \mid x).

It lies between 1 (every sample gets the same class distribution) and the number of
classes :math:`C` (every sample is classified with certainty, and the classes are used
equally). The expectation is over the samples of one *split*; the score is computed on
``splits`` disjoint splits and reported as their mean and standard deviation.

**Which reference it matches.** The original code (``inception_score.py`` of
Salimans et al.) and torch-fidelity's ``isc_features_to_metric(..., shuffle=False)``:
``p(y|x)`` is the softmax of the logits, computed here as a log-softmax in float64;
split ``i`` holds samples ``i*N//splits`` to ``(i+1)*N//splits`` (so every sample is
used, where the original code dropped the last ``N mod splits``); the spread is
``np.std`` (ddof 0). For the Inception network the logits are those of the 2015
graph's 1008-way layer without its bias, as in the original code
(:class:`gan_lib.metrics.inception.FIDInceptionV3`).
"""

from __future__ import annotations

import math

import torch

from gan_lib.errors import check_positive_int
from gan_lib.metrics.checks import ArrayLike, as_features


def inception_score(logits: ArrayLike, splits: int = 10) -> tuple[float, float]:
    """The Inception Score of class logits.

    Args:
        logits: a classifier's logits for the generated samples, ``(N, C)``; any
            real numbers (probabilities are their softmax).
        splits: number of disjoint splits (10 in the references); each needs at least
            one sample.

    Returns:
        ``(mean, std)`` of the score over splits; each score is in ``[1, C]``.
    """
    log_p_yx = torch.log_softmax(as_features("logits", logits), dim=1)  # (N, C)
    check_positive_int("splits", splits)
    n = log_p_yx.shape[0]
    if n < splits:
        raise ValueError(
            f"the Inception Score with {splits} splits needs at least {splits} "
            f"samples; got {n}"
        )
    scores = []
    for i in range(splits):
        part = log_p_yx[i * n // splits : (i + 1) * n // splits]  # (n_i, C)
        # log p(y) = log mean_x p(y|x), by logsumexp for accuracy
        log_p_y = torch.logsumexp(part, dim=0) - math.log(part.shape[0])  # (C,)
        # KL(p(y|x) || p(y)) per sample; log_softmax of finite logits is finite, so
        # an underflowed p(y|x) = 0 multiplies a finite log: 0 log 0 = 0 holds
        p_yx = part.exp()
        kl = (p_yx * (part - log_p_y)).sum(dim=1)  # (n_i,)
        scores.append(kl.mean().exp())
    scores_t = torch.stack(scores)
    return float(scores_t.mean()), float(scores_t.std(correction=0))
