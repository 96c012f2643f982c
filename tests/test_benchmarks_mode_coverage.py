"""The mode-coverage benchmark of Chapter 8, on tiny configurations."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_lib.benchmarks import mode_coverage as bench
from gan_lib.errors import UnknownNameError

TINY = bench.Setting(
    steps=3, batch_size=16, lr=1e-3, n_eval=200, r1_gamma=0.1, noise_sigma=0.1
)


def row(method: str, seed: int, modes: int, hq: float, kl: float) -> dict:
    return {
        "dataset": "ring",
        "method": method,
        "seed": seed,
        "steps": 10,
        "batch_size": 8,
        "n_eval": 100,
        "modes": modes,
        "n_modes": 8,
        "high_quality": hq,
        "kl": kl,
        "seconds": 0.5,
    }


def test_every_remedy_changes_exactly_its_own_setting():
    plain_G, plain_D = bench.build_networks("ring", "plain")
    for method, remedy in bench.REMEDIES.items():
        changes = (
            bool(remedy.discriminator)
            + bool(remedy.config)
            + remedy.instance_noise
            + remedy.r1
        )
        assert changes == 1 or method == "plain", method
        G, D = bench.build_networks("ring", method)
        assert str(G) == str(plain_G)  # the generator never changes
        assert (str(D) != str(plain_D)) == bool(remedy.discriminator), method


@pytest.mark.parametrize(
    "method", ["plain", "packing (m=4)", "instance noise", "R1", "TTUR", "EMA"]
)
def test_run_one_trains_and_scores_a_tiny_run(method):
    out = bench.run_one("ring", method, seed=0, setting=TINY)
    assert set(out) == set(bench.FIELDS)
    assert out["n_modes"] == 8 and 0 <= out["modes"] <= 8
    assert 0 <= out["high_quality"] <= 1 and out["n_eval"] == 200
    again = bench.run_one("ring", method, seed=0, setting=TINY)
    assert again["modes"] == out["modes"] and again["kl"] == out["kl"]  # seeded


def test_loop_extensions_run():
    for method in ("feature matching", "unrolled (U=5)"):
        out = bench.run_one("grid", method, seed=1, setting=TINY)
        assert out["n_modes"] == 25


def test_reference_row_of_real_samples_covers_every_toy_mode():
    setting = dataclasses.replace(TINY, n_eval=2500)
    for dataset, n_modes in (("ring", 8), ("grid", 25)):
        ref = bench.reference_row(dataset, setting)
        assert ref["modes"] == n_modes
        # 2-D Gaussian: P(|x - mu| <= 3 sigma) = 1 - exp(-9/2) = 0.989
        assert ref["high_quality"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)
        assert ref["kl"] < 0.01


def test_stacked_digit_labels_read_each_channel():
    class FakeClassifier:
        """Predicts the digit written as the value of the pixel (0, 0)."""

        def logits(self, images: torch.Tensor) -> np.ndarray:
            digit = images[:, 0, 0, 0].round().long()
            return torch.nn.functional.one_hot(digit, 10).float().numpy()

    x = torch.zeros(2, 3, 4, 4)
    x[0, :, 0, 0] = torch.tensor([3.0, 0.0, 7.0])
    x[1, :, 0, 0] = torch.tensor([9.0, 9.0, 1.0])
    labels = bench.stacked_digit_labels(FakeClassifier(), x)
    assert labels.tolist() == [307, 991] and labels.dtype == np.int64
    with pytest.raises(ValueError, match=r"\(N, 3, R, R\)"):
        bench.stacked_digit_labels(FakeClassifier(), torch.zeros(2, 1, 4, 4))


def test_summary_mean_and_std_and_the_markdown_table():
    rows = [
        row("plain", 0, 2, 0.5, 1.0),
        row("plain", 1, 4, 0.7, 2.0),
        row("R1", 0, 8, 0.9, 0.1),
    ]
    summary = bench.summarize(rows)
    assert [s["method"] for s in summary] == ["plain", "R1"]
    plain = summary[0]
    assert plain["modes"] == 3 and plain["modes_std"] == pytest.approx(math.sqrt(2))
    assert plain["high_quality"] == pytest.approx(0.6)
    assert math.isnan(summary[1]["modes_std"])  # one seed: no spread
    table = bench.markdown_table(rows)
    assert plain["modes_min"] == 2 and plain["modes_max"] == 4
    # mean [min, max]: with two seeds, the two values
    assert "| plain | 2 | 3.0 [2, 4] | 60.0 [50.0, 70.0] | 1.50 [1.00, 2.00] |" in table
    assert "| R1 | 1 | 8.0 | 90.0 | 0.10 |" in table
    assert table.count("\n|---|---|---|---|---|\n") == 1  # one data set, one table


def test_csv_round_trip_keeps_numbers_and_infinities(tmp_path):
    rows = [row("plain", 0, 0, 0.0, math.inf), row("R1", 1, 8, 0.25, 0.5)]
    path = tmp_path / "bench.csv"
    bench.write_csv(rows, path)
    back = bench.read_csv(path)
    assert back[0]["kl"] == math.inf and back[1]["modes"] == 8
    assert back[1]["high_quality"] == 0.25 and back[1]["method"] == "R1"


def test_command_line_writes_csv_and_table(tmp_path, capsys):
    out = tmp_path / "b.csv"
    rows = bench.main(
        [
            "--profile",
            "smoke",
            "--datasets",
            "ring",
            "--methods",
            "plain,minibatch stddev",
            "--seeds",
            "1",
            "--out",
            str(out),
        ]
    )
    assert [r["method"] for r in rows] == [bench.REAL_DATA, "plain", "minibatch stddev"]
    assert len(bench.read_csv(out)) == 3
    assert "| minibatch stddev | 1 |" in out.with_suffix(".md").read_text()
    assert "total" in capsys.readouterr().out


def test_bad_names_and_seeds_are_refused():
    with pytest.raises(UnknownNameError, match="unknown remedy 'dropout'"):
        bench.run_benchmark(["ring"], ["dropout"], seeds=1, profile="smoke")
    with pytest.raises(UnknownNameError, match="benchmark data set 'mnist'"):
        bench.run_benchmark(["mnist"], ["plain"], seeds=1, profile="smoke")
    with pytest.raises(UnknownNameError, match="profile 'laptop'"):
        bench.run_benchmark(["ring"], ["plain"], seeds=1, profile="laptop")
    with pytest.raises(ValueError, match="seeds must be a positive int"):
        bench.run_benchmark(["ring"], ["plain"], seeds=0, profile="smoke")


def test_stacked_digits_pipeline_on_a_tiny_run():
    setting = dataclasses.replace(TINY, n_eval=300, batch_size=8)
    ref = bench.reference_row("stacked_digits", setting)
    # 300 uniform draws over 1000 classes hit 1000 (1 - 0.999^300) = 259 on average;
    # the classifier's mistakes move a few, a broken label code would collapse them
    assert ref["n_modes"] == 1000 and 200 < ref["modes"] <= 300
    assert ref["kl"] < 1.5 and math.isnan(ref["high_quality"])
    out = bench.run_one("stacked_digits", "packing (m=2)", seed=0, setting=setting)
    assert 1 <= out["modes"] <= 300 and 0 <= out["kl"] <= math.log(1000) + 1e-9


def test_spread_is_the_median_pairwise_distance():
    x = torch.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])  # distances 5, 5, 10
    assert bench.median_pairwise_distance(x) == pytest.approx(5.0)
    assert bench.median_pairwise_distance(torch.ones(50, 2)) == 0.0  # collapsed
    images = torch.zeros(2, 3, 4, 4)
    images[1] += 1.0  # flattened: distance sqrt(48)
    assert bench.median_pairwise_distance(images) == pytest.approx(math.sqrt(48))
    assert math.isnan(bench.median_pairwise_distance(torch.zeros(1, 2)))


def test_reference_spread_of_the_ring_is_the_median_chord():
    # two uniform modes of 8 on the unit circle are k steps apart with probabilities
    # 1/8, 2/8, 2/8, 2/8, 1/8 (k = 0..4): the median chord is 2 sin(2 pi / 8) = sqrt 2
    ref = bench.reference_row("ring", dataclasses.replace(TINY, n_eval=2500))
    assert ref["spread"] == pytest.approx(math.sqrt(2), abs=0.02)


def test_a_collapsed_generator_has_no_spread():
    from gan_lib.benchmarks.lab_checks import broken

    point = torch.tensor([1.0, 0.0])
    out = bench.run_one("ring", "plain", seed=0, setting=TINY, keep_samples=True,
                        wrap_generator=lambda G: broken.Collapsed(point, G.z_dim))
    assert out["spread"] == 0.0 and out["modes"] == 1 and out["high_quality"] == 1.0


def test_a_csv_without_the_spread_column_reads_as_nan(tmp_path):
    path = tmp_path / "old.csv"
    fields = [f for f in bench.FIELDS if f != "spread"]
    values = ["ring", "plain", "0", "10", "8", "100", "3", "8", "0.5", "0.1", "1.0"]
    path.write_text(",".join(fields) + "\n" + ",".join(values) + "\n")
    (back,) = bench.read_csv(path)
    assert back["modes"] == 3 and math.isnan(back["spread"])
    assert "spread" not in bench.markdown_table([back])  # no column of NaN


def test_the_committed_results_ship_inside_the_package():
    assert bench.COMMITTED_CSV.parent.name == "results"
    assert bench.COMMITTED_CSV.is_relative_to(Path(bench.__file__).parent)
    rows = bench.committed_rows()
    for dataset in bench.DATASETS:
        methods = {r["method"] for r in rows if r["dataset"] == dataset}
        assert methods == set(bench.REMEDIES) | {bench.REAL_DATA}, dataset


def test_page_only_rewrites_the_page_from_the_csv(tmp_path):
    rows = bench.committed_rows()
    page = tmp_path / "page.md"
    bench.write_page(rows, bench.COMMAND, page)
    text = page.read_text()
    assert bench.COMMAND in text and bench.markdown_table(rows) in text
    if bench.COMMITTED_PAGE.exists():  # in a clone: the book's page is up to date
        assert bench.COMMITTED_PAGE.read_text() == text


def test_the_smoke_profile_does_not_overwrite_the_committed_csv(tmp_path, monkeypatch):
    before = bench.COMMITTED_CSV.read_bytes()
    monkeypatch.chdir(tmp_path)
    bench.main(["--profile", "smoke", "--datasets", "ring", "--methods", "plain",
                "--seeds", "1"])
    assert bench.COMMITTED_CSV.read_bytes() == before
    assert not list(tmp_path.iterdir())
