"""The training loop: the alternating game of Goodfellow et al. (2014), Algorithm 1.

:func:`train` runs ``config.d_steps`` discriminator steps, then one generator step, for
``config.steps`` iterations. Around that core it does what a GAN user expects:

* the loss by name (:mod:`gan_lib.losses`), separate learning rates and Adam betas for
  the two players (TTUR, Heusel et al., 2017);
* a gradient penalty (WGAN-GP) or R1 penalty with a lazy interval (Karras et al.,
  2020), weight clipping (WGAN);
* an exponential moving average of the generator's weights (Karras et al., 2018);
* bf16 autocast on CUDA with the penalties in fp32, ``channels_last`` for images;
* a ``tqdm`` progress bar, a returned loss history, a hook called every N steps;
* atomic checkpoints that resume *exactly* (models, optimizers, EMA, grad scaler,
  every RNG state, data order, step, history), loaded with ``weights_only=True``;
* a guard that stops with :class:`NonFiniteError` when a loss or a weight becomes NaN
  or infinite, without overwriting the last good checkpoint.

The loop reads the device only every ``log_every`` steps (to log and to check
finiteness), so a training step itself never waits on the GPU.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from gan_lib import checkpoint as ckpt
from gan_lib import losses
from gan_lib.data.images import check_images
from gan_lib.data.stream import Batch, DataStream, Source, peek
from gan_lib.regularizers import clip_weights_, gradient_penalty, r1_penalty
from gan_lib.stabilization.feature_matching import feature_matching_loss
from gan_lib.stabilization.unrolled import unroll, unrolled_forward

Precision = Literal["auto", "fp32", "bf16", "fp16"]


@dataclass
class TrainConfig:
    """Everything that defines a run. Paper presets are plain dicts of these fields."""

    steps: int = 1000  # generator steps to reach (a resumed run continues to this)
    batch_size: int = 64
    loss: str = "non_saturating"  # a name from gan_lib.losses.names()
    d_steps: int = 1  # discriminator (critic) steps per generator step: k
    lr_g: float = 2e-4
    lr_d: float = 2e-4  # TTUR: a larger lr_d than lr_g
    betas_g: tuple[float, float] = (0.5, 0.999)
    betas_d: tuple[float, float] = (0.5, 0.999)
    gp_weight: float = 0.0  # lambda of WGAN-GP (10 in Gulrajani et al.)
    r1_gamma: float = 0.0  # gamma of R1; the penalty is weighted gamma / 2
    reg_interval: int = 1  # lazy regularization: penalize every N D steps, weight * N
    clip_value: float | None = None  # WGAN weight clipping (0.01 in Arjovsky et al.)
    ema_decay: float | None = None  # e.g. 0.999; None: no EMA generator
    ema_warmup: bool = False  # decay min(ema_decay, (1 + t) / (10 + t)) at update t
    aux_weight: float = 1.0  # AC-GAN: weight of the class head's cross-entropy
    feature_matching: bool = False  # G matches D.features means (Salimans et al.)
    unroll_steps: int = 0  # K of unrolled GANs (Metz et al.); 0: plain G step
    seed: int = 0
    precision: Precision = "auto"  # auto: bf16 on CUDA, fp32 on CPU
    channels_last: bool | None = None  # None: on CUDA for 4-D (image) data
    device: str | None = None  # None: gan_lib.profiles.device()
    log_every: int = 10  # read losses from the device and check finiteness
    hook_every: int = 0  # call the hook every N steps (0: never)
    checkpoint_path: str | None = None
    checkpoint_every: int = 0  # 0: only at the end (when checkpoint_path is set)
    progress: bool = True

    def __post_init__(self) -> None:
        losses.get(self.loss)  # unknown names fail here, before any work
        positive = ("steps", "batch_size", "d_steps", "reg_interval", "log_every")
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"TrainConfig.{name} must be a positive int; got {value!r}"
                )
        for name in ("hook_every", "checkpoint_every", "unroll_steps"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"TrainConfig.{name} must be an int >= 0; got {value!r}"
                )
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
                raise ValueError(
                    f"TrainConfig.{name} must be a finite number >= 0 (0 freezes that "
                    f"player); got {value!r}"
                )
        for name in ("betas_g", "betas_d"):
            betas = tuple(getattr(self, name))
            if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
                raise ValueError(
                    f"TrainConfig.{name} must be two numbers in [0, 1); got {betas!r}"
                )
        if self.ema_decay is not None and not 0 < self.ema_decay < 1:
            raise ValueError(f"ema_decay must lie in (0, 1); got {self.ema_decay}")
        if self.feature_matching and self.unroll_steps:
            raise ValueError("feature_matching and unroll_steps > 0 cannot be combined")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise ValueError(
                f"precision must be auto, fp32, bf16 or fp16; got {self.precision!r}"
            )
        self.betas_g, self.betas_d = tuple(self.betas_g), tuple(self.betas_d)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


class Snapshot(NamedTuple):
    """What a hook sees: the step and the three networks (``G_ema`` may be ``G``)."""

    step: int
    G: nn.Module
    D: nn.Module
    G_ema: nn.Module


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


# --- performance plumbing ------------------------------------------------------------


def _autocast_dtype(precision: Precision, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain fp32 (always on CPU unless asked)."""
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def _check_conditional(G: nn.Module, D: nn.Module, data: Source) -> None:
    """A labelled run needs ``G.num_classes``, and labels in ``[0, num_classes)``."""
    num_classes = getattr(G, "num_classes", None)
    if not isinstance(num_classes, int) or num_classes < 1:
        raise AttributeError(
            "the data come with labels, so G must be conditional: an int attribute "
            "num_classes and forward(z, y)"
        )
    if isinstance(data, tuple):
        y = data[1]
        if y.min() < 0 or y.max() >= num_classes:
            raise ValueError(
                f"labels must lie in [0, G.num_classes) = [0, {num_classes}); got "
                f"[{y.min().item()}, {y.max().item()}]"
            )


def _to_device(x: Tensor, device: torch.device, channels_last: bool) -> Tensor:
    x = x.to(device, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


@torch.no_grad()
def update_ema(G_ema: nn.Module, G: nn.Module, decay: float) -> None:
    r"""``theta_ema <- decay * theta_ema + (1 - decay) * theta``; buffers are copied."""
    for p_ema, p in zip(G_ema.parameters(), G.parameters(), strict=True):
        p_ema.lerp_(p, 1 - decay)
    for b_ema, b in zip(G_ema.buffers(), G.buffers(), strict=True):
        b_ema.copy_(b)


def ema_decay_at(decay: float, warmup: bool, updates: int) -> float:
    r"""The EMA decay for update number ``updates`` (0 for the first).

    ``decay`` (:math:`\beta`) itself, or with ``warmup`` the smaller
    :math:`\min(\beta, (1 + t) / (10 + t))` (the ``num_updates`` rule of TensorFlow's
    ``ExponentialMovingAverage``): early averages forget the random initial weights
    quickly, so a short run's EMA is not dominated by them. Without warm-up, after
    :math:`t` updates the initial weights still weigh :math:`\beta^t` (0.55 for
    :math:`\beta = 0.999` after 600 steps).
    """
    return min(decay, (1 + updates) / (10 + updates)) if warmup else decay


def _all_finite(*modules: nn.Module) -> bool:
    """One device read: are all parameters of the modules finite?"""
    flags = [torch.isfinite(p).all() for m in modules for p in m.parameters()]
    return bool(torch.stack(flags).all()) if flags else True


# --- what a checkpoint holds --------------------------------------------------------


@dataclass
class RunState:
    """Everything a run changes as it trains, so everything a checkpoint must hold."""

    G: nn.Module
    D: nn.Module
    G_ema: nn.Module  # G itself when the run keeps no EMA
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    scaler_G: torch.amp.GradScaler  # only active for fp16
    scaler_D: torch.amp.GradScaler
    stream: DataStream
    config: TrainConfig
    step: int = 0
    history: dict[str, list] = field(
        default_factory=lambda: {
            "step": [],
            "loss_D": [],
            "loss_G": [],
            "penalty": [],
            "hook": [],
        }
    )

    def state_dict(self) -> dict[str, Any]:
        specs = {"G": getattr(self.G, "gan_lib_spec", None)}
        specs["D"] = getattr(self.D, "gan_lib_spec", None)
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict() if self.G_ema is not self.G else {},
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "scaler_G": self.scaler_G.state_dict(),
            "scaler_D": self.scaler_D.state_dict(),
            "data": self.stream.state_dict(),
            "rng": ckpt.rng_state(),
            "history": self.history,
            "step": self.step,
            "config": self.config.to_json(),
            "specs": json.dumps(specs),  # how to rebuild G and D (models.get)
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        if self.G_ema is not self.G:
            self.G_ema.load_state_dict(state["G_ema"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.scaler_G.load_state_dict(state["scaler_G"])
        self.scaler_D.load_state_dict(state["scaler_D"])
        self.stream.load_state_dict(state["data"])
        ckpt.set_rng_state(state["rng"])
        self.history, self.step = state["history"], state["step"]


# --- the loop ------------------------------------------------------------------------


def train(
    G: nn.Module,
    D: nn.Module,
    data: Source,
    config: TrainConfig,
    hook: Hook | None = None,
    resume: bool = True,
) -> TrainResult:
    """Train ``G`` against ``D`` on ``data``; see the module docstring.

    Args:
        G: generator, ``z: (B, G.z_dim) -> x: (B, ...)``; must have a ``z_dim``. In a
            conditional run, ``G(z, y)`` with ``y: (B,)`` int64 and an int attribute
            ``G.num_classes``.
        D: discriminator, ``x -> logits (B,)`` or ``(B, 1)``; ``D(x, y)`` in a
            conditional run. An AC-GAN discriminator returns ``(logits (B,),
            class_logits (B, K))`` and the loop adds ``config.aux_weight`` times the
            class cross-entropy (real and fake labels for D, fake labels for G).
            ``config.feature_matching`` needs ``D.features(x) -> (B, F)``.
        data: a tensor of real samples ``(N, ...)``, a pair ``(x, y)`` with labels
            ``(N,)`` int64 (a conditional run), or a callable
            ``sample(batch_size) -> (B, ...)``; see :class:`DataStream`.
        config: the run's :class:`TrainConfig`. ``config.seed`` reseeds torch's
            global generator at the start (models are built by the caller, before).
        hook: called as ``hook(Snapshot)`` every ``config.hook_every`` steps and at the
            end; a returned dict of numbers is recorded in ``history["hook"]``.
        resume: continue from ``config.checkpoint_path`` when that file exists.
    """
    if not isinstance(getattr(G, "z_dim", None), int):
        raise AttributeError("G must have an int attribute z_dim (the latent size)")
    device = torch.device(config.device) if config.device else _default_device()
    d_loss_fn, g_loss_fn = losses.get(config.loss)
    g_uses_real = losses.generator_uses_real(config.loss)
    amp_dtype = _autocast_dtype(config.precision, device)
    stream = DataStream(data, config.batch_size)  # checks data before the peek
    first = peek(data)  # before seeding: the peek does not steer the run
    conditional = isinstance(first, tuple)  # (x, y): a labelled run
    if conditional:
        _check_conditional(G, D, data)
        if config.unroll_steps:
            raise ValueError("unroll_steps is implemented for unconditional runs only")
    if config.feature_matching and not callable(getattr(D, "features", None)):
        raise AttributeError("feature_matching needs D.features(x) -> (B, F)")
    image_data = (first[0] if conditional else first).dim() == 4  # (N, C, H, W)
    if image_data:  # once, before training: pixels in 0..255 would train silently
        images = data[0] if isinstance(data, tuple) else data
        check_images(images if isinstance(images, Tensor)
                     else (first[0] if conditional else first))
    if config.channels_last is None:
        channels_last = image_data and device.type == "cuda"
    else:
        channels_last = image_data and config.channels_last
    memory_format = torch.channels_last if channels_last else torch.contiguous_format

    torch.manual_seed(config.seed)
    G.to(device, memory_format=memory_format).train()
    D.to(device, memory_format=memory_format).train()
    fp16 = amp_dtype == torch.float16
    run = RunState(
        G=G,
        D=D,
        G_ema=copy.deepcopy(G).eval().requires_grad_(False) if config.ema_decay else G,
        opt_G=torch.optim.Adam(G.parameters(), lr=config.lr_g, betas=config.betas_g),
        opt_D=torch.optim.Adam(D.parameters(), lr=config.lr_d, betas=config.betas_d),
        scaler_G=torch.amp.GradScaler(device.type, enabled=fp16),
        scaler_D=torch.amp.GradScaler(device.type, enabled=fp16),
        stream=stream,
        config=config,
    )
    opt_G, opt_D, scaler_G, scaler_D = run.opt_G, run.opt_D, run.scaler_G, run.scaler_D
    path = Path(config.checkpoint_path) if config.checkpoint_path else None
    if path is not None:
        ckpt.remove_stale_temporaries(path)  # left by a write that was killed
    if resume and path is not None and path.exists():
        run.load_state_dict(ckpt.load(path, map_location=device))

    def autocast() -> torch.autocast:
        return torch.autocast(device.type, dtype=amp_dtype, enabled=bool(amp_dtype))

    def real_batch() -> tuple[Tensor, Tensor | None]:
        batch: Batch = run.stream.next()
        x, y = batch if conditional else (batch, None)
        x = _to_device(x, device, channels_last)
        return x, (y.to(device, non_blocking=True) if conditional else None)

    def fake_batch() -> tuple[Tensor, Tensor | None]:
        z = torch.randn(config.batch_size, G.z_dim, device=device)
        if not conditional:
            return G(z), None
        y = torch.randint(G.num_classes, (config.batch_size,), device=device)
        return G(z, y), y

    def discriminate(x: Tensor, y: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """D's realness logits, and its class logits when D is an AC-GAN one."""
        out = D(x, y) if conditional else D(x)
        logits, class_logits = out if isinstance(out, tuple) else (out, None)
        return logits.float(), None if class_logits is None else class_logits.float()

    def classification(class_logits: Tensor | None, y: Tensor | None) -> Tensor:
        if class_logits is None:
            return torch.zeros((), device=device)
        return config.aux_weight * F.cross_entropy(class_logits, y)

    pending: list[Tensor] = []  # per-step (loss_D, loss_G, penalty), still on device
    d_step_count = run.step * config.d_steps
    bar = tqdm(total=config.steps, initial=run.step, disable=not config.progress)
    while run.step < config.steps:
        # ---- k discriminator steps: minimize d_loss (+ weighted penalty) ------------
        G.requires_grad_(False)
        D.requires_grad_(True)
        penalty = torch.zeros((), device=device)
        for _ in range(config.d_steps):
            x_real, y_real = real_batch()
            with torch.no_grad(), autocast():
                x_fake, y_fake = fake_batch()
            with autocast():
                real_logits, real_classes = discriminate(x_real, y_real)
                fake_logits, fake_classes = discriminate(x_fake, y_fake)
                loss_D = d_loss_fn(real_logits, fake_logits)
                loss_D = loss_D + classification(real_classes, y_real)
                loss_D = loss_D + classification(fake_classes, y_fake)
            lazy = d_step_count % config.reg_interval == 0
            if lazy and (config.gp_weight > 0 or config.r1_gamma > 0):

                def critic(x: Tensor, y: Tensor | None = y_real) -> Tensor:
                    return discriminate(x, y)[0]  # the penalties see real labels

                if config.gp_weight > 0:  # penalties run in fp32 (no autocast)
                    penalty = gradient_penalty(critic, x_real, x_fake.float())
                    loss_D = loss_D + config.gp_weight * config.reg_interval * penalty
                if config.r1_gamma > 0:
                    penalty = r1_penalty(critic, x_real)
                    loss_D = (
                        loss_D + config.r1_gamma / 2 * config.reg_interval * penalty
                    )
            opt_D.zero_grad(set_to_none=True)
            scaler_D.scale(loss_D).backward()
            scaler_D.step(opt_D)
            scaler_D.update()
            if config.clip_value is not None:
                clip_weights_(D, config.clip_value)
            d_step_count += 1

        # ---- one generator step: minimize g_loss ------------------------------------
        G.requires_grad_(True)
        D.requires_grad_(False)
        with autocast():
            x_fake, y_fake = fake_batch()
            if config.feature_matching:  # Salimans et al. (2016), Sec. 3.1
                x_real, _ = real_batch()
                loss_G = feature_matching_loss(D.features(x_real), D.features(x_fake))
            elif config.unroll_steps:  # Metz et al. (2017): G faces D after K steps
                reals = [real_batch()[0] for _ in range(config.unroll_steps)]
                fakes = [fake_batch()[0] for _ in range(config.unroll_steps)]
                params = unroll(D, opt_D, d_loss_fn, reals, fakes)
                fake_logits = unrolled_forward(D, params, x_fake).float()
                real_logits = fake_logits
                if g_uses_real:
                    real_logits = unrolled_forward(D, params, real_batch()[0]).float()
                loss_G = g_loss_fn(real_logits, fake_logits)
            else:
                fake_logits, fake_classes = discriminate(x_fake, y_fake)
                real_logits = fake_logits  # only relativistic losses read D(x_real)
                if g_uses_real:
                    real_logits = discriminate(*real_batch())[0]
                loss_G = g_loss_fn(real_logits, fake_logits)
                loss_G = loss_G + classification(fake_classes, y_fake)
        opt_G.zero_grad(set_to_none=True)
        scaler_G.scale(loss_G).backward()
        scaler_G.step(opt_G)
        scaler_G.update()
        if config.ema_decay:
            decay = ema_decay_at(config.ema_decay, config.ema_warmup, run.step)
            update_ema(run.G_ema, G, decay)
        run.step += 1
        bar.update(1)
        pending.append(torch.stack([loss_D, loss_G, penalty]).detach())

        # ---- bookkeeping: log + finiteness guard, hook, checkpoint ------------------
        step, at_end = run.step, run.step == config.steps
        due_checkpoint = path is not None and (
            at_end or (config.checkpoint_every and step % config.checkpoint_every == 0)
        )
        if step % config.log_every == 0 or at_end or due_checkpoint:
            _log_or_stop(run, pending, path)
            last = {k: f"{run.history[k][-1]:.3f}" for k in ("loss_D", "loss_G")}
            bar.set_postfix(last)
        if hook is not None and (
            at_end or (config.hook_every and step % config.hook_every == 0)
        ):
            run.G_ema.eval()
            rng = ckpt.rng_state()  # a hook's random draws must not steer the run
            with torch.no_grad():
                metrics = hook(Snapshot(step, G, D, run.G_ema))
            ckpt.set_rng_state(rng)  # (else a resumed run, hooked once more, drifts)
            G.train()  # G_ema may be G itself
            if metrics:
                run.history["hook"].append({"step": step, **metrics})
        if due_checkpoint:
            ckpt.save_atomic(run.state_dict(), path)
    bar.close()
    D.requires_grad_(True)
    return TrainResult(G=G, D=D, G_ema=run.G_ema, step=run.step, history=run.history)


def _log_or_stop(run: RunState, pending: list[Tensor], path: Path | None) -> None:
    """Move the pending losses to the history (the loop's one device read), or raise
    :class:`NonFiniteError` if a loss or a weight is NaN or infinite."""
    values = torch.stack(pending).float().cpu()  # (n, 3)
    first = run.step - len(pending) + 1
    pending.clear()
    if not torch.isfinite(values).all() or not _all_finite(run.G, run.D):
        kept = (
            "no checkpoint was written"
            if path is None
            else (f"the last good checkpoint, {path}, was left as it was")
        )
        c = run.config
        raise NonFiniteError(
            f"a loss or a weight became non-finite between steps {first} and "
            f"{run.step} (loss {c.loss!r}, lr_d {c.lr_d}, lr_g {c.lr_g}); {kept}"
        )
    history = run.history
    history["step"] += list(range(first, run.step + 1))
    history["loss_D"] += values[:, 0].tolist()
    history["loss_G"] += values[:, 1].tolist()
    history["penalty"] += values[:, 2].tolist()


def _default_device() -> torch.device:
    from gan_lib import profiles  # the loop runs without a profile too

    return profiles.device()


def load_generator(path: str | Path, ema: bool = True) -> nn.Module:
    """Rebuild the generator saved in a checkpoint (it must come from ``models.get``).

    Returns the EMA weights when the run kept an EMA and ``ema`` is true.
    """
    from gan_lib import models

    state = ckpt.load(path)
    missing = [k for k in ("specs", "G", "G_ema") if not isinstance(state, dict)
               or k not in state]
    if missing:
        found = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ckpt.CheckpointError(
            f"{path} is not a checkpoint of gan_lib.training.train: it lacks "
            f"{missing} (found {found})")
    spec = json.loads(state["specs"])["G"]
    if spec is None:
        raise ValueError(
            f"{path} holds a generator not built by gan_lib.models.get, so its "
            "constructor arguments are unknown; build it yourself and load "
            "state['G'] into it"
        )
    G = models.get(spec["name"], **spec["kwargs"])
    weights = state["G_ema"] if ema and state["G_ema"] else state["G"]
    G.load_state_dict(weights)
    return G.eval()
