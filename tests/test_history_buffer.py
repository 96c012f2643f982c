"""The image history buffer of Shrivastava et al. (2017) with CycleGAN's semantics:
store-and-return until full, then an old image with probability 1/2."""

from __future__ import annotations

import math

import pytest
import torch

from gan_lib.stabilization.history_buffer import ImageHistoryBuffer


def batches(n: int, size: int, start: int = 0) -> list[torch.Tensor]:
    """Batches of 'images' whose single pixel is their serial number."""
    return [torch.arange(start + i * size, start + (i + 1) * size).float()
            .reshape(size, 1, 1, 1) for i in range(n)]


def test_returns_its_input_until_full_and_stores_it():
    buffer = ImageHistoryBuffer(10, torch.Generator().manual_seed(0))
    for x in batches(2, 5):  # 10 images: exactly full, every one returned as is
        assert torch.equal(buffer.query(x), x)
    assert len(buffer) == 10
    assert torch.equal(buffer.images.flatten(), torch.arange(10).float())
    x = torch.tensor([10.0, 11.0, 12.0]).reshape(3, 1, 1, 1)
    y = ImageHistoryBuffer(4).query(x)  # fills part-way inside one batch
    assert torch.equal(y, x)


def test_once_full_an_old_image_comes_back_with_probability_one_half():
    buffer = ImageHistoryBuffer(50, torch.Generator().manual_seed(1))
    buffer.query(batches(1, 50)[0])
    new = old = 0
    for x in batches(400, 50, start=50):  # 20,000 queries once full
        y, x = buffer.query(x).flatten(), x.flatten()
        returned_new = y == x
        new += int(returned_new.sum())
        old += int((~returned_new).sum())
        # an old image was stored before (earlier images of the same batch count)
        assert (y[~returned_new] < x[~returned_new]).all()
    p = old / (new + old)
    sigma = math.sqrt(0.25 / (new + old))  # binomial standard error
    assert abs(p - 0.5) < 4 * sigma, p
    assert len(buffer) == 50


def test_a_replayed_image_leaves_the_pool_and_the_new_one_takes_its_slot():
    buffer = ImageHistoryBuffer(3, torch.Generator().manual_seed(2))
    buffer.query(batches(1, 3)[0])
    for x in batches(50, 1, start=3):
        before = buffer.images.clone().flatten().tolist()
        y = buffer.query(x)
        after = buffer.images.flatten().tolist()
        if y.item() == x.item():
            assert after == before
        else:
            assert y.item() in before and y.item() not in after
            assert x.item() in after


def test_capacity_zero_is_the_identity_and_bad_input_is_refused():
    buffer = ImageHistoryBuffer(0)
    x = torch.randn(7, 3, 4, 4)
    assert torch.equal(buffer.query(x), x) and len(buffer) == 0
    with pytest.raises(ValueError, match="capacity must be an int >= 0"):
        ImageHistoryBuffer(-1)
    full = ImageHistoryBuffer(2)
    full.query(torch.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match=r"holds images of shape \(1, 4, 4\)"):
        full.query(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="batch of images"):
        full.query(torch.zeros(0, 1, 4, 4))


def test_the_global_generator_and_state_dict_give_an_exact_resume():
    torch.manual_seed(0)
    straight = ImageHistoryBuffer(8)
    outputs = [straight.query(x) for x in batches(10, 4)]
    torch.manual_seed(0)
    first = ImageHistoryBuffer(8)
    resumed_outputs = [first.query(x) for x in batches(10, 4)[:5]]
    state, rng = first.state_dict(), torch.get_rng_state()
    second = ImageHistoryBuffer(8)
    second.load_state_dict(state)
    torch.set_rng_state(rng)
    resumed_outputs += [second.query(x) for x in batches(10, 4)[5:]]
    for a, b in zip(outputs, resumed_outputs, strict=True):
        assert torch.equal(a, b)
    assert torch.equal(straight.images, second.images)
    empty = ImageHistoryBuffer(8)
    empty.load_state_dict(ImageHistoryBuffer(8).state_dict())
    assert len(empty) == 0
    with pytest.raises(ValueError, match="capacity 2 cannot hold 8"):
        ImageHistoryBuffer(2).load_state_dict(state)
