"""The labs' floors on trained networks, held to the committed sweep.

For every registered check (gan_lib/benchmarks/lab_checks/chNN.py) the committed CSV
must hold the healthy run for >= 10 seeds in smoke and >= 4 in cpu under each of the
three CPU kernel sets; every healthy run must pass every bound, and every broken run
must fail at least one. A floor changed without a sweep behind it fails here.
"""

from __future__ import annotations

import math

import pytest

from gan_lib.benchmarks import lab_checks
from gan_lib.benchmarks.lab_checks import broken, results
from gan_lib.benchmarks.lab_checks.registry import Bound, Check, register
from gan_lib.errors import UnknownNameError

MIN_SEEDS = {"smoke": 10, "cpu": 4}
KEYS = lab_checks.names()


def test_checks_are_registered():
    assert "ch01.ring" in KEYS and "ch01.gan_1d" in KEYS


@pytest.mark.parametrize("key", KEYS)
def test_smoke_is_always_swept(key: str):
    """CI runs the labs in smoke: those floors may never go unswept."""
    assert "smoke" in lab_checks.get(key).swept


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("profile", sorted(MIN_SEEDS))
def test_sweep_covers_every_capability(key: str, profile: str):
    check = lab_checks.get(key)
    if check.pending(profile):
        pytest.skip(f"{key}: its {profile} sweep is still to run (Check.swept)")
    rows = results.read(check.lab)
    healthy = results.runs(rows, key, lab_checks.OK, profile)
    for capability in results.CAPABILITIES:
        seeds = {seed for cap, seed in healthy if cap == capability}
        assert len(seeds) >= MIN_SEEDS[profile], (
            f"{key}: {len(seeds)} healthy {profile} runs under {capability} in "
            f"{results.csv_path(check.lab).name}; the floors need >= "
            f"{MIN_SEEDS[profile]} (python -m gan_lib.benchmarks.lab_checks "
            f"--labs {check.lab})")
        assert check.lab_seed in seeds, f"{key}: the lab's own seed was not swept"
    for run in healthy.values():
        missing = {b.quantity for b in check.bounds} - set(run)
        assert not missing, f"{key}: the sweep lacks {missing}"


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("profile", sorted(MIN_SEEDS))
def test_every_healthy_run_passes_every_bound(key: str, profile: str):
    check = lab_checks.get(key)
    if check.pending(profile):
        pytest.skip(f"{key}: its {profile} sweep is still to run (Check.swept)")
    rows = results.read(check.lab)
    failed = {
        run: check.failures(values, profile)
        for run, values in results.runs(rows, key, lab_checks.OK, profile).items()
        if check.failures(values, profile)
    }
    assert not failed, f"{key} ({profile}): healthy runs fail their floors: {failed}"


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("profile", sorted(MIN_SEEDS))
def test_every_broken_run_fails_a_bound(key: str, profile: str):
    check = lab_checks.get(key)
    if check.pending(profile):
        pytest.skip(f"{key}: its {profile} sweep is still to run (Check.swept)")
    if not check.variants:
        pytest.fail(f"{key} declares no broken variant: nothing shows it can fail")
    rows = results.read(check.lab)
    for variant in check.variants:
        runs = results.runs(rows, key, variant, profile)
        assert runs, f"{key}: no {profile} run of the broken variant {variant!r}"
        passing = [run for run, values in runs.items()
                   if not check.failures(values, profile)]
        assert not passing, f"{key}: broken {variant!r} passes every bound: {passing}"


@pytest.mark.parametrize("key", KEYS)
def test_gpu_floors_are_no_tighter_than_the_cpu_evidence(key: str):
    check = lab_checks.get(key)
    has_gpu_sweep = any(r["profile"] == "gpu" and r["check"] == key
                        for r in results.read(check.lab))
    for b in check.bounds:
        if b.gpu is None or has_gpu_sweep:
            continue
        looser = b.gpu <= b.cpu if b.op in (">=", ">") else b.gpu >= b.cpu
        assert looser, f"{key}.{b.quantity}: gpu {b.gpu} is tighter than cpu {b.cpu}"


def test_bound_semantics():
    b = Bound("modes", ">=", smoke=5, cpu=6, gpu=None)
    assert b.value("smoke") == 5 and b.value("gpu") == 6  # gpu falls back to cpu
    assert b.holds(5, "smoke") and not b.holds(5, "cpu")
    assert not b.holds(math.nan, "smoke")
    assert "FAILS" in b.explain(4, "smoke") and "holds" in b.explain(7, "cpu")
    with pytest.raises(UnknownNameError, match="known"):
        Bound("x", "=>", smoke=1, cpu=1)
    with pytest.raises(UnknownNameError, match="profile"):
        b.value("tpu")


def test_check_failures_and_registry_errors():
    check = lab_checks.get("ch01.ring")
    assert check.failures({"modes": 8, "high_quality": 0.9}, "smoke") == []
    assert len(check.failures({"modes": 1, "high_quality": 0.0}, "smoke")) == 2
    with pytest.raises(KeyError, match="lack"):
        check.failures({"modes": 8}, "smoke")
    with pytest.raises(UnknownNameError, match="ch01.ring"):
        lab_checks.get("ch01.rign")
    with pytest.raises(ValueError, match="already registered"):
        register(Check(lab="ch01", name="ring", run=check.run, bounds=()))


def test_results_merge_replaces_only_rerun_runs(tmp_path):
    row = dict(lab="ch99", check="ch99.x", variant="ok", profile="smoke",
               capability="AVX2", seed=0, quantity="q", value=1.0, seconds=0.1,
               torch="t")
    old = [row, {**row, "seed": 1}]
    new = [{**row, "value": 2.0}]
    merged = results.merge(old, new)
    assert sorted((r["seed"], r["value"]) for r in merged) == [(0, 2.0), (1, 1.0)]
    results.write(merged, tmp_path / "x.csv")
    back = results.read("ch99", tmp_path / "x.csv")
    assert [(r["seed"], r["value"]) for r in back] == [(0, 2.0), (1, 1.0)]


def test_broken_generators_break_as_named():
    import torch
    from gan_lib import models

    torch.manual_seed(0)
    G = models.get("mlp_generator", z_dim=2, out_dim=2)
    z = torch.randn(5, 2)
    flipped = broken.SignFlipped(G)
    assert torch.equal(flipped(z), G(z)) and flipped.z_dim == 2
    w = next(G.parameters())
    (g_plain,) = torch.autograd.grad(G(z).sum(), w)
    (g_flipped,) = torch.autograd.grad(flipped(z).sum(), w)
    assert torch.equal(g_flipped, -g_plain)
    from gan_lib import data, training

    frozen = broken.frozen(G)
    before = {k: v.clone() for k, v in G.state_dict().items()}
    D = models.get("mlp_discriminator", in_dim=2)
    config = training.TrainConfig(steps=5, batch_size=16, progress=False)
    training.train(frozen, D, data.ring().sample, config)  # toggles requires_grad
    assert all(torch.equal(before[k], v) for k, v in G.state_dict().items())
    assert torch.equal(frozen(z), G(z))
    collapsed = broken.Collapsed(torch.tensor([1.0, 0.0]), z_dim=2)
    assert torch.equal(collapsed(z), torch.tensor([[1.0, 0.0]]).expand(5, 2))
    with pytest.raises(UnknownNameError, match="sign_flipped"):
        broken.apply(G, "upside_down")
