"""The conditional GANs of Chapter 7: conditional batch norm, the three
discriminators' formulas, label checks, and where the label reaches."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gan_lib import models
from gan_lib.layers import ConditionalBatchNorm2d
from gan_lib.layers.conditional_batch_norm import check_labels

K = 4  # classes in these tests


def generator(**overrides) -> nn.Module:
    torch.manual_seed(0)
    kwargs = {"z_dim": 6, "num_classes": K, "channels": 1, "resolution": 16, "width": 4}
    return models.get("conditional_generator", **{**kwargs, **overrides})


def discriminator(**overrides) -> nn.Module:
    torch.manual_seed(0)
    kwargs = {"num_classes": K, "channels": 1, "resolution": 16, "width": 4}
    return models.get("conditional_discriminator", **{**kwargs, **overrides})


# --- conditional batch norm ----------------------------------------------------------


def test_cbn_at_initialization_is_plain_batch_norm_for_every_label():
    torch.manual_seed(0)
    cbn, bn = ConditionalBatchNorm2d(3, K), nn.BatchNorm2d(3)  # bn: gamma=1, beta=0
    h = torch.randn(8, 3, 5, 5) * 3 + 2
    y = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0])
    assert torch.allclose(cbn(h, y), bn(h), atol=1e-6)
    # the running statistics are updated the same way, so eval mode agrees too
    assert torch.allclose(cbn.norm.running_mean, bn.running_mean)
    assert torch.allclose(cbn.norm.running_var, bn.running_var)
    cbn.eval(), bn.eval()
    assert torch.allclose(cbn(h, y), bn(h), atol=1e-6)


def test_cbn_applies_the_rows_of_its_label():
    torch.manual_seed(1)
    cbn = ConditionalBatchNorm2d(2, K)
    with torch.no_grad():
        cbn.gamma.weight.copy_(torch.randn(K, 2))
        cbn.beta.weight.copy_(torch.randn(K, 2))
    h = torch.randn(6, 2, 3, 3)
    y = torch.tensor([3, 0, 1, 1, 2, 3])
    mean = h.mean(dim=(0, 2, 3), keepdim=True)
    var = h.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    h_hat = (h - mean) / torch.sqrt(var + 1e-5)
    gamma, beta = cbn.gamma.weight[y], cbn.beta.weight[y]  # (6, 2)
    expected = gamma[:, :, None, None] * h_hat + beta[:, :, None, None]
    assert torch.allclose(cbn(h, y), expected, atol=1e-5)


def test_cbn_gradient_reaches_exactly_the_rows_of_the_labels_present():
    cbn = ConditionalBatchNorm2d(3, K)
    h = torch.randn(4, 3, 2, 2)
    y = torch.tensor([0, 2, 2, 0])
    (cbn(h, y) * torch.randn(4, 3, 2, 2)).sum().backward()
    for table in (cbn.gamma.weight, cbn.beta.weight):
        touched = table.grad.abs().sum(dim=1) > 0  # (K,)
        assert touched.tolist() == [True, False, True, False]


# --- the three discriminators --------------------------------------------------------


def test_projection_logit_is_psi_plus_inner_product_with_the_embedding():
    D = discriminator(conditioning="projection")
    with torch.no_grad():  # a non-trivial embedding and bias
        D.embed.weight.normal_()
        D.psi.bias.fill_(0.3)
    x = torch.randn(5, 1, 16, 16)
    y = torch.tensor([0, 3, 1, 1, 2])
    phi = D.features(x)  # (5, F)
    assert phi.shape == (5, D.feature_dim)
    by_hand = phi @ D.psi.weight[0] + D.psi.bias[0]
    by_hand = by_hand + torch.stack([D.embed.weight[y[i]] @ phi[i] for i in range(5)])
    assert torch.allclose(D(x, y), by_hand, atol=1e-5)
    # changing one label changes exactly that sample's logit, by <e_a - e_b, phi>
    y2 = y.clone()
    y2[1] = 0
    delta = D(x, y2) - D(x, y)
    expected = (D.embed.weight[0] - D.embed.weight[3]) @ phi[1]
    assert torch.allclose(delta[1], expected, atol=1e-5)
    assert torch.allclose(delta[[0, 2, 3, 4]], torch.zeros(4), atol=1e-6)


def test_auxiliary_discriminator_returns_logits_and_class_logits_ignoring_y():
    D = discriminator(conditioning="auxiliary")
    x = torch.randn(5, 1, 16, 16)
    logits, class_logits = D(x, torch.zeros(5, dtype=torch.long))
    assert logits.shape == (5,) and class_logits.shape == (5, K)
    other, other_class = D(x, torch.full((5,), K - 1))
    assert torch.equal(logits, other) and torch.equal(class_logits, other_class)
    phi = D.features(x)
    assert torch.allclose(class_logits, D.classifier(phi), atol=1e-6)
    assert torch.allclose(logits, D.psi(phi).squeeze(1), atol=1e-6)


def test_concat_discriminator_sees_one_constant_plane_per_class():
    D = discriminator(conditioning="concat")
    y = torch.tensor([2, 0, 3])
    planes = D.label_planes(y)
    assert planes.shape == (3, K, 16, 16)
    for b, label in enumerate(y.tolist()):
        for k in range(K):
            assert torch.all(planes[b, k] == float(k == label))
    # the first convolution reads C + K channels, and the label changes the logit
    first = D.blocks[0].conv
    assert first.in_channels == 1 + K
    x = torch.randn(3, 1, 16, 16)
    assert not torch.allclose(D(x, y), D(x, torch.tensor([1, 1, 1])))
    # features: the trunk with the label planes zeroed
    by_hand = D.blocks(torch.cat([x, torch.zeros(3, K, 16, 16)], dim=1)).flatten(1)
    assert torch.allclose(D.features(x), by_hand)


def test_concat_generator_feeds_the_one_hot_label_to_the_first_layer():
    G = generator(conditioning="concat")
    assert G.project.in_features == 6 + K
    z = torch.randn(3, 6)
    y = torch.tensor([1, 3, 0])
    G.eval()  # running statistics: samples do not interact
    captured = {}
    hook = G.project.register_forward_hook(lambda m, i, o: captured.update(inp=i[0]))
    G(z, y)
    hook.remove()
    assert torch.equal(captured["inp"], torch.cat([z, F.one_hot(y, K).float()], 1))


@pytest.mark.parametrize("conditioning", ["concat", "cbn"])
def test_generator_output_depends_on_the_label(conditioning):
    G = generator(conditioning=conditioning)  # train mode: batch statistics
    if conditioning == "cbn":  # at initialization CBN ignores the label: perturb it
        with torch.no_grad():
            for m in G.modules():
                if isinstance(m, ConditionalBatchNorm2d):
                    m.gamma.weight.add_(0.5 * torch.randn_like(m.gamma.weight))
    z = torch.randn(4, 6)
    x0, x1 = G(z, torch.zeros(4, dtype=torch.long)), G(z, torch.ones(4).long())
    assert x0.shape == (4, 1, 16, 16) and x0.abs().max() <= 1
    assert (x0 - x1).abs().max() > 0.05 * x0.abs().max()


def test_cbn_generator_at_initialization_ignores_the_label():
    # gamma = 1, beta = 0 for every class: the label has no effect until training
    G = generator(conditioning="cbn").eval()
    z = torch.randn(4, 6)
    assert torch.equal(G(z, torch.zeros(4).long()), G(z, torch.full((4,), K - 1)))


@pytest.mark.parametrize(
    "make,embedding",
    [
        (lambda: generator(conditioning="cbn"), "gamma"),
        (lambda: discriminator(conditioning="projection"), "embed"),
    ],
)
def test_gradients_reach_the_label_embeddings(make, embedding):
    model = make()
    y = torch.tensor([1, 2])
    if isinstance(model, models.conditional.ConditionalGenerator):
        out = model(torch.randn(2, 6), y)
    else:
        out = model(torch.randn(2, 1, 16, 16), y)
    (out * torch.randn_like(out)).sum().backward()
    grads = [p.grad for n, p in model.named_parameters() if embedding in n]
    assert grads
    for grad in grads:
        rows = grad.abs().sum(dim=1) > 0
        assert rows.tolist() == [False, True, True, False]


def test_spectral_norm_reaches_the_projection_embedding():
    D = discriminator(conditioning="projection", spectral_norm=True)
    D.train()
    for _ in range(30):  # power iteration runs once per forward pass in train mode
        D(torch.randn(3, 1, 16, 16), torch.tensor([0, 1, 2]))
    sigma = torch.linalg.matrix_norm(D.embed.weight, ord=2)
    assert sigma.item() == pytest.approx(1.0, abs=1e-2)


# --- bad inputs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "y,error,match",
    [
        (torch.tensor([0, 1, 4]), ValueError, r"must lie in \[0, 4\).*from 0 to 4"),
        (torch.tensor([0, -1, 2]), ValueError, r"must lie in \[0, 4\).*from -1 to 2"),
        (torch.tensor([0.0, 1.0, 2.0]), TypeError, "int64 class indices; got dtype"),
        (torch.tensor([0, 1], dtype=torch.long), ValueError, r"shape \(3,\).*\(2,\)"),
        (torch.zeros(3, 1, dtype=torch.long), ValueError, r"shape \(3,\).*\(3, 1\)"),
        ([0, 1, 2], TypeError, "must be a tensor"),
    ],
    ids=["too-large", "negative", "float", "short", "column", "list"],
)
def test_bad_labels_are_refused_by_every_model(y, error, match):
    with pytest.raises(error, match=match):
        check_labels(y, 3, K)
    with pytest.raises(error, match=match):
        generator(conditioning="cbn")(torch.randn(3, 6), y)
    with pytest.raises(error, match=match):
        generator(conditioning="concat")(torch.randn(3, 6), y)
    for conditioning in ("concat", "projection", "auxiliary"):
        with pytest.raises(error, match=match):
            discriminator(conditioning=conditioning)(torch.randn(3, 1, 16, 16), y)


@pytest.mark.parametrize(
    "name,kwargs,match",
    [
        ("conditional_generator", {"conditioning": "projection"}, "'concat' or 'cbn'"),
        ("conditional_discriminator", {"conditioning": "cbn"}, "'auxiliary'"),
        ("conditional_generator", {"resolution": 24}, r"resolution must be one of"),
        ("conditional_discriminator", {"num_classes": 0}, "num_classes must be a"),
        ("conditional_generator", {"z_dim": 0}, "z_dim must be a positive int"),
    ],
)
def test_bad_constructor_arguments_raise(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.get(name, **kwargs)


def test_wrong_image_shape_raises_with_expected_and_actual_shape():
    D = discriminator()
    y = torch.zeros(2, dtype=torch.long)
    with pytest.raises(ValueError, match=r"\(B, 1, 16, 16\); got \(2, 3, 16, 16\)"):
        D(torch.randn(2, 3, 16, 16), y)
    with pytest.raises(ValueError, match=r"z must have shape \(B, 6\); got \(2, 5\)"):
        generator()(torch.randn(2, 5), y)


@pytest.mark.parametrize(
    ("role", "conditioning"),
    [
        ("generator", "concat"),
        ("generator", "cbn"),
        ("discriminator", "concat"),
        ("discriminator", "projection"),
        ("discriminator", "auxiliary"),
    ],
)
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_every_variant_trains_every_parameter(role, conditioning, spectral_norm):
    if role == "generator":
        if spectral_norm:
            pytest.skip("spectral norm is an option of the discriminator")
        model = generator(conditioning=conditioning)
        out = model(torch.randn(6, 6), torch.tensor([0, 1, 2, 3, 0, 1]))
    else:
        model = discriminator(conditioning=conditioning, spectral_norm=spectral_norm)
        out = model(torch.randn(6, 1, 16, 16), torch.tensor([0, 1, 2, 3, 0, 1]))
    outs = out if isinstance(out, tuple) else (out,)
    sum((o * torch.randn_like(o)).sum() for o in outs).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    ("g_conditioning", "d_conditioning"),
    [("concat", "concat"), ("cbn", "projection"), ("concat", "auxiliary")],
)
def test_the_training_loop_runs_each_conditional_recipe(g_conditioning, d_conditioning):
    from gan_lib import training

    G = generator(conditioning=g_conditioning)
    D = discriminator(conditioning=d_conditioning)
    x = torch.rand(40, 1, 16, 16) * 2 - 1
    y = torch.randint(0, K, (40,))
    config = training.TrainConfig(
        steps=3, batch_size=8, log_every=1, progress=False, device="cpu"
    )
    before = [p.detach().clone() for p in (*G.parameters(), *D.parameters())]
    result = training.train(G, D, (x, y), config)
    assert result.step == 3 and len(result.history["loss_D"]) == 3
    after = [*G.parameters(), *D.parameters()]
    assert all(not torch.equal(a, b) for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize(
    "name,conditioning",
    [
        ("conditional_generator", "concat"),
        ("conditional_generator", "cbn"),
        ("conditional_discriminator", "concat"),
        ("conditional_discriminator", "projection"),
        ("conditional_discriminator", "auxiliary"),
    ],
)
def test_every_conditioning_traces_as_one_graph(name, conditioning):
    # the label checks must not break a torch.compile graph (no data-dependent
    # Python branch on label values while compiling)
    import torch._dynamo as dynamo

    shared = {"num_classes": 10, "channels": 1, "resolution": 16, "width": 8}
    if name == "conditional_generator":
        model = models.get(name, z_dim=8, conditioning=conditioning, **shared)
        x = torch.randn(4, 8)
    else:
        model = models.get(name, conditioning=conditioning, **shared)
        x = torch.randn(4, 1, 16, 16)
    try:
        explanation = dynamo.explain(model)(x, torch.randint(10, (4,)))
    finally:
        dynamo.reset()
    assert explanation.graph_break_count == 0, explanation.break_reasons
