"""The training loop: the alternating game of Goodfellow et al. (2014), Algorithm 1.

:func:`train` runs ``config.d_steps`` discriminator steps, then one generator step, for
``config.steps`` iterations. *What* a step computes is the objective's business
(:mod:`gan_lib.training.objectives`: the adversarial game and its conditional and AC-GAN
forms, feature matching, unrolling); the loop does what every run needs:

* separate learning rates and Adam betas for the two players (TTUR, Heusel et al.,
  2017), with the lazy-regularization correction (Karras et al., 2020);
* an exponential moving average of the generator's weights (:mod:`.ema`);
* bf16 autocast on CUDA, ``channels_last`` for images (:mod:`.performance`);
* a ``tqdm`` progress bar, a history of every named loss term, a hook every N steps;
* atomic checkpoints that resume *exactly* (:mod:`.state`), loaded with
  ``weights_only=True``;
* a guard that stops with :class:`NonFiniteError` when a loss or a weight becomes NaN
  or infinite, without overwriting the last good checkpoint;
* several processes under ``torchrun`` (:mod:`.distributed`).

The loop reads the device only every ``log_every`` steps (to log and to check
finiteness), so a training step itself never waits on the GPU.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from gan_lib import checkpoint as ckpt
from gan_lib.data.images import check_images
from gan_lib.data.stream import Batch, DataStream, Source, peek
from gan_lib.training import distributed, performance
from gan_lib.training.config import TrainConfig
from gan_lib.training.ema import ema_copy, ema_decay_at, update_ema
from gan_lib.training.objectives import Context, Objective, Terms, from_config
from gan_lib.training.objectives.regularization import lazy_adam
from gan_lib.training.state import RunState


class Snapshot(NamedTuple):
    """What a hook sees: the step, the three networks (``G_ema`` may be ``G``) and
    the run's history so far (every logged loss term; read-only)."""

    step: int
    G: nn.Module
    D: nn.Module
    G_ema: nn.Module
    history: dict[str, list] | None = None


Hook = Callable[[Snapshot], "dict[str, float] | None"]


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    G: nn.Module
    D: nn.Module
    G_ema: nn.Module  # the EMA generator, or G itself without EMA
    step: int
    history: dict[str, list] = field(default_factory=dict)


class NonFiniteError(RuntimeError):
    """A loss or a weight became NaN or infinite; the last checkpoint was kept."""


def train(
    G: nn.Module,
    D: nn.Module,
    data: Source,
    config: TrainConfig,
    hook: Hook | None = None,
    resume: bool = True,
    objective: Objective | None = None,
) -> TrainResult:
    """Train ``G`` against ``D`` on ``data``; see the module docstring.

    Args:
        G: the generator; what it is fed is the objective's choice. The default game
            (:class:`~gan_lib.training.objectives.Adversarial`) feeds ``z: (B,
            G.z_dim)``, or ``(z, y)`` with ``y: (B,)`` int64 and an int attribute
            ``G.num_classes`` when the data carry labels.
        D: the discriminator, ``x -> logits (B,)`` or ``(B, 1)`` (``D(x, y)`` in a
            conditional run; an AC-GAN D returns ``(logits, class_logits (B, K))``).
        data: a tensor of real samples ``(N, ...)``, a pair ``(x, y)`` with labels
            ``(N,)`` int64, or a callable ``sample(batch_size) -> (B, ...)``; see
            :class:`DataStream`.
        config: the run's :class:`TrainConfig`. ``config.seed`` reseeds torch's
            global generator at the start (models are built by the caller, before).
        hook: called as ``hook(Snapshot)`` every ``config.hook_every`` steps and at the
            end (on rank 0); a returned dict of numbers goes to ``history["hook"]``.
        resume: continue from ``config.checkpoint_path`` when that file exists.
        objective: the game; by default the one ``config``'s flags describe
            (:func:`~gan_lib.training.objectives.from_config`).
    """
    if objective is None:
        objective = from_config(config)
    else:
        _check_no_shortcuts(config)
    run = _Run(G, D, data, config, objective, resume)
    game = run.objective
    d_step = run.state.step * config.d_steps
    while run.state.step < config.steps:
        # ---- k discriminator steps: descend D's loss --------------------------------
        run.turn(G=False, D=True)
        for _ in range(config.d_steps):
            run.descend("D", game.discriminator_loss(run.reals, d_step))
            run.after_discriminator_step(d_step)  # a lazy penalty step, clipping
            d_step += 1

        # ---- one generator step: descend G's loss -----------------------------------
        run.turn(G=True, D=False)
        run.descend("G", game.generator_loss(run.reals, run.state.step))
        run.after_generator_step(run.state.step)  # a lazy penalty step (path length)
        run.state.step += 1

        # ---- bookkeeping: EMA, log + finiteness guard, hook, checkpoint -------------
        run.bookkeeping(hook)
    return run.finish()


class _Run:
    """The plumbing of one call to :func:`train`: set-up, optimizer steps, logging,
    hooks and checkpoints, so that :func:`train` shows the game alone."""

    def __init__(
        self,
        G: nn.Module,
        D: nn.Module,
        data: Source,
        config: TrainConfig,
        objective: Objective,
        resume: bool,
    ) -> None:
        self.config, self.objective = config, objective
        device = torch.device(config.device) if config.device else _default_device()
        self.ranks, self.device = distributed.setup(device)
        self.amp_dtype = performance.autocast_dtype(config.precision, self.device)
        stream = DataStream(data, config.batch_size)  # checks data before the peek
        first = peek(data)  # before seeding: the peek does not steer the run
        x = first[0] if isinstance(first, tuple) else first
        image_data = x.dim() == 4  # (N, C, H, W)
        if image_data:  # once, before training: pixels in 0..255 would train silently
            images = data[0] if isinstance(data, tuple) else data
            check_images(images if isinstance(images, Tensor) else x)
        self.channels_last = performance.use_channels_last(
            config.channels_last, image_data, self.device
        )
        memory_format = (torch.channels_last if self.channels_last
                         else torch.contiguous_format)

        torch.manual_seed(config.seed)
        for net in (G, D):
            net.to(self.device, memory_format=memory_format)
            net.train()
        lr_d, betas_d = lazy_adam(config.lr_d, config.betas_d, objective.d_reg_interval)
        lr_g, betas_g = lazy_adam(config.lr_g, config.betas_g, objective.g_reg_interval)
        fp16 = self.amp_dtype == torch.float16
        self.state = RunState(
            G=G,
            D=D,
            G_ema=ema_copy(G) if config.ema_decay else G,
            opt_G=torch.optim.Adam(G.parameters(), lr=lr_g, betas=betas_g),
            opt_D=torch.optim.Adam(D.parameters(), lr=lr_d, betas=betas_d),
            scaler_G=torch.amp.GradScaler(self.device.type, enabled=fp16),
            scaler_D=torch.amp.GradScaler(self.device.type, enabled=fp16),
            stream=stream,
            config=config,
            objective=objective,
        )
        self.path = Path(config.checkpoint_path) if config.checkpoint_path else None
        if self.path is not None and self.ranks.is_main:
            ckpt.remove_stale_temporaries(self.path)  # left by a write that was killed
        state = None
        if resume and self.path is not None and self.path.exists():
            state = ckpt.load(self.path, map_location=self.device)
            self.state.load_state_dict(state, self.ranks.rank)
        self.G = distributed.wrap(G, self.ranks, config.sync_batchnorm)
        self.D = distributed.wrap(D, self.ranks, config.sync_batchnorm)
        self.shard = distributed.shard(self.ranks, config.batch_size)
        objective.bind(Context(
            G=self.G, D=self.D, opt_G=self.state.opt_G, opt_D=self.state.opt_D,
            data=data, first=first, device=self.device, batch_size=config.batch_size,
            shard=self.shard, d_steps=config.d_steps,
            autocast=lambda: performance.autocast(self.device, self.amp_dtype),
            distributed=self.ranks.distributed,
        ))
        if state is not None:
            objective.load_state_dict(state.get("objective", {}))
        self.pending: list[dict[str, Tensor]] = []  # per step, still on the device
        self.current: dict[str, Tensor] = {}
        self.bar = tqdm(total=config.steps, initial=self.state.step,
                        disable=not (config.progress and self.ranks.is_main))

    def reals(self) -> Batch:
        """The next real batch (this rank's shard), on the device."""
        batch = self.state.stream.next()
        if isinstance(batch, tuple):  # (x, y) labelled data, (source, target) pairs
            return tuple(self._to_device(t[self.shard]) for t in batch)
        return self._to_device(batch[self.shard])

    def _to_device(self, t: Tensor) -> Tensor:
        channels_last = self.channels_last and t.dim() == 4
        return performance.to_device(t, self.device, channels_last)

    def turn(self, G: bool, D: bool) -> None:
        """Whose turn it is: only that player's weights take gradients."""
        self.state.G.requires_grad_(G)
        self.state.D.requires_grad_(D)

    def descend(self, player: str, terms: Terms | None, lazy: bool = False) -> None:
        """One optimizer step of ``player`` on the sum of ``terms`` (None: no step)."""
        if terms is None:
            return
        names = iter(terms)
        loss = terms[next(names)]
        for name in names:
            loss = loss + terms[name]
        opt, scaler = (
            (self.state.opt_D, self.state.scaler_D) if player == "D"
            else (self.state.opt_G, self.state.scaler_G)
        )
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        self.current.update({f"{player}/{k}": v.detach() for k, v in terms.items()})
        if not lazy:
            self.current[f"loss_{player}"] = loss.detach()

    def after_discriminator_step(self, d_step: int) -> None:
        """The objective's lazy regularization step when due, then its post-step
        duty (weight clipping)."""
        self.descend("D", self.objective.discriminator_regularizer(d_step), lazy=True)
        self.objective.after_discriminator_step()

    def after_generator_step(self, g_step: int) -> None:
        """The objective's lazy regularization step of G when due."""
        self.descend("G", self.objective.generator_regularizer(g_step), lazy=True)

    def bookkeeping(self, hook: Hook | None) -> None:
        """After step ``state.step``: the EMA update, the log (+ guard), the hook and
        the checkpoint when due."""
        config, state = self.config, self.state
        if config.ema_decay:  # update number state.step - 1 (0 for the first)
            decay = ema_decay_at(config.ema_decay, config.ema_warmup, state.step - 1)
            update_ema(state.G_ema, state.G, decay)
        self.bar.update(1)
        self.pending.append(self.current)
        self.current = {}
        step, at_end = state.step, state.step == config.steps
        due_checkpoint = self.path is not None and (
            at_end or (config.checkpoint_every and step % config.checkpoint_every == 0)
        )
        if step % config.log_every == 0 or at_end or due_checkpoint:
            self.log_or_stop()
            last = {k: f"{state.history[k][-1]:.3f}" for k in ("loss_D", "loss_G")}
            self.bar.set_postfix(last)
        if hook is not None and self.ranks.is_main and (
            at_end or (config.hook_every and step % config.hook_every == 0)
        ):
            state.G_ema.eval()
            rng = ckpt.rng_state()  # a hook's random draws must not steer the run
            with torch.no_grad():
                metrics = hook(Snapshot(step, state.G, state.D, state.G_ema,
                                        state.history))
            ckpt.set_rng_state(rng)  # (else a resumed run, hooked once more, drifts)
            state.G.train()  # G_ema may be G itself
            if metrics:
                state.history["hook"].append({"step": step, **metrics})
        if due_checkpoint:
            rng = distributed.rng_states(self.ranks)  # every rank's generators
            if self.ranks.is_main:
                ckpt.save_atomic(state.state_dict(rng), self.path)
            distributed.barrier(self.ranks)

    def log_or_stop(self) -> None:
        """Move the pending loss terms to the history (the loop's one device read,
        averaged over the ranks), or raise :class:`NonFiniteError` if a loss or a
        weight is NaN or infinite."""
        state, pending = self.state, self.pending
        logged = [k for k in state.history if k not in ("step", "hook")]
        names = list(dict.fromkeys(logged + [n for terms in pending for n in terms]))
        zero = torch.zeros((), device=self.device)  # a term a step did not compute
        values = torch.stack(
            [torch.stack([terms.get(n, zero).float() for n in names]) for terms in pending]
        )  # (steps, terms)
        values = distributed.mean(values, self.ranks).cpu()
        first = state.step - len(pending) + 1
        pending.clear()
        finite = bool(torch.isfinite(values).all()) and _all_finite(state.G, state.D)
        if not distributed.all_true(finite, self.ranks, self.device):
            kept = ("no checkpoint was written" if self.path is None
                    else f"the last good checkpoint, {self.path}, was left as it was")
            c = self.config
            raise NonFiniteError(
                f"a loss or a weight became non-finite between steps {first} and "
                f"{state.step} (loss {c.loss!r}, lr_d {c.lr_d}, lr_g {c.lr_g}); {kept}"
            )
        history = state.history
        before = len(history["step"])
        history["step"] += list(range(first, state.step + 1))
        for j, name in enumerate(names):  # a term seen first now was 0 before
            history.setdefault(name, [0.0] * before).extend(values[:, j].tolist())

    def finish(self) -> TrainResult:
        self.bar.close()
        state = self.state
        state.D.requires_grad_(True)
        return TrainResult(G=state.G, D=state.D, G_ema=state.G_ema, step=state.step,
                           history=state.history)


def _check_no_shortcuts(config: TrainConfig) -> None:
    """With an explicit objective, the config's shortcut flags would be ignored."""
    default = TrainConfig()
    shortcuts = ("loss", "gp_weight", "r1_gamma", "reg_interval", "clip_value",
                 "aux_weight", "feature_matching", "unroll_steps")
    set_ = [f"{k}={getattr(config, k)!r}" for k in shortcuts
            if getattr(config, k) != getattr(default, k)]
    if set_:
        raise ValueError(
            f"TrainConfig({', '.join(set_)}) describes the default objective, but an "
            "objective was passed; give those settings to the objective instead"
        )


def _all_finite(*modules: nn.Module) -> bool:
    """One device read: are all parameters of the modules finite?"""
    flags = [torch.isfinite(p).all() for m in modules for p in m.parameters()]
    return bool(torch.stack(flags).all()) if flags else True


def _default_device() -> torch.device:
    from gan_lib import profiles  # the loop runs without a profile too

    return profiles.device()
