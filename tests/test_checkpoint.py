"""Checkpoint files: RNG states that round-trip, atomic writes, weights_only loads."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest
import torch

from gan_lib import checkpoint


def next_numbers() -> tuple:
    return (
        [random.random() for _ in range(3)],
        random.gauss(0.0, 1.0),
        np.random.rand(3).tolist(),
        float(np.random.randn()),  # exercises NumPy's cached Gaussian
        torch.rand(3).tolist(),
        torch.randn(2).tolist(),
    )


def disturb() -> None:
    random.random()
    np.random.rand(5)
    np.random.randn()
    torch.randn(11)


def test_rng_state_round_trips_python_numpy_and_torch():
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    np.random.randn()  # leave a cached Gaussian in NumPy's state
    state = checkpoint.rng_state()
    expected = next_numbers()
    disturb()
    assert next_numbers() != expected
    checkpoint.set_rng_state(state)
    assert next_numbers() == expected


def test_rng_state_round_trips_through_a_weights_only_file(tmp_path):
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    path = checkpoint.save_atomic({"rng": checkpoint.rng_state()}, tmp_path / "r.pt")
    expected = next_numbers()
    disturb()
    state = torch.load(path, weights_only=True)["rng"]
    checkpoint.set_rng_state(state)
    assert next_numbers() == expected


def test_save_atomic_writes_a_weights_only_file_and_no_temporary(tmp_path):
    state = {
        "weights": {"w": torch.arange(6.0).reshape(2, 3)},
        "step": 7,
        "history": {"loss": [0.5, 0.25]},
        "config": '{"a": 1}',
    }
    path = checkpoint.save_atomic(state, tmp_path / "sub" / "ckpt.pt")
    assert path == tmp_path / "sub" / "ckpt.pt"
    assert [p.name for p in path.parent.iterdir()] == ["ckpt.pt"]
    loaded = checkpoint.load(path)
    assert torch.equal(loaded["weights"]["w"], state["weights"]["w"])
    assert loaded["step"] == 7 and loaded["history"] == {"loss": [0.5, 0.25]}
    assert torch.load(path, weights_only=True)["config"] == '{"a": 1}'


def test_save_atomic_replaces_the_previous_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    checkpoint.save_atomic({"step": 1}, path)
    checkpoint.save_atomic({"step": 2}, path)
    assert checkpoint.load(path)["step"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]


def test_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "ckpt.pt"
    checkpoint.save_atomic({"step": 1}, path)

    def unpicklable() -> None:  # a local function cannot be pickled
        pass

    with pytest.raises((AttributeError, pickle.PicklingError), match="pickle"):
        checkpoint.save_atomic({"step": 2, "code": unpicklable}, path)
    assert checkpoint.load(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]


class Payload:
    """A class whose unpickling would run code: weights_only must refuse it."""


def test_load_refuses_files_that_hold_pickled_objects(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"step": 1, "obj": Payload()}, path)
    with pytest.raises(pickle.UnpicklingError, match="(?i)weights_only"):
        checkpoint.load(path)


def test_load_of_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*missing.pt"):
        checkpoint.load(tmp_path / "missing.pt")


def test_a_file_holding_pickled_objects_is_refused_in_one_sentence(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"step": 1, "obj": Payload()}, path)
    with pytest.raises(checkpoint.UnsafeCheckpointError,
                       match="holds pickled Python objects.*was not loaded") as info:
        checkpoint.load(path)
    assert "\n" not in str(info.value)  # one sentence, not torch's page of advice


@pytest.mark.parametrize("content", [
    pytest.param(lambda good: good[: len(good) // 2], id="cut-short"),
    pytest.param(lambda good: b"", id="empty"),
    pytest.param(lambda good: b"step: 1\n", id="text"),
    pytest.param(lambda good: bytes(range(256)) * 8, id="random-bytes"),
])
def test_a_cut_short_or_foreign_file_raises_a_checkpoint_error(tmp_path, content):
    good = tmp_path / "good.pt"
    checkpoint.save_atomic({"step": 1, "w": torch.zeros(1000)}, good)
    path = tmp_path / "bad.pt"
    path.write_bytes(content(good.read_bytes()))
    with pytest.raises(checkpoint.CheckpointError, match="is not a readable checkpoint"):
        checkpoint.load(path)


def test_a_zip_with_damaged_records_raises_a_checkpoint_error(tmp_path):
    good = tmp_path / "good.pt"
    checkpoint.save_atomic({"step": 1, "w": torch.arange(1000.0)}, good)
    raw = bytearray(good.read_bytes())
    start = raw.index(b"data.pkl") + 40  # inside the pickled record
    raw[start:start + 16] = b"\xff" * 16
    path = tmp_path / "bad.pt"
    path.write_bytes(bytes(raw))
    with pytest.raises(checkpoint.CheckpointError, match="is not a readable checkpoint"):
        checkpoint.load(path)


def test_stale_temporaries_of_a_killed_write_are_removed(tmp_path):
    path = tmp_path / "ckpt.pt"
    checkpoint.save_atomic({"step": 1}, path)
    stale = [tmp_path / ".ckpt.pt.abc123.tmp", tmp_path / ".ckpt.pt.xyz.tmp"]
    for tmp in stale:
        tmp.write_bytes(b"half a checkpoint")
    other = tmp_path / ".other.pt.abc.tmp"  # another file's temporary: kept
    other.write_bytes(b"x")
    assert checkpoint.remove_stale_temporaries(path) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.pt.abc.tmp", "ckpt.pt"]
    assert checkpoint.load(path)["step"] == 1
