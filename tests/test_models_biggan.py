"""BigGAN in detail (gan_lib/models/biggan.py): shapes, the hierarchical latent, the
shared embedding, the projection logit, spectral norm, self-attention at init.

Registry-wide checks (gradient flow, torch.compile, batch independence, spec) are in
tests/test_models.py.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gan_lib import models
from gan_lib.models.biggan import BigGANDiscriminator, BigGANGenerator
from gan_lib.regularizers import power_iteration

K = 3  # classes
SMALL_G = dict(z_dim=6, num_classes=K, shared_dim=4, resolution=16, width=2)
SMALL_D = dict(num_classes=K, resolution=16, width=2, attention_resolution=8)


def generator(**overrides) -> BigGANGenerator:
    torch.manual_seed(0)
    return models.get("biggan_generator", **{**SMALL_G, **overrides})


def discriminator(**overrides) -> BigGANDiscriminator:
    torch.manual_seed(0)
    return models.get("biggan_discriminator", **{**SMALL_D, **overrides})


def labels(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, K, (n,), generator=torch.Generator().manual_seed(seed))


def record_block_inputs(G: BigGANGenerator) -> list[tuple[torch.Tensor, ...]]:
    """Hooks that store each block's ``(h, condition)`` on every forward."""
    seen: list[tuple[torch.Tensor, ...]] = []
    for block in G.blocks:
        block.register_forward_pre_hook(lambda module, args: seen.append(args))
    return seen


@pytest.mark.parametrize("resolution,z_dim", [(16, 6), (32, 8)])
def test_shapes_at_16_and_32_px(resolution, z_dim):
    G = generator(resolution=resolution, z_dim=z_dim)
    D = discriminator(resolution=resolution)
    assert len(G.blocks) == z_dim // G.z_chunk_size - 1  # n blocks, n + 1 chunks
    x = G(torch.randn(4, z_dim), labels(4))
    assert x.shape == (4, 3, resolution, resolution)
    assert x.abs().max() <= 1
    assert D(x, labels(4)).shape == (4,)
    assert D.features(x).shape == (4, D.feature_dim)


def test_default_sizes_follow_biggan_32():
    G, D = BigGANGenerator(), BigGANDiscriminator()
    assert G.z_chunk_size == 30  # 120 over the input layer and 3 blocks
    assert G.linear.in_features == 30 and G.linear.out_features == 256 * 4 * 4
    assert [b.conv1.out_channels for b in G.blocks] == [256, 256, 256]
    assert G.blocks[0].norm1.gain.in_features == 128 + 30  # [shared(y), z chunk]
    assert G.attention.channels == 256 and G.attention_block == 1  # after 16 x 16
    assert [b.conv2.out_channels for b in D.blocks] == [256] * 4
    assert [b.downsample for b in D.blocks] == [True, True, False, False]
    assert D.attention_block == 0  # the only block with a 16 x 16 output
    assert [b.preactivation for b in D.blocks] == [False, True, True, True]


def test_not_hierarchical_feeds_all_of_z_to_the_input_layer():
    G = generator(hierarchical=False, z_dim=5)
    assert G.linear.in_features == 5
    assert G.blocks[0].norm1.gain.in_features == SMALL_G["shared_dim"]
    assert G(torch.randn(2, 5), labels(2)).shape == (2, 3, 16, 16)


@pytest.mark.parametrize("chunk", [0, 1, 2])
def test_each_z_chunk_reaches_only_its_own_layer(chunk):
    G = generator().eval()  # running statistics: no batch coupling
    seen = record_block_inputs(G)
    z, y = torch.randn(4, 6), labels(4)
    z_changed = z.clone()
    size = G.z_chunk_size
    z_changed[:, chunk * size : (chunk + 1) * size] += 1.0
    out, out_changed = G(z, y), G(z_changed, y)
    before, after = seen[: len(G.blocks)], seen[len(G.blocks) :]
    assert not torch.allclose(out, out_changed)
    for index in range(len(G.blocks)):
        (h, condition), (h_changed, condition_changed) = before[index], after[index]
        # chunk 0 feeds the input layer, so every block's input h changes; chunk
        # l >= 1 is block l - 1's condition, so the blocks up to l - 1 see the same h
        assert torch.equal(h, h_changed) == (chunk != 0 and index <= chunk - 1)
        assert torch.equal(condition, condition_changed) == (index != chunk - 1)


def test_every_block_reads_the_shared_embedding():
    G = generator()
    seen = record_block_inputs(G)
    y = labels(4)
    x = G(torch.randn(4, 6), y)
    conditions = [condition for _, condition in seen]
    grads = torch.autograd.grad((x * torch.randn_like(x)).sum(), conditions)
    shared_dim = SMALL_G["shared_dim"]
    for condition, grad in zip(conditions, grads):
        assert torch.equal(condition[:, :shared_dim], G.shared(y))
        assert grad[:, :shared_dim].abs().sum() > 0  # so G.shared learns from it
    # one table, named "shared" so that an orthogonal penalty can leave it out
    embeddings = [n for n, m in G.named_modules() if isinstance(m, nn.Embedding)]
    assert embeddings == ["shared"]


def test_projection_logit_is_linear_plus_inner_product_with_embedding():
    D = discriminator().eval()  # eval: spectral norm does not update between calls
    x = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    y = labels(4)
    h = D.features(x)  # (B, F)
    psi = h @ D.linear.weight[0] + D.linear.bias[0]
    expected = psi + (D.embed.weight[y] * h).sum(dim=1)
    torch.testing.assert_close(D(x, y), expected)
    assert not torch.allclose(D(x, y), D(x, (y + 1) % K))  # the label matters


def test_first_discriminator_block_has_no_leading_relu():
    D = discriminator().eval()
    x = torch.randn(2, 3, 16, 16)
    first, second = D.blocks[0], D.blocks[1]
    assert not torch.allclose(first(x), first(x.relu()))  # it sees negative pixels
    # a later block: block(h) = conv2(ReLU(conv1(ReLU(h)))) + h (identity shortcut)
    h = torch.randn(2, 8, 8, 8)
    torch.testing.assert_close(second(h) - h, second(h.relu()) - h.relu())

@pytest.mark.parametrize("build", [generator, discriminator])
def test_every_conv_and_linear_is_spectrally_normalized(build):
    model = build().train()
    g = torch.Generator().manual_seed(2)
    for _ in range(30):  # one power-iteration step per forward pass
        if isinstance(model, BigGANGenerator):
            model(torch.randn(4, 6, generator=g), labels(4))
        else:
            model(torch.randn(4, 3, 16, 16, generator=g), labels(4))
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) > 10
    for layer in layers:
        assert hasattr(layer, "parametrizations"), layer
        sigma = power_iteration(layer.weight, steps=500)
        assert sigma.item() == pytest.approx(1.0, abs=1e-2)
    # D's class embedding is normalized (SNEmbedding), G's shared one is not
    embed = model.shared if isinstance(model, BigGANGenerator) else model.embed
    assert hasattr(embed, "parametrizations") == isinstance(model, BigGANDiscriminator)


def test_attention_with_gamma_zero_is_the_identity():
    G = generator(attention_resolution=16)
    assert G.attention.gamma.item() == 0
    h = torch.randn(2, 8, 16, 16)
    assert torch.equal(G.attention(h), h)
    # the whole generator then equals the same weights without attention
    plain = generator(attention_resolution=0)
    plain.load_state_dict(G.state_dict(), strict=False)
    G.eval(), plain.eval()
    z, y = torch.randn(3, 6), labels(3)
    torch.testing.assert_close(G(z, y), plain(z, y))


@pytest.mark.parametrize("build", [generator, discriminator])
def test_attention_convolutions_learn_once_gamma_is_nonzero(build):
    # the complement of the `inactive` prefixes of tests/test_models.py
    model = build()
    with torch.no_grad():
        model.attention.gamma.fill_(0.5)
    if isinstance(model, BigGANGenerator):
        out = model(torch.randn(4, 6), labels(4))
    else:
        out = model(torch.randn(4, 3, 16, 16), labels(4))
    (out * torch.randn_like(out)).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    "build,kwargs,match",
    [
        (generator, dict(z_dim=7), "z_dim must be a multiple of 3"),
        (generator, dict(resolution=128), "resolution must be one of"),
        (generator, dict(attention_resolution=4), r"one of the block sides \[8, 16\]"),
        (discriminator, dict(attention_resolution=16), r"block sides \[8\]"),
        (discriminator, dict(width=0), "width must be a positive int"),
    ],
)
def test_bad_arguments_raise(build, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)
