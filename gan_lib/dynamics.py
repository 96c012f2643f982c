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

Besides plain simultaneous and alternating gradient descent, three methods designed for
games are implemented, with :math:`H = \operatorname{diag}(h_G, h_D)` and the gradient
field :math:`v = (-\partial_\theta L_G, -\partial_\psi L_D)`:

* **extragradient** (Korpelevich, 1976; for GANs Gidel et al., 2019): a look-ahead
  step, then the step from the start with the field at the look-ahead point,
  :math:`x_{n+1/2} = x_n + H v(x_n)`, :math:`x_{n+1} = x_n + H v(x_{n+1/2})`;
* **optimistic** gradient descent (Daskalakis et al., 2018):
  :math:`x_{n+1} = x_n + 2 H v(x_n) - H v(x_{n-1})`, with :math:`v(x_{-1}) = v(x_0)`;
  the map has memory, so its state is :math:`(x_n, x_{n-1})`;
* **consensus** optimization (Mescheder et al., 2017, "The Numerics of GANs"): both
  players also descend :math:`\gamma L` with :math:`L = \tfrac12 \lVert v \rVert^2`,
  i.e. the field becomes :math:`w = v - \gamma \nabla L`; set ``consensus_gamma`` and
  use any of the methods (the paper uses simultaneous steps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import torch
from torch import Tensor

from gan_lib import losses
from gan_lib.errors import check_int_at_least, check_positive_int

DiracLoss = Literal["minimax", "non_saturating", "wasserstein"]
Method = Literal["simultaneous", "alternating", "extragradient", "optimistic"]
METHODS: tuple[str, ...] = get_args(Method)
DIRAC_LOSSES: tuple[str, ...] = get_args(DiracLoss)
DTYPE = torch.float64


def critic_logit(psi: Tensor, x: Tensor) -> Tensor:
    r"""The Dirac GAN's linear critic, :math:`T_\psi(x) = -\psi x`. ``x``: ``(N,)``."""
    return -psi * x  # (N,)


def _as_state(
    state: Tensor | np.ndarray | tuple[float, ...], size: int = 2
) -> Tensor:
    x = torch.as_tensor(np.asarray(state, dtype=np.float64), dtype=DTYPE)
    if x.shape != (size,):
        what = "(theta, psi)" if size == 2 else "(theta, psi, theta_prev, psi_prev)"
        raise ValueError(
            f"a Dirac GAN state is {what}, shape ({size},); got {tuple(x.shape)}"
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
        consensus_gamma: weight :math:`\gamma_c` of consensus optimization
            (Mescheder et al., 2017): each player adds
            :math:`\gamma_c L = \tfrac{\gamma_c}{2} \lVert v \rVert^2` to its loss, so
            the field becomes :math:`v - \gamma_c \nabla L
            = v - \gamma_c (\nabla v)^\top v`; 0 turns it off.
    """

    loss: DiracLoss = "minimax"
    r1_gamma: float = 0.0
    consensus_gamma: float = 0.0

    def __post_init__(self) -> None:
        if self.loss not in DIRAC_LOSSES:
            raise ValueError(
                f"the Dirac GAN supports the losses {', '.join(DIRAC_LOSSES)}; "
                f"got {self.loss!r}"
            )
        if not isinstance(self.r1_gamma, (int, float)) or not self.r1_gamma >= 0:
            raise ValueError(f"r1_gamma must be a number >= 0; got {self.r1_gamma!r}")
        if not isinstance(self.consensus_gamma, (int, float)) or not (
            self.consensus_gamma >= 0
        ):
            raise ValueError(
                f"consensus_gamma must be a number >= 0; got {self.consensus_gamma!r}"
            )

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

    def _game_velocity(self, theta: Tensor, psi: Tensor, graph: bool) -> Tensor:
        r"""The plain game's field :math:`v = (-\partial_\theta L_G,
        -\partial_\psi L_D)` at ``(theta, psi)``, ``(2,)``, without the consensus term.

        Each component is a *partial* derivative: differentiate with respect to a zero
        offset, so that it stays partial even when psi was itself computed from theta
        (the alternating step), unlike autograd.grad(loss_G, theta), which would follow
        psi's dependence on theta.
        """
        offset_g = torch.zeros((), dtype=DTYPE, requires_grad=True)
        _, loss_G = self.player_losses(theta + offset_g, psi)
        (grad_g,) = torch.autograd.grad(loss_G, offset_g, create_graph=graph)
        offset_d = torch.zeros((), dtype=DTYPE, requires_grad=True)
        loss_D, _ = self.player_losses(theta, psi + offset_d)
        (grad_d,) = torch.autograd.grad(loss_D, offset_d, create_graph=graph)
        return -torch.stack([grad_g, grad_d])

    def _velocity(self, theta: Tensor, psi: Tensor, graph: bool, player: int) -> Tensor:
        r"""Component ``player`` (0: generator, 1: critic) of the field, with the
        consensus term :math:`-\gamma_c \partial L` when ``consensus_gamma > 0``."""
        if self.consensus_gamma == 0:
            offset = torch.zeros((), dtype=DTYPE, requires_grad=True)
            if player == 0:
                _, loss = self.player_losses(theta + offset, psi)
            else:
                loss, _ = self.player_losses(theta, psi + offset)
            (grad,) = torch.autograd.grad(loss, offset, create_graph=graph)
            return -grad
        offset = torch.zeros((), dtype=DTYPE, requires_grad=True)
        shifted = (theta + offset, psi) if player == 0 else (theta, psi + offset)
        v = self._game_velocity(*shifted, graph=True)  # (2,), differentiable
        consensus = 0.5 * v.pow(2).sum()  # L = |v|^2 / 2
        (grad_L,) = torch.autograd.grad(consensus, offset, create_graph=graph)
        v_player = v[player] if graph else v[player].detach()
        return v_player - self.consensus_gamma * grad_L

    def _theta_velocity(self, theta: Tensor, psi: Tensor, graph: bool) -> Tensor:
        r""":math:`-\partial L_G / \partial\theta` at fixed :math:`\psi` (minus
        :math:`\gamma_c \partial_\theta L` with consensus): where gradient descent
        moves G."""
        return self._velocity(theta, psi, graph, 0)

    def _psi_velocity(self, theta: Tensor, psi: Tensor, graph: bool) -> Tensor:
        r""":math:`-\partial L_D / \partial\psi` at fixed :math:`\theta` (minus
        :math:`\gamma_c \partial_\psi L` with consensus): where gradient descent
        moves D."""
        return self._velocity(theta, psi, graph, 1)

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
        f'(\psi\theta)\theta - \gamma\psi)`; with ``consensus_gamma`` the term
        :math:`-\gamma_c (\nabla v)^\top v` is added. Returns ``(2,)``:
        ``(d theta, d psi)``.
        """
        return self._field(_as_state((theta, psi))).detach().numpy()

    def jacobian(self, theta: float = 0.0, psi: float = 0.0) -> np.ndarray:
        r"""The Jacobian :math:`\partial v / \partial(\theta, \psi)` of the gradient
        field, by autograd; ``(2, 2)``, rows ``(d theta, d psi)``. At the equilibrium
        (the default point) the book derives
        :math:`\begin{pmatrix} 0 & -f'(0) \\ f'(0) & -\gamma \end{pmatrix}`, and with
        consensus (no R1) that matrix minus :math:`\gamma_c f'(0)^2 I`."""

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
        the updated critic. Extragradient: a simultaneous look-ahead step, then a step
        from ``state`` with the field at the look-ahead point. Optimistic: ``state`` is
        ``(theta, psi, theta_prev, psi_prev)`` and the step returns the next state of
        that form, ``(4,)``. ``graph=True`` keeps the autograd graph, so that the step
        itself can be differentiated (:meth:`update_jacobian`).
        """
        theta, psi = state[0], state[1]
        h = torch.tensor([lr_g, lr_d], dtype=DTYPE)  # the diagonal of H
        if method == "simultaneous":  # both gradients at the same point
            new = state + h * self._field(state, graph)
        elif method == "extragradient":  # x + H v(x + H v(x))
            look_ahead = state + h * self._field(state, graph)
            new = state + h * self._field(look_ahead, graph)
        elif method == "optimistic":  # x + 2 H v(x) - H v(x_prev)
            current, previous = state[:2], state[2:]
            step = 2 * self._field(current, graph) - self._field(previous, graph)
            new = torch.cat([current + h * step, current])
        else:  # alternating: k critic steps, then one generator step (training.train)
            for _ in range(d_steps):
                psi = psi + lr_d * self._psi_velocity(theta, psi, graph)
            theta_new = theta + lr_g * self._theta_velocity(theta, psi, graph)
            new = torch.stack([theta_new, psi])
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
        critic (the order of :func:`gan_lib.training.train`).
        ``extragradient`` (Korpelevich, 1976; Gidel et al., 2019):
        :math:`x_{n+1} = x_n + H v(x_n + H v(x_n))`.
        ``optimistic`` (Daskalakis et al., 2018):
        :math:`x_{n+1} = x_n + 2 H v(x_n) - H v(x_{n-1})`, started with
        :math:`x_{-1} = x_0` (so the first step is a simultaneous one).
        Here :math:`H = \operatorname{diag}(h_G, h_D)`; ``lr_d`` defaults to ``lr_g``.
        For consensus optimization set ``consensus_gamma`` on the game.

        Returns ``(steps + 1, 2)``: row ``n`` is ``(theta_n, psi_n)``, row 0 the start.
        """
        lr_d, method = self._check_schedule(method, lr_g, lr_d, d_steps)
        check_int_at_least("steps", steps, 0)
        state = _as_state(start)
        if method == "optimistic":
            state = torch.cat([state, state])  # x_{-1} = x_0
        path = [state[:2]]
        for _ in range(steps):
            state = self._step(state, method, lr_g, lr_d, d_steps)
            path.append(state[:2])
        return torch.stack(path).numpy()  # (steps + 1, 2)

    def update_jacobian(
        self,
        method: Method = "simultaneous",
        lr_g: float = 0.1,
        lr_d: float | None = None,
        d_steps: int = 1,
        at: tuple[float, ...] | None = None,
    ) -> np.ndarray:
        r"""The Jacobian of one step of :meth:`trajectory`'s map at ``at`` (default: the
        equilibrium), by autograd through the step; ``(2, 2)``. A spectral radius below
        1 guarantees local convergence; above 1 the linearized step expands.

        For ``optimistic`` the map acts on ``(theta, psi, theta_prev, psi_prev)``
        (``at`` has four entries) and the Jacobian is the ``(4, 4)`` companion matrix
        :math:`\begin{pmatrix} I + 2HA & -HA \\ I & 0 \end{pmatrix}`, with
        :math:`A` the Jacobian of the field, at the equilibrium."""
        lr_d, method = self._check_schedule(method, lr_g, lr_d, d_steps)
        size = 4 if method == "optimistic" else 2

        def step_with_graph(state: Tensor) -> Tensor:
            return self._step(state, method, lr_g, lr_d, d_steps, graph=True)

        state = _as_state((0.0,) * size if at is None else at, size)
        return torch.autograd.functional.jacobian(step_with_graph, state).numpy()

    @staticmethod
    def _check_schedule(
        method: str, lr_g: float, lr_d: float | None, d_steps: int
    ) -> tuple[float, Method]:
        if method not in METHODS:
            raise ValueError(
                f"method must be one of {', '.join(METHODS)}; got {method!r}"
            )
        lr_g = _check_positive("lr_g", lr_g)
        lr_d = lr_g if lr_d is None else _check_positive("lr_d", lr_d)
        check_positive_int("d_steps", d_steps)
        if method != "alternating" and d_steps != 1:
            raise ValueError(
                f"{method} updates take one step of each player from the same "
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
