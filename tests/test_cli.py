"""The command line: ``python -m gan_lib.train`` writes a checkpoint, sample grids and
JSON-lines metrics, resumes when re-run, seeds the initial weights; ``python -m
gan_lib.sample`` draws a grid; bad input ends with one sentence."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest
import torch

from gan_lib.training import load_generator
from gan_lib.training.cli import sample_main, train_main


def flags(out, steps: int, fid_samples: int = 0) -> list[str]:
    return ["--preset", "dcgan", "--data", "digits", "--resolution", "16",
            "--steps", str(steps), "--batch-size", "16", "--sample-every", "2",
            "--fid-samples", str(fid_samples), "--device", "cpu", "--out", str(out)]


def metrics(out) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_train_writes_checkpoint_grids_and_metrics_and_resumes_exactly(tmp_path):
    out = tmp_path / "run"
    assert train_main(flags(out, 2, fid_samples=200)) == 0
    assert train_main(flags(out, 4, fid_samples=200)) == 0  # more steps: resumes
    assert sorted(p.name for p in out.iterdir()) == [
        "args.json", "checkpoint.pt", "metrics.jsonl",
        "samples_000002.png", "samples_000004.png"]
    rows = metrics(out)
    assert [row["step"] for row in rows] == [1, 2, 3, 4]
    for row in rows:
        assert {"loss_D", "loss_G", "D/adversarial", "G/adversarial"} <= set(row)
    assert [("fid" in row) for row in rows] == [False, True, False, True]
    assert all(row["fid"] > 0 for row in rows if "fid" in row)
    grid = matplotlib.image.imread(out / "samples_000004.png")
    side = 8 * 17 - 1  # 64 images of 16 px with 1 px gaps, enlarged 512 // 135 = 3 x
    assert grid.shape[:2] == (3 * side, 3 * side)

    straight = tmp_path / "straight"
    torch.randn(7)  # unrelated draws between runs: the flags alone fix the run
    assert train_main(flags(straight, 4)) == 0
    a, b = load_generator(out / "checkpoint.pt"), load_generator(straight / "checkpoint.pt")
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)  # same initial weights and the same resumed steps
    assert [r["loss_D"] for r in metrics(straight)] == [r["loss_D"] for r in rows]


def test_sample_draws_a_grid_from_a_checkpoint(tmp_path):
    out = tmp_path / "run"
    assert train_main(flags(out, 1)) == 0
    png = tmp_path / "grid.png"
    assert sample_main(["--checkpoint", str(out / "checkpoint.pt"), "--n", "9",
                        "--out", str(png)]) == 0
    side = 3 * 17 - 1  # 9 images, enlarged 512 // 50 = 10 x
    assert matplotlib.image.imread(png).shape[:2] == (10 * side, 10 * side)


@pytest.mark.parametrize("bad,message", [
    (["--preset", "dcgn"], "unknown preset 'dcgn'; known: biggan, dcgan"),
    (["--data", "mnits"], "unknown data set 'mnits'; known:"),
    (["--sample-every", "0"], "--sample-every must be >= 1"),
    (["--fid-samples", "-1"], "--fid-samples must be >= 0"),
])
def test_bad_names_and_values_end_with_one_sentence(tmp_path, capsys, bad, message):
    args = flags(tmp_path / "run", 1)
    i = args.index(bad[0])
    args[i + 1] = bad[1]
    assert train_main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_data_set_that_cannot_be_downloaded_says_what_to_do(tmp_path, capsys,
                                                              monkeypatch):
    monkeypatch.setenv("GAN_LIB_DATA", str(tmp_path / "empty"))  # nothing cached

    def offline(*args, **kwargs):
        raise OSError("Name or service not known")  # what a machine offline sees

    monkeypatch.setattr("urllib.request.urlopen", offline)
    args = flags(tmp_path / "run", 1)
    args[args.index("--data") + 1] = "mnist"
    assert train_main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "'mnist' could not be downloaded or read" in err
    assert "--data digits" in err and len(err.splitlines()) == 1


def test_a_folder_of_another_run_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert train_main(flags(out, 1)) == 0
    other = flags(out, 1)
    other[other.index("--resolution") + 1] = "32"
    assert train_main(other) == 2
    assert "holds another run (--resolution 16 -> 32)" in capsys.readouterr().err
    (out / "args.json").unlink()  # even without the record, the checkpoint says it
    assert train_main(other) == 2
    assert "holds another model" in capsys.readouterr().err


def test_sample_truncates_a_style_based_generator_and_refuses_others(tmp_path, capsys):
    out = tmp_path / "run"
    assert train_main(["--preset", "stylegan2", "--data", "digits", "--resolution", "8",
                       "--steps", "1", "--batch-size", "4", "--fid-samples", "0",
                       "--device", "cpu", "--out", str(out)]) == 0
    zero = tmp_path / "psi0.png"
    assert sample_main(["--checkpoint", str(out / "checkpoint.pt"), "--n", "4",
                        "--truncation", "0", "--out", str(zero)]) == 0
    grid = matplotlib.image.imread(zero)
    side = 2 * 9 - 1  # 4 images of 8 px, 1 px gaps, enlarged 512 // 17 = 30 x
    tile = grid[: 30 * 8, : 30 * 8]  # psi = 0: every sample is the image of w_avg
    assert (grid[: 30 * 8, 30 * 9 : 30 * 9 + 30 * 8] == tile).all()
    assert grid.shape[0] == 30 * side
    dcgan = tmp_path / "dcgan"
    assert train_main(flags(dcgan, 1)) == 0
    assert sample_main(["--checkpoint", str(dcgan / "checkpoint.pt"), "--truncation",
                        "0.5", "--out", str(tmp_path / "g.png")]) == 2
    assert "has no truncation trick" in capsys.readouterr().err


def test_sample_refuses_a_file_that_is_not_a_checkpoint(tmp_path, capsys):
    bogus = tmp_path / "notes.pt"
    bogus.write_text("not a checkpoint")
    assert sample_main(["--checkpoint", str(bogus), "--out", str(tmp_path / "g.png")]) == 2
    err = capsys.readouterr().err
    assert "not a readable checkpoint" in err and "Traceback" not in err


def test_the_module_entry_points_run(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "gan_lib.train", "--preset", "nope", "--data", "digits",
         "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: unknown preset 'nope'")
    done = subprocess.run([sys.executable, "-m", "gan_lib.sample", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--checkpoint" in done.stdout


def readme_commands() -> list[list[str]]:
    """The ``python -m gan_lib.train`` / ``gan_lib.sample`` lines of README.md's
    command-line section, as argument lists (continuation lines joined)."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("### From the command line", 1)[1].split("\n### ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


def test_the_readme_commands_run(tmp_path, monkeypatch):
    train_cmd, sample_cmd = readme_commands()
    assert train_cmd[:3] == ["python", "-m", "gan_lib.train"]
    assert sample_cmd[:3] == ["python", "-m", "gan_lib.sample"]
    monkeypatch.chdir(tmp_path)  # the README's relative paths land here
    args = train_cmd[3:]
    args[args.index("--steps") + 1] = "2"  # the README's flags, two steps
    assert train_main(args + ["--sample-every", "1", "--fid-samples", "200"]) == 0
    assert sample_main(sample_cmd[3:]) == 0
    assert (tmp_path / sample_cmd[sample_cmd.index("--out") + 1]).exists()


def test_biggan_latents_are_truncated_per_coordinate_and_classes_take_turns():
    from gan_lib import models
    from gan_lib.training.cli import generate, latents

    torch.manual_seed(0)
    G = models.get("biggan_generator", z_dim=21, num_classes=3, shared_dim=8,
                   channels=1, resolution=16, width=8, attention_resolution=8).eval()
    z = latents(G, 64, 0.5, torch.Generator().manual_seed(0))
    assert z.abs().max() <= 0.5 and z.abs().max() > 0.4  # within t, and not shrunk
    with torch.no_grad():
        assert generate(G, z[:6], truncation=0.5).shape == (6, 1, 16, 16)
