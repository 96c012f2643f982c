"""What defines a run: :class:`TrainConfig`, and the papers' settings as named presets.

A preset is a plain dict (data, not code): the generator's and the discriminator's
registry names and keyword arguments (the data set fills in ``channels`` and
``resolution``), the :class:`TrainConfig` fields of the paper's recipe, and, for a game
the config's flags cannot describe, the objective's spec
(:func:`gan_lib.training.objectives.build`). ``python -m gan_lib.train --preset NAME`` reads them; so can anyone::

    spec = preset("wgan_gp")
    config = TrainConfig(**{**spec["train"], "steps": 2000})
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

from gan_lib import losses
from gan_lib.errors import UnknownNameError, check_int_at_least, check_positive_int

Precision = Literal["auto", "fp32", "bf16", "fp16"]


@dataclass
class TrainConfig:
    """Everything that defines a run. Paper presets are plain dicts of these fields."""

    steps: int = 1000  # generator steps to reach (a resumed run continues to this)
    batch_size: int = 64  # the global batch (split across ranks under torchrun)
    loss: str = "non_saturating"  # a name from gan_lib.losses.names()
    d_steps: int = 1  # discriminator (critic) steps per generator step: k
    lr_g: float = 2e-4
    lr_d: float = 2e-4  # TTUR: a larger lr_d than lr_g
    betas_g: tuple[float, float] = (0.5, 0.999)
    betas_d: tuple[float, float] = (0.5, 0.999)
    gp_weight: float = 0.0  # lambda of WGAN-GP (10 in Gulrajani et al.)
    r1_gamma: float = 0.0  # gamma of R1; the penalty is weighted gamma / 2
    reg_interval: int = 1  # lazy regularization: a penalty step every N D steps
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
    sync_batchnorm: bool = False  # under torchrun: batch statistics over all ranks
    log_every: int = 10  # read losses from the device and check finiteness
    hook_every: int = 0  # call the hook every N steps (0: never)
    checkpoint_path: str | None = None
    checkpoint_every: int = 0  # 0: only at the end (when checkpoint_path is set)
    progress: bool = True

    def __post_init__(self) -> None:
        losses.get(self.loss)  # unknown names fail here, before any work
        for name in ("steps", "batch_size", "d_steps", "reg_interval", "log_every"):
            check_positive_int(f"TrainConfig.{name}", getattr(self, name))
        for name in ("hook_every", "checkpoint_every", "unroll_steps"):
            check_int_at_least(f"TrainConfig.{name}", getattr(self, name), 0)
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < math.inf:
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
        if self.precision not in get_args(Precision):
            raise ValueError(
                f"precision must be one of {get_args(Precision)}; got "
                f"{self.precision!r}"
            )
        # floats: torch's Adam refuses a pair that mixes an int and a float, (0, 0.99)
        self.betas_g = tuple(float(b) for b in self.betas_g)
        self.betas_d = tuple(float(b) for b in self.betas_d)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


# --- the papers' recipes -------------------------------------------------------------
#
# "G" and "D": registry name + keyword arguments (channels, resolution from the data);
# "train": TrainConfig fields. Each comment names the paper and where the numbers are.

PRESETS: dict[str, dict[str, Any]] = {
    "dcgan": {  # Radford et al. (2016), Sec. 4: Adam 2e-4, beta1 0.5, batch 128
        "about": "DCGAN: non-saturating loss, Adam 2e-4 (0.5, 0.999), batch 128",
        "G": {"name": "dcgan_generator", "z_dim": 100, "width": 64},
        "D": {"name": "dcgan_discriminator", "width": 64},
        "train": {"loss": "non_saturating", "batch_size": 128, "lr_g": 2e-4,
                  "lr_d": 2e-4, "betas_g": (0.5, 0.999), "betas_d": (0.5, 0.999)},
    },
    "wgan_gp": {  # Gulrajani et al. (2017), Algorithm 1: lambda 10, n_critic 5,
        # Adam 1e-4 (0, 0.9), batch 64; no batch norm in the critic (Sec. 4: the
        # penalty is per sample, which batch norm's coupling of samples breaks)
        "about": "WGAN-GP: Wasserstein loss, lambda 10, 5 critic steps, Adam 1e-4 "
                 "(0, 0.9), batch 64",
        "G": {"name": "dcgan_generator", "z_dim": 128, "width": 64},
        "D": {"name": "dcgan_discriminator", "width": 64, "batch_norm": False},
        "train": {"loss": "wasserstein", "gp_weight": 10.0, "d_steps": 5,
                  "batch_size": 64, "lr_g": 1e-4, "lr_d": 1e-4,
                  "betas_g": (0.0, 0.9), "betas_d": (0.0, 0.9)},
    },
    "lsgan": {  # Mao et al. (2017), Sec. 4: a = 0, b = c = 1, Adam 2e-4, beta1 0.5
        "about": "LSGAN: least-squares loss (0-1-1 coding), Adam 2e-4 (0.5, 0.999)",
        "G": {"name": "dcgan_generator", "z_dim": 100, "width": 64},
        "D": {"name": "dcgan_discriminator", "width": 64},
        "train": {"loss": "least_squares", "batch_size": 64, "lr_g": 2e-4,
                  "lr_d": 2e-4, "betas_g": (0.5, 0.999), "betas_d": (0.5, 0.999)},
    },
    "hinge_sn": {  # Miyato et al. (2018), Table 1 setting B with the hinge loss
        # (their best standard-CNN row): Adam 1e-4 (0.5, 0.999), n_dis 1, batch 64
        "about": "SN-GAN: hinge loss, spectral normalization in D, Adam 1e-4 "
                 "(0.5, 0.999), 1 D step",
        "G": {"name": "dcgan_generator", "z_dim": 128, "width": 64},
        "D": {"name": "dcgan_discriminator", "width": 64, "spectral_norm": True},
        "train": {"loss": "hinge", "batch_size": 64, "lr_g": 1e-4, "lr_d": 1e-4,
                  "betas_g": (0.5, 0.999), "betas_d": (0.5, 0.999)},
    },
    "progan": {  # Karras et al. (2018); progressive_growing_of_gans/config.py and
        # train.py: Adam 1e-3 (0, 0.99, eps 1e-8), minibatch 16 at low resolution,
        # G_smoothing 0.999 (EMA), 600 kimg per fade and per stable phase (37,500
        # steps of 16); loss.py: WGAN-GP, lambda 10, wgan_epsilon (drift) 0.001
        "about": "ProGAN: grown 4 px -> full size, WGAN-GP with drift, Adam 1e-3 "
                 "(0, 0.99), EMA 0.999",
        "G": {"name": "progan_generator", "z_dim": 512, "fmap_base": 8192,
              "fmap_max": 512},
        "D": {"name": "progan_discriminator", "fmap_base": 8192, "fmap_max": 512},
        "train": {"batch_size": 16, "lr_g": 1e-3, "lr_d": 1e-3,
                  "betas_g": (0.0, 0.99), "betas_d": (0.0, 0.99), "ema_decay": 0.999},
        "objective": {
            "name": "progressive", "fade_steps": 37_500, "stable_steps": 37_500,
            "inner": {"name": "adversarial", "loss": "wasserstein", "gp_weight": 10.0,
                      "drift": 0.001, "penalty_through_batch_layers": True},
        },
    },
    "stylegan2": {  # Karras et al. (2020), config F; stylegan2-ada-pytorch train.py
        # cfg "stylegan2": batch 32, lrate 0.002, gamma 10, ema 10 kimg
        # (beta = 0.5 ** (32 / 10_000)), map 8, mbstd 4, fmaps 1 (channel_base 32768,
        # i.e. nf = 32768 / resolution: fmap_base 16384 here), Adam (0, 0.99)
        "about": "StyleGAN2: non-saturating, lazy R1 (gamma 10, every 16) and path "
                 "length (2, every 4), style mixing 0.9, Adam 2e-3 (0, 0.99)",
        "G": {"name": "stylegan2_generator", "z_dim": 512, "w_dim": 512,
              "fmap_base": 16384, "fmap_max": 512, "mapping_layers": 8},
        "D": {"name": "stylegan2_discriminator", "fmap_base": 16384, "fmap_max": 512},
        "train": {"batch_size": 32, "lr_g": 2e-3, "lr_d": 2e-3,
                  "betas_g": (0.0, 0.99), "betas_d": (0.0, 0.99),
                  "ema_decay": 0.5 ** (32 / 10_000)},
        "objective": {"name": "stylegan2", "r1_gamma": 10.0},
    },
    "biggan": {  # BigGAN-PyTorch launch_BigGAN_bs256x8.sh (ImageNet 128 px): batch
        # 256 x 8 accumulations = 2048, 1 D step, G_lr 1e-4, D_lr 4e-4, betas (0, 0.999)
        # (its adam_eps 1e-6 is not a TrainConfig field: 1e-8 here), G_ch = D_ch = 96,
        # dim_z 120, shared_dim 128, hier, EMA 0.9999 (utils.ema default); hinge loss.
        # The script sets G_ortho 0.0; we keep the paper's orthogonal term, beta 1e-4
        # (Brock et al., 2019, Sec. 3.1), which Chapter 12 studies
        "about": "BigGAN: conditional hinge loss, projection D, orthogonal reg. 1e-4, "
                 "Adam 1e-4 / 4e-4 (0, 0.999), EMA 0.9999",
        "G": {"name": "biggan_generator", "z_dim": 120, "shared_dim": 128,
              "width": 96},
        "D": {"name": "biggan_discriminator", "width": 96},
        "train": {"batch_size": 2048, "lr_g": 1e-4, "lr_d": 4e-4,
                  "betas_g": (0.0, 0.999), "betas_d": (0.0, 0.999),
                  "ema_decay": 0.9999},
        "objective": {"name": "biggan", "ortho_weight": 1e-4},
        "conditional": True,
    },
}


def preset_names() -> list[str]:
    """The presets :func:`preset` knows, sorted."""
    return sorted(PRESETS)


def preset(name: str) -> dict[str, Any]:
    """A copy of the preset ``name``: ``{"about", "G", "D", "train"}`` and, for a game
    beyond the config's flags, ``"objective"``."""
    if name not in PRESETS:
        raise UnknownNameError("preset", name, preset_names())
    return copy.deepcopy(PRESETS[name])
