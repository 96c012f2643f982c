"""Every registered model: output shapes, gradient flow, the registry's contract.

A new model family adds its small test arguments to ``SMALL`` below;
``test_every_registered_model_has_small_test_arguments`` fails until it does.
"""

from __future__ import annotations

import json
from typing import Callable

import pytest
import torch
from torch import nn

from gan_lib import models
from gan_lib.errors import UnknownNameError
from gan_lib.models import registry
from gan_lib.regularizers import power_iteration

BATCH = 5


class Case:
    """How to build a small instance and feed it, and the output shape expected.

    A conditional model also gets ``make_labels``: it is then called as
    ``model(x, y)`` with the labels ``y`` it draws (see :func:`call`). ``inactive``:
    prefixes of parameters the built instance does not run (a fully grown ProGAN's
    earlier toRGB / fromRGB layers; tests/test_models_progan.py covers them).
    """

    def __init__(
        self,
        kwargs: dict,
        make_input: Callable[[torch.Generator], torch.Tensor],
        out_shape: tuple[int, ...],
        role: str,
        make_labels: Callable[[torch.Generator], torch.Tensor] | None = None,
        inactive: tuple[str, ...] = (),
    ) -> None:
        self.kwargs, self.make_input, self.inactive = kwargs, make_input, inactive
        self.out_shape, self.role = out_shape, role
        self.make_labels = make_labels


def randn(*shape: int) -> Callable[[torch.Generator], torch.Tensor]:
    return lambda g: torch.randn(*shape, generator=g)


def randint(high: int, n: int) -> Callable[[torch.Generator], torch.Tensor]:
    return lambda g: torch.randint(0, high, (n,), generator=g)


def call(model: nn.Module, case: Case, x: torch.Tensor) -> torch.Tensor:
    """``model(x)``, or ``model(x, y)`` with the case's labels (always the same ones);
    an AC-GAN discriminator's ``(logits (B,), class_logits (B, K))`` come back
    joined as ``(B, 1 + K)``, the realness logit in column 0."""
    if case.make_labels is None:
        return model(x)
    out = model(x, case.make_labels(torch.Generator().manual_seed(0)))
    if isinstance(out, tuple):
        logits, class_logits = out
        return torch.cat([logits[:, None], class_logits], dim=1)
    return out


SMALL: dict[str, Case] = {
    # the other conditionings are tested in tests/test_models_conditional.py
    # SelfAttention's gain gamma starts at 0 (BigGAN-PyTorch layers.py Attention):
    # a fresh attention layer is the identity, so its four convolutions get exactly
    # zero gradient at initialization (gamma itself gets one); the model stays as
    # the paper builds it and tests/test_models_biggan.py checks those gradients
    # with gamma != 0
    "biggan_discriminator": Case(
        dict(num_classes=3, channels=3, resolution=16, width=2, attention_resolution=8),
        randn(BATCH, 3, 16, 16),
        (BATCH,),
        "discriminator",
        make_labels=randint(3, BATCH),
        inactive=tuple(f"attention.{conv}." for conv in ("theta", "phi", "g", "o")),
    ),
    "biggan_generator": Case(
        dict(z_dim=6, num_classes=3, shared_dim=4, resolution=16, width=2),
        randn(BATCH, 6),
        (BATCH, 3, 16, 16),
        "generator",
        make_labels=randint(3, BATCH),
        inactive=tuple(f"attention.{conv}." for conv in ("theta", "phi", "g", "o")),
    ),
    "conditional_discriminator": Case(
        dict(
            num_classes=3, channels=1, resolution=16, width=4, conditioning="auxiliary"
        ),
        randn(BATCH, 1, 16, 16),
        (BATCH, 1 + 3),  # realness logit and 3 class logits (see call)
        "discriminator",
        make_labels=randint(3, BATCH),
    ),
    "conditional_generator": Case(
        dict(z_dim=6, num_classes=3, channels=1, resolution=16, width=4),
        randn(BATCH, 6),
        (BATCH, 1, 16, 16),
        "generator",
        make_labels=randint(3, BATCH),
    ),
    "dcgan_generator": Case(
        dict(z_dim=6, channels=1, resolution=16, width=4),
        randn(BATCH, 6),
        (BATCH, 1, 16, 16),
        "generator",
    ),
    "dcgan_discriminator": Case(
        dict(channels=3, resolution=16, width=4),
        randn(BATCH, 3, 16, 16),
        (BATCH,),
        "discriminator",
    ),
    # a PatchGAN returns a map of patch logits (B, 1, H', W'), not one logit per
    # sample: tests/test_models_pix2pix.py checks it
    "patchgan_discriminator": Case(
        dict(in_channels=4, num_layers=2, base_channels=4),
        randn(BATCH, 4, 16, 16),
        (BATCH, 1, 2, 2),  # 16 / 2**2 - 2
        "patch_discriminator",
    ),
    "progan_generator": Case(
        dict(z_dim=8, channels=3, resolution=16, fmap_base=64, fmap_max=16),
        randn(BATCH, 8),
        (BATCH, 3, 16, 16),  # fully grown when built
        "generator",
        inactive=("to_rgb.0.", "to_rgb.1."),
    ),
    "progan_discriminator": Case(
        dict(channels=3, resolution=16, fmap_base=64, fmap_max=16, stddev_group=5),
        randn(BATCH, 3, 16, 16),
        (BATCH,),
        "discriminator",
        inactive=("from_rgb.0.", "from_rgb.1."),
    ),
    # an image-to-image generator: tests/test_models_cyclegan.py covers the rest
    "resnet_generator": Case(
        dict(in_channels=1, out_channels=3, base_channels=4, num_blocks=2),
        randn(BATCH, 1, 16, 16),
        (BATCH, 3, 16, 16),
        "translator",
    ),
    "srgan_discriminator": Case(
        dict(in_channels=3, image_size=16, channels=4, hidden=8),
        randn(BATCH, 3, 16, 16),
        (BATCH,),
        "discriminator",
    ),
    "srresnet_generator": Case(
        dict(in_channels=3, upscale_factor=4, num_blocks=1, channels=4),
        randn(BATCH, 3, 4, 4),
        (BATCH, 3, 16, 16),
        "translator",  # fed an LR image, not z
    ),
    "stylegan_generator": Case(
        dict(z_dim=8, w_dim=8, channels=3, resolution=8, fmap_base=32, fmap_max=8,
             mapping_layers=2),
        randn(BATCH, 8),
        (BATCH, 3, 8, 8),
        "generator",
    ),
    "stylegan2_generator": Case(
        dict(z_dim=6, w_dim=4, channels=1, resolution=16, fmap_base=64, fmap_max=8,
             mapping_layers=1),
        randn(BATCH, 6),
        (BATCH, 1, 16, 16),
        "generator",
    ),
    "stylegan2_discriminator": Case(
        dict(channels=3, resolution=16, fmap_base=64, fmap_max=16, stddev_group=5),
        randn(BATCH, 3, 16, 16),
        (BATCH,),
        "discriminator",
    ),
    # an image-to-image generator takes a source image, not z; dropout off here,
    # since the tests below compare two forward passes in training mode
    # (tests/test_models_pix2pix.py covers the dropout)
    "unet_generator": Case(
        dict(in_channels=1, out_channels=3, image_size=16, base_channels=4,
             max_channels=8, dropout=0.0),
        randn(BATCH, 1, 16, 16),
        (BATCH, 3, 16, 16),
        "translator",
    ),
    "mlp_generator": Case(
        dict(z_dim=3, out_dim=2, hidden=16, n_layers=2),
        randn(BATCH, 3),
        (BATCH, 2),
        "generator",
    ),
    "mlp_discriminator": Case(
        dict(in_dim=2, hidden=16, n_layers=2),
        randn(BATCH, 2),
        (BATCH,),
        "discriminator",
    ),
}


def build(name: str, **overrides) -> nn.Module:
    torch.manual_seed(0)
    return models.get(name, **{**SMALL[name].kwargs, **overrides})


def test_every_registered_model_has_small_test_arguments():
    assert set(models.names()) <= set(SMALL), "add the new model to SMALL"
    assert models.names() == sorted(models.names())


@pytest.mark.parametrize("name", models.names())
def test_output_shape_and_dtype(name):
    case = SMALL[name]
    model = build(name)
    out = call(model, case, case.make_input(torch.Generator().manual_seed(1)))
    assert out.shape == case.out_shape
    assert out.dtype == torch.float32 and torch.isfinite(out).all()


@pytest.mark.parametrize("name", models.names())
def test_gradients_flow_to_every_parameter(name):
    case = SMALL[name]
    model = build(name)
    g = torch.Generator().manual_seed(2)
    out = call(model, case, case.make_input(g))
    (out * torch.randn(out.shape, generator=g)).sum().backward()
    named = [(n, p) for n, p in model.named_parameters()
             if not n.startswith(case.inactive)]
    assert named, "a model with no parameters cannot be trained"
    for param_name, p in named:
        assert p.grad is not None, f"no gradient reaches {param_name}"
        assert torch.isfinite(p.grad).all(), param_name
        assert p.grad.abs().sum().item() > 0, f"zero gradient at {param_name}"


@pytest.mark.parametrize("name", models.names())
def test_forward_traces_as_one_graph_for_torch_compile(name):
    # torch.compile-friendly: no graph break (a host sync such as .item(), Python
    # control flow on tensor values) anywhere in forward
    import torch._dynamo as dynamo

    case = SMALL[name]
    model = build(name)
    x = case.make_input(torch.Generator().manual_seed(4))
    args = (
        (x,) if case.make_labels is None else (x, case.make_labels(torch.Generator()))
    )
    try:
        explanation = dynamo.explain(model)(*args)
    finally:
        dynamo.reset()
    reasons = [str(b.reason)[:200] for b in explanation.break_reasons]
    assert explanation.graph_break_count == 0, reasons
    assert explanation.graph_count == 1


@pytest.mark.parametrize("name", models.names())
def test_output_depends_on_each_sample_only(name):
    # batch independence: sample i's output does not change when sample j does,
    # unless the model holds a layer that mixes samples on purpose (minibatch stddev)
    case = SMALL[name]
    model = build(name).eval()
    x = case.make_input(torch.Generator().manual_seed(3))
    y = x.clone()
    y[1:] = y[1:] + 1.0
    mixes = any(getattr(m, "mixes_samples", False) for m in model.modules())
    same = torch.allclose(call(model, case, x)[0], call(model, case, y)[0])
    assert same != mixes
    assert not torch.allclose(call(model, case, x)[1:], call(model, case, y)[1:])


@pytest.mark.parametrize("name", models.names())
def test_spec_is_recorded_and_rebuilds_the_same_architecture(name):
    model = build(name)
    spec = model.gan_lib_spec
    assert spec == {"name": name, "kwargs": SMALL[name].kwargs}
    spec = json.loads(json.dumps(spec))  # what a checkpoint stores
    rebuilt = models.get(spec["name"], **spec["kwargs"])
    rebuilt.load_state_dict(model.state_dict())  # same parameter names and shapes
    case = SMALL[name]
    x = case.make_input(torch.Generator().manual_seed(4))
    assert torch.equal(call(rebuilt, case, x), call(model, case, x))


@pytest.mark.parametrize(
    "name", [n for n in models.names() if SMALL[n].role == "discriminator"]
)
def test_discriminators_return_one_logit_per_sample_unbounded(name):
    model, case = build(name), SMALL[name]
    x = case.make_input(torch.Generator().manual_seed(5)) * 50
    logits = call(model, case, x)
    if logits.dim() == 2:  # AC-GAN: the realness logit is column 0 (see call)
        logits = logits[:, 0]
    assert logits.shape == (BATCH,)
    # logits, not probabilities: a large input leaves [0, 1]
    assert ((logits < 0) | (logits > 1)).any()


@pytest.mark.parametrize(
    "name", [n for n in models.names() if SMALL[n].role == "generator"]
)
def test_generators_expose_z_dim(name):
    model = build(name)
    z_dim = SMALL[name].make_input(torch.Generator()).shape[1]
    assert model.z_dim == z_dim


# --- the MLPs in detail ------------------------------------------------------------


def test_mlp_depth_width_and_activation_follow_arguments():
    model = models.get(
        "mlp_generator", z_dim=3, out_dim=2, hidden=7, n_layers=4, activation="tanh"
    )
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (3, 7),
        (7, 7),
        (7, 7),
        (7, 7),
        (7, 2),
    ]
    assert sum(isinstance(m, nn.Tanh) for m in model.modules()) == 4
    d = models.get("mlp_discriminator", in_dim=2, hidden=4, n_layers=1)
    slopes = [m.negative_slope for m in d.modules() if isinstance(m, nn.LeakyReLU)]
    assert slopes == [0.2]
    n_params = sum(p.numel() for p in d.parameters())
    assert n_params == (2 * 4 + 4) + (4 * 1 + 1)


def test_mlp_with_no_hidden_layer_is_affine():
    model = models.get("mlp_discriminator", in_dim=3, hidden=8, n_layers=0)
    linear = model.net[0]
    x = torch.randn(4, 3)
    expected = x @ linear.weight[0] + linear.bias[0]
    assert torch.allclose(model(x), expected)


def test_spectral_norm_discriminator_is_one_lipschitz():
    model = build("mlp_discriminator", spectral_norm=True, hidden=32)
    assert model.gan_lib_spec["kwargs"]["spectral_norm"] is True
    model.train()
    g = torch.Generator().manual_seed(6)
    for _ in range(30):  # one power-iteration step per forward pass
        model(torch.randn(BATCH, 2, generator=g))
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 3
    for layer in linears:
        sigma = power_iteration(layer.weight, steps=500)
        assert sigma.item() == pytest.approx(1.0, abs=1e-3)
    x = torch.randn(200, 2, generator=g, requires_grad=True)
    (grad,) = torch.autograd.grad(model(x).sum(), x)
    assert grad.norm(dim=1).max().item() <= 1.0 + 1e-3
    # gradients reach the unnormalized weights behind the parametrization
    model(x.detach()).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    "name,kwargs,match",
    [
        ("mlp_generator", dict(hidden=0), "hidden must be a positive int"),
        ("mlp_generator", dict(z_dim=2.5), "z_dim must be a positive int"),
        ("mlp_generator", dict(n_layers=-1), "n_layers must be a non-negative int"),
        ("mlp_discriminator", dict(activation="sigmoid"), "activation must be one of"),
    ],
)
def test_bad_constructor_arguments_raise(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.get(name, **kwargs)


def test_wrong_input_shape_raises_with_expected_and_actual_shape():
    g = build("mlp_generator")
    with pytest.raises(ValueError, match=r"z must have shape \(N, 3\); got \(5, 4\)"):
        g(torch.randn(5, 4))
    d = build("mlp_discriminator")
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\) .*; got \(5,\)"):
        d(torch.randn(5))


# --- the registry ------------------------------------------------------------------


@pytest.fixture
def scratch_registry(monkeypatch):
    """A copy of the registry, so that test registrations do not leak."""
    monkeypatch.setattr(registry, "_BUILDERS", dict(registry._BUILDERS))


def test_registry_refuses_duplicate_names(scratch_registry):
    @models.register("tiny_test_model")
    def tiny(width: int = 2) -> nn.Module:
        return nn.Linear(width, 1)

    assert "tiny_test_model" in models.names()
    assert models.get("tiny_test_model", width=3).in_features == 3
    with pytest.raises(ValueError, match="'tiny_test_model' is already registered"):
        models.register("tiny_test_model")(tiny)
    with pytest.raises(ValueError, match="'mlp_generator' is already registered"):
        models.register("mlp_generator")(tiny)
    assert models.get("mlp_generator", **SMALL["mlp_generator"].kwargs).z_dim == 3


@pytest.mark.parametrize("exception", [KeyError, ValueError, UnknownNameError])
def test_unknown_model_name_lists_known_names(exception):
    with pytest.raises(exception) as info:
        models.get("mlp_gen")
    message = str(info.value)
    assert "'mlp_gen'" in message
    for name in models.names():
        assert name in message


@pytest.mark.parametrize(
    "kwargs",
    [dict(hidden=torch.tensor(8)), dict(activation=nn.ReLU), dict(hidden={1, 2})],
    ids=["tensor", "class", "set"],
)
def test_non_json_keyword_arguments_are_refused(kwargs):
    with pytest.raises(TypeError, match="JSON-serializable"):
        models.get("mlp_generator", **kwargs)
