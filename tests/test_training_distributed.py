"""Training under ``torchrun`` with two CPU processes (gloo): the same steps as one
process, exact resume after a crash, and files written and hooks called by rank 0
alone.

Each test launches ``tests/distributed_worker.py`` through ``torch.distributed.run``
(what the ``torchrun`` command runs), as a user would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import distributed_worker as worker  # tests/ is on sys.path (rootdir)

WORKER = Path(__file__).with_name("distributed_worker.py")
STEPS = 10


def torchrun(out: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(WORKER.parent)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node=2", str(WORKER), str(out), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env,
                          timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"torchrun failed ({done.returncode}):\n{done.stderr}")
    return done


def weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)


def single_process(steps: int, r1_gamma: float = 0.0) -> dict[str, torch.Tensor]:
    G, D = worker.build()
    result = worker.train(G, D, worker.data(), worker.config(steps, None, r1_gamma))
    return {f"{name}.{k}": v for name, net in
            (("G", result.G), ("D", result.D), ("G_ema", result.G_ema))
            for k, v in net.state_dict().items()}


@pytest.mark.parametrize("r1_gamma", [0.0, 1.0], ids=["plain", "r1"])
def test_two_ranks_with_half_batches_take_the_steps_of_one_process(tmp_path, r1_gamma):
    torchrun(tmp_path, str(STEPS), "--r1-gamma", str(r1_gamma))
    reference = single_process(STEPS, r1_gamma)
    for rank in (0, 1):
        got = weights(tmp_path / f"final_rank{rank}.pt")
        assert got.keys() == reference.keys()
        for key, value in reference.items():
            # the same arithmetic up to the order of the gradient average
            torch.testing.assert_close(got[key], value, rtol=1e-5, atol=1e-6,
                                       msg=f"rank {rank}, {key}")
    # and the run moved: a test that cannot fail would pass on the initial weights
    G0, _ = worker.build()
    assert not torch.allclose(reference["G.net.0.weight"], G0.net[0].weight)


def test_a_two_rank_run_killed_and_resumed_ends_as_one_never_interrupted(tmp_path):
    straight, crashed = tmp_path / "straight", tmp_path / "crashed"
    straight.mkdir(), crashed.mkdir()
    done = torchrun(straight, str(STEPS))
    killed = torchrun(crashed, str(STEPS), "--kill-at", "6", check=False)
    assert killed.returncode != 0 and not (crashed / "final_rank0.pt").exists()
    state = torch.load(crashed / "run.pt", weights_only=True)
    assert state["step"] == 4 and len(state["rng"]) == 2  # every rank's generators
    torchrun(crashed, str(STEPS))  # the same command again resumes
    for rank in (0, 1):
        a = weights(straight / f"final_rank{rank}.pt")
        b = weights(crashed / f"final_rank{rank}.pt")
        for key in a:
            assert torch.equal(a[key], b[key]), (rank, key)

    # rank 0 alone wrote the checkpoints (steps 4, 8 and the end) and called the hook
    assert "rank 0 wrote 3 checkpoints" in done.stdout
    assert "rank 1 wrote 0 checkpoints" in done.stdout
    files = sorted(p.name for p in straight.iterdir())
    assert files == ["final_rank0.pt", "final_rank1.pt", "hook_rank0.txt", "run.pt"]
    history = torch.load(straight / "run.pt", weights_only=True)["history"]
    assert {entry["rank"] for entry in history["hook"]} == {0.0}
