"""The committed StyleGAN checkpoint of Chapter 10: its record, its loading, and a
replay of its first training steps (gan_lib/benchmarks/stylegan_shapes.py)."""

from __future__ import annotations

import re

import pytest
import torch

from gan_lib.benchmarks import stylegan_shapes as setup


def test_the_record_says_how_the_checkpoint_was_made():
    record = setup.metadata()
    assert record["command"].startswith("python -m gan_lib.benchmarks.stylegan_shapes")
    assert record["seed"] == setup.SEED and record["steps"] == setup.STEPS
    assert re.fullmatch(r"[0-9a-f]{40}( \+ uncommitted changes)?", record["git_commit"]), (
        record["git_commit"])
    assert record["wall_time_s"] > 0 and record["torch"]
    assert record["generator"] == setup.GENERATOR_KWARGS
    for key in ("loss_D", "loss_G"):
        assert len(record["first_losses"][key]) == setup.RECORDED_STEPS


def test_the_checkpoint_is_small_and_loads_with_weights_only():
    assert setup.CHECKPOINT.stat().st_size < 2 * 2**20  # under 2 MB
    state = torch.load(setup.CHECKPOINT, map_location="cpu", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    G = setup.load_generator()
    assert not G.training and not any(p.requires_grad for p in G.parameters())
    assert G.mapping.w_avg.abs().sum() > 0  # the running average was trained
    with torch.no_grad():
        x = G(torch.randn(4, G.z_dim))
    assert x.shape == (4, 3, setup.RESOLUTION, setup.RESOLUTION)
    assert torch.isfinite(x).all()
    with pytest.raises(FileNotFoundError, match="regenerate"):
        setup.load_generator(setup.RESULTS / "no_such_checkpoint.pt")


def test_replaying_the_first_steps_gives_the_recorded_losses():
    """Eight steps of the script's set-up from its seed, on one thread as the script
    runs. Another CPU's vector kernels round differently, and the difference grows
    step by step; over eight steps it stays far below rtol 1e-4."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = setup.run(setup.RECORDED_STEPS, progress=False)
    finally:
        torch.set_num_threads(threads)
    recorded = setup.metadata()["first_losses"]
    replayed = setup.first_losses(result.history)
    assert set(replayed) == set(recorded)
    for key, values in recorded.items():
        torch.testing.assert_close(torch.tensor(replayed[key]), torch.tensor(values),
                                   rtol=1e-4, atol=1e-6, msg=key)
