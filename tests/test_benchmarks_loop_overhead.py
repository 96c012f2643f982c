"""The loop-overhead benchmark runs both loops and reports their throughput ratio."""

from __future__ import annotations

import math
import statistics

import pytest
import torch

from gan_lib.benchmarks import loop_overhead


def test_measure_times_alternating_pairs_and_reports_the_median_ratio():
    result = loop_overhead.measure(steps=2, repeats=3, batch_size=8, resolution=16,
                                   width=8, n_data=16)
    assert len(result["pairs"]) == len(result["ratios"]) == 3
    for pair, ratio in zip(result["pairs"], result["ratios"]):
        assert set(pair) == {"library", "bare"}
        assert all(math.isfinite(v) and v > 0 for v in pair.values())
        assert ratio == pytest.approx(pair["library"] / pair["bare"])
    assert result["median"] == statistics.median(result["ratios"])


def test_the_bare_loop_trains_both_players():
    G, D = loop_overhead.build(0, resolution=16, width=8)
    before_G = [p.detach().clone() for p in G.parameters()]
    before_D = [p.detach().clone() for p in D.parameters()]
    x = torch.rand(16, 3, 16, 16) * 2 - 1
    loop_overhead.bare_loop(G, D, x, steps=2, batch_size=8)
    assert any(not torch.equal(a, b) for a, b in zip(before_G, G.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(before_D, D.parameters()))


def test_measure_refuses_an_empty_run():
    with pytest.raises(ValueError, match="steps and repeats must be >= 1"):
        loop_overhead.measure(steps=0)
