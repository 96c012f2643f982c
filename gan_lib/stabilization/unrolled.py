r"""Unrolled GANs (Metz et al., 2017, "Unrolled generative adversarial networks").

The generator is trained against the discriminator as it *will be* after :math:`K` of
its own updates, not as it is now. With :math:`f(\theta_G, \theta_D)` the
discriminator's objective (it ascends :math:`f`) and one update
:math:`\theta_D^{k+1} = \theta_D^k + \eta^k \, \partial f / \partial \theta_D^k`
(Eq. 4-5 of the paper), the surrogate objective is

.. math:: f_K(\theta_G, \theta_D) = f\big(\theta_G, \theta_D^K(\theta_G, \theta_D)\big)

and the generator's gradient (Eq. 7-8) has two terms,

.. math::
    \frac{d f_K}{d \theta_G}
      = \frac{\partial f}{\partial \theta_G}
      + \frac{\partial f}{\partial \theta_D^K}
        \frac{d \theta_D^K}{d \theta_G} ,

the second of which tells the generator how the discriminator would react to its
move: collapsing onto one mode pays off only until the discriminator catches up, and
the unrolled objective sees that. :math:`K = 0` gives back the ordinary GAN gradient.

The inner updates here are Adam steps that start from the discriminator optimizer's
current moments, as in the paper's experiments, and are differentiable (the graph
through all :math:`K` steps is kept). One change to Adam keeps second derivatives
finite: the :math:`\epsilon` goes under the square root,
:math:`\hat m / \sqrt{\hat v + \epsilon^2}`. The real discriminator is not touched: its
update stays the loop's ordinary step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn
from torch.func import functional_call

DLoss = Callable[[Tensor, Tensor], Tensor]


def _adam_hyperparameters(
    optimizer: torch.optim.Optimizer,
) -> tuple[float, float, float, float]:
    if not isinstance(optimizer, torch.optim.Adam) or len(optimizer.param_groups) != 1:
        raise TypeError(
            "unrolling replays the discriminator's Adam steps, so it needs a "
            f"torch.optim.Adam with one parameter group; got {type(optimizer).__name__}"
        )
    group = optimizer.param_groups[0]
    beta1, beta2 = group["betas"]
    return float(group["lr"]), float(beta1), float(beta2), float(group["eps"])


def _at_least_fp32(logits: Tensor) -> Tensor:
    """Losses in fp32 under autocast; float64 logits stay float64."""
    return logits if logits.dtype == torch.float64 else logits.float()


def unroll(
    D: nn.Module,
    optimizer: torch.optim.Optimizer,
    d_loss_fn: DLoss,
    real_batches: Sequence[Tensor],
    fake_batches: Sequence[Tensor],
) -> dict[str, Tensor]:
    r"""The parameters :math:`\theta_D^K` after ``K = len(real_batches)`` Adam steps.

    Step ``k`` minimizes ``d_loss_fn(D(real_batches[k]), D(fake_batches[k]))``. The
    fake batches should be generated with gradients on, so that the returned
    parameters are differentiable functions of the generator's parameters.

    Returns:
        A dict from ``D``'s parameter names to tensors, for :func:`unrolled_forward`.
        ``D`` itself, its optimizer and its buffers are left unchanged.
    """
    if len(real_batches) != len(fake_batches) or not real_batches:
        raise ValueError(
            "unroll needs K >= 1 real and K fake batches; got "
            f"{len(real_batches)} and {len(fake_batches)}"
        )
    lr, beta1, beta2, eps = _adam_hyperparameters(optimizer)
    named = dict(D.named_parameters())
    buffers = {name: b.clone() for name, b in D.named_buffers()}  # BN stats stay put
    params, m, v, t = {}, {}, {}, {}
    for name, p in named.items():
        state = optimizer.state.get(p, {})
        params[name] = p.detach().requires_grad_(True)  # theta_D^0
        m[name] = state.get("exp_avg", torch.zeros_like(p)).detach()
        v[name] = state.get("exp_avg_sq", torch.zeros_like(p)).detach()
        t[name] = float(state.get("step", 0))
    for x_real, x_fake in zip(real_batches, fake_batches, strict=True):
        state = {**params, **buffers}
        loss = d_loss_fn(
            _at_least_fp32(functional_call(D, state, (x_real,))),
            _at_least_fp32(functional_call(D, state, (x_fake,))),
        )
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        for (name, theta), g in zip(list(params.items()), grads, strict=True):
            t[name] += 1
            m[name] = beta1 * m[name] + (1 - beta1) * g
            v[name] = beta2 * v[name] + (1 - beta2) * g * g
            m_hat = m[name] / (1 - beta1 ** t[name])
            v_hat = v[name] / (1 - beta2 ** t[name])
            params[name] = theta - lr * m_hat / torch.sqrt(v_hat + eps**2)
    return params


def unrolled_forward(D: nn.Module, params: dict[str, Tensor], x: Tensor) -> Tensor:
    """``D(x)`` evaluated with the unrolled parameters ``params`` (and ``D``'s buffers)."""
    buffers = {name: b.clone() for name, b in D.named_buffers()}
    return functional_call(D, {**params, **buffers}, (x,))
