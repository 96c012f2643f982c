r"""The Dirac GAN: the smallest game on which GAN training fails.

Mescheder et al. (2018), Section 2.

The data distribution is a point mass at 0, the generator a point mass
:math:`p_\theta = \delta_\theta` at its single parameter :math:`\theta \in \mathbb R`,
and the critic is linear with one parameter :math:`\psi \in \mathbb R`. In the book's
convention (a critic returns a *logit*, high on real data) the logit is

.. math:: T_\psi(x) = -\psi x ,

Mescheder et al. write :math:`D_\psi(x) = \psi x` with the opposite sign convention
for the logit, so that their formulas carry over unchanged. With the standard
(minimax) loss the value function is then

.. math:: V(\psi, \theta) = f(\psi\theta) + f(0), \qquad
   f(t) = -\log(1 + e^{-t}) ,

and with the Wasserstein loss :math:`f(t) = t`. Its only equilibrium is
:math:`(\theta, \psi) = (0, 0)`.

Nothing here is written by hand from those formulas: :class:`DiracGAN` evaluates the
real losses of :mod:`gan_lib.losses` on the two logits :math:`T_\psi(0)` and
:math:`T_\psi(\theta)`, adds the R1 penalty
:math:`\tfrac\gamma2 |\partial_x T_\psi(0)|^2` exactly as
:func:`gan_lib.training.train` does, and differentiates with autograd in float64.
The closed forms of the book (eigenvalues, growth factors, invariants) are then
*checked* against these numbers, in the lab and in ``tests/test_dynamics.py``.

The state is always ordered ``(theta, psi)``: generator first, critic second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from gan_lib import losses

DiracLoss = Literal["minimax", "non_saturating", "wasserstein"]
Method = Literal["simultaneous", "alternating"]
DIRAC_LOSSES: tuple[str, ...] = ("minimax", "non_saturating", "wasserstein")
DTYPE = torch.float64


def critic_logit(psi: Tensor, x: Tensor) -> Tensor:
    r"""The Dirac GAN's linear critic, :math:`T_\psi(x) = -\psi x`. ``x``: ``(N,)``."""
    return -psi * x  # (N,)


def _as_state(state: Tensor | np.ndarray | tuple[float, float]) -> Tensor:
    x = torch.as_tensor(np.asarray(state, dtype=np.float64), dtype=DTYPE)
    if x.shape != (2,):
        raise ValueError(
            f"a Dirac GAN state is (theta, psi), shape (2,); got {tuple(x.shape)}"
        )
    if not torch.isfinite(x).all():
        raise ValueError(f"a Dirac GAN state must be finite; got {x.tolist()}")
    return x


def _check_positive(name: str, value: float) -> float:
    if not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    return float(value)


@dataclass(frozen=True)
class DiracGAN:
    r"""The Dirac GAN with one of the book's losses and an optional R1 penalty.

    Args:
        loss: ``"minimax"`` (the zero-sum standard GAN, :math:`f(t) = -\log(1+e^{-t})`),
            ``"non_saturating"`` (same critic, generator loss :math:`-\log D`) or
            ``"wasserstein"`` (:math:`f(t) = t`); names of :func:`gan_lib.losses.get`.
        r1_gamma: weight :math:`\gamma` of the R1 penalty on the critic,
            :math:`\tfrac\gamma2 \lVert \nabla_x T_\psi(x) \rVert^2` at the data
            (Mescheder et al., 2018, Eq. 9); 0 turns it off.
    """

    loss: DiracLoss = "minimax"
    r1_gamma: float = 0.0

    def __post_init__(self) -> None:
        if self.loss not in DIRAC_LOSSES:
            raise ValueError(
                f"the Dirac GAN supports the losses {', '.join(DIRAC_LOSSES)}; "
                f"got {self.loss!r}"
            )
        if not isinstance(self.r1_gamma, (int, float)) or not self.r1_gamma >= 0:
            raise ValueError(f"r1_gamma must be a number >= 0; got {self.r1_gamma!r}")

    # --- the two players' losses, exactly as the training loop computes them ----------

    def player_losses(self, theta: Tensor, psi: Tensor) -> tuple[Tensor, Tensor]:
        """``(loss_D, loss_G)`` at ``(theta, psi)``, both 0-dim float64 tensors.

        ``loss_D`` includes the weighted R1 penalty; each player *minimizes* its loss.
        """
        x_real = torch.zeros(1, dtype=DTYPE, requires_grad=True)  # the data: delta_0
        x_fake = theta.reshape(1)  # the generator's only sample: delta_theta
        real_logits = critic_logit(psi, x_real)  # (1,)
        fake_logits = critic_logit(psi, x_fake)  # (1,)
        d_loss_fn, g_loss_fn = losses.get(self.loss)
        loss_D = d_loss_fn(real_logits, fake_logits)
        if self.r1_gamma > 0:
            # R1: |dT/dx|^2 at the data, by autograd, as gan_lib.regularizers.r1_penalty
            (grad_x,) = torch.autograd.grad(
                real_logits.sum(), x_real, create_graph=True
            )
            loss_D = loss_D + self.r1_gamma / 2 * grad_x.pow(2).sum()
        loss_G = g_loss_fn(real_logits, fake_logits)
        return loss_D, loss_G

    def value(self, theta: float, psi: float) -> float:
        r"""The value function :math:`V(\psi, \theta) = -L_D` without the penalty."""
        state = _as_state((theta, psi))
        loss_D, _ = DiracGAN(self.loss).player_losses(state[0], state[1])
        return -float(loss_D.detach())

    # --- the gradient vector field ----------------------------------------------------

    def _theta_velocity(self, theta: Tensor, psi: Tensor, graph: bool) -> Tensor:
        r""":math:`-\partial L_G / \partial\theta` at fixed :math:`\psi`: where
        gradient descent moves G."""
        # Differentiate with respect to a zero offset: a *partial* derivative even when
        # psi was itself computed from theta (the alternating step), unlike
        # autograd.grad(loss_G, theta), which would follow psi's dependence on theta.
        offset = torch.zeros((), dtype=DTYPE, requires_grad=True)
        _, loss_G = self.player_losses(theta + offset, psi)
        (grad,) = torch.autograd.grad(loss_G, offset, create_graph=graph)
        return -grad

    def _psi_velocity(self, theta: Tensor, psi: Tensor, graph: bool) -> Tensor:
        r""":math:`-\partial L_D / \partial\psi` at fixed :math:`\theta`: where
        gradient descent moves D."""
        offset = torch.zeros((), dtype=DTYPE, requires_grad=True)
        loss_D, _ = self.player_losses(theta, psi + offset)
        (grad,) = torch.autograd.grad(loss_D, offset, create_graph=graph)
        return -grad

    def _field(self, state: Tensor, graph: bool = False) -> Tensor:
        theta, psi = state[0], state[1]
        return torch.stack(
            [
                self._theta_velocity(theta, psi, graph),
                self._psi_velocity(theta, psi, graph),
            ]
        )

    def vector_field(self, theta: float, psi: float) -> np.ndarray:
        r"""The gradient field :math:`v = (-\partial_\theta L_G, -\partial_\psi L_D)`.

        For the minimax loss this is :math:`(-f'(\psi\theta)\psi,\;
        f'(\psi\theta)\theta - \gamma\psi)`. Returns ``(2,)``: ``(d theta, d psi)``.
        """
        return self._field(_as_state((theta, psi))).detach().numpy()

    def jacobian(self, theta: float = 0.0, psi: float = 0.0) -> np.ndarray:
        r"""The Jacobian :math:`\partial v / \partial(\theta, \psi)` of the gradient
        field, by autograd; ``(2, 2)``, rows ``(d theta, d psi)``. At the equilibrium
        (the default point) the book derives
        :math:`\begin{pmatrix} 0 & -f'(0) \\ f'(0) & -\gamma \end{pmatrix}`."""

        def field_with_graph(state: Tensor) -> Tensor:
            return self._field(state, graph=True)

        state = _as_state((theta, psi))
        return torch.autograd.functional.jacobian(field_with_graph, state).numpy()

    # --- gradient descent: the discrete maps ------------------------------------------

    def _step(
        self,
        state: Tensor,
        method: Method,
        lr_g: float,
        lr_d: float,
        d_steps: int,
        graph: bool = False,
    ) -> Tensor:
        """One step of gradient descent from ``state = (theta, psi)``; returns ``(2,)``.

        Simultaneous: both players step from the same point. Alternating: ``d_steps``
        critic steps, each against the fixed generator, then one generator step against
        the updated critic. ``graph=True`` keeps the autograd graph, so that the step
        itself can be differentiated (:meth:`update_jacobian`).
        """
        theta, psi = state[0], state[1]
        if method == "simultaneous":  # both gradients at the same point
            velocity = self._field(state, graph)
            theta_new = theta + lr_g * velocity[0]
            psi_new = psi + lr_d * velocity[1]
        else:  # alternating: k critic steps, then one generator step (training.train)
            for _ in range(d_steps):
                psi = psi + lr_d * self._psi_velocity(theta, psi, graph)
            theta_new = theta + lr_g * self._theta_velocity(theta, psi, graph)
            psi_new = psi
        new = torch.stack([theta_new, psi_new])
        return new if graph else new.detach()

    def trajectory(
        self,
        start: tuple[float, float],
        steps: int,
        method: Method = "simultaneous",
        lr_g: float = 0.1,
        lr_d: float | None = None,
        d_steps: int = 1,
    ) -> np.ndarray:
        r"""Iterates of gradient descent from ``start = (theta0, psi0)``.

        ``simultaneous``: :math:`x_{n+1} = x_n + (h_G v_\theta(x_n), h_D v_\psi(x_n))`.
        ``alternating``: ``d_steps`` critic steps of size ``lr_d``, each at the current
        :math:`\psi`, then one generator step of size ``lr_g`` against the updated
        critic (the order of :func:`gan_lib.training.train`). ``lr_d`` defaults to
        ``lr_g``.

        Returns ``(steps + 1, 2)``: row ``n`` is ``(theta_n, psi_n)``, row 0 the start.
        """
        lr_d, method = self._check_schedule(method, lr_g, lr_d, d_steps)
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps must be an int >= 0; got {steps!r}")
        state = _as_state(start)
        path = [state]
        for _ in range(steps):
            state = self._step(state, method, lr_g, lr_d, d_steps)
            path.append(state)
        return torch.stack(path).numpy()  # (steps + 1, 2)

    def update_jacobian(
        self,
        method: Method = "simultaneous",
        lr_g: float = 0.1,
        lr_d: float | None = None,
        d_steps: int = 1,
        at: tuple[float, float] = (0.0, 0.0),
    ) -> np.ndarray:
        """The Jacobian of one step of :meth:`trajectory`'s map at ``at`` (default: the
        equilibrium), by autograd through the step; ``(2, 2)``. A spectral radius below
        1 guarantees local convergence; above 1 the linearized step expands."""
        lr_d, method = self._check_schedule(method, lr_g, lr_d, d_steps)

        def step_with_graph(state: Tensor) -> Tensor:
            return self._step(state, method, lr_g, lr_d, d_steps, graph=True)

        state = _as_state(at)
        return torch.autograd.functional.jacobian(step_with_graph, state).numpy()

    @staticmethod
    def _check_schedule(
        method: str, lr_g: float, lr_d: float | None, d_steps: int
    ) -> tuple[float, Method]:
        if method not in ("simultaneous", "alternating"):
            raise ValueError(
                f"method must be 'simultaneous' or 'alternating'; got {method!r}"
            )
        lr_g = _check_positive("lr_g", lr_g)
        lr_d = lr_g if lr_d is None else _check_positive("lr_d", lr_d)
        if not isinstance(d_steps, int) or d_steps < 1:
            raise ValueError(f"d_steps must be a positive int; got {d_steps!r}")
        if method == "simultaneous" and d_steps != 1:
            raise ValueError(
                "simultaneous updates take one step of each player from the same "
                f"point, so d_steps must be 1; got {d_steps} (use method='alternating')"
            )
        return lr_d, method  # type: ignore[return-value]


def spectral_radius(matrix: np.ndarray) -> float:
    """The largest modulus of the eigenvalues of a square matrix."""
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"expected a square matrix; got shape {matrix.shape}")
    return float(np.abs(np.linalg.eigvals(matrix)).max())


def distance_to_equilibrium(path: np.ndarray) -> np.ndarray:
    r"""Euclidean distance :math:`\sqrt{\theta^2 + \psi^2}` of each iterate to (0, 0).
    ``path``: ``(n, 2)`` from :meth:`DiracGAN.trajectory`; returns ``(n,)``."""
    path = np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or path.shape[1] != 2:
        raise ValueError(f"path must have shape (n, 2); got {path.shape}")
    return np.linalg.norm(path, axis=1)
