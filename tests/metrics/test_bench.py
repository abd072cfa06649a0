"""Smoke runs of the evaluation benchmarks (reduced protocols) and their pure helpers."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
import torch

from polemos.bench import load_benchmarks
from polemos.errors import PolemosError
from polemos.images.data import ImageData
from polemos.metrics import bench


def test_benchmarks_are_registered() -> None:
    names = load_benchmarks().names()
    assert {"mixtures", "stacked-mnist", "mnist-quality"} <= set(names)


def test_mixtures_quick_smoke(capsys) -> None:
    result = bench.run_mixtures(seeds=1, quick=True, steps=40, train_points=2_000)
    captured = capsys.readouterr()
    assert captured.out == ""  # progress goes to stderr: stdout is left to the results
    assert captured.err.startswith("mixtures: ring-8 seed 0: ") and "(40 steps, " in captured.err
    summary, protocol = result["summary"], result["protocol"]
    assert protocol["reduced"] is True and protocol["generated_samples"] == 2_500
    assert protocol["settings"]["steps"] == 40 and protocol["recipe"] == "default"
    assert 0 <= summary["modes"] <= 8 and 0.0 <= summary["high_quality"] <= 1.0
    assert summary["reverse_kl"] >= 0.0
    (row,) = result["per_seed"]
    assert row["steps"] == 40 and sum(row["counts"]) == round(row["high_quality"] * 2_500)


def test_overrides_are_a_checked_list() -> None:
    assert bench._checked_overrides("model.width=32") == ["model.width=32"]  # one string is one override
    assert bench._checked_overrides(("model.width=32", "train.batch_size=128")) == [
        "model.width=32",
        "train.batch_size=128",
    ]
    with pytest.raises(PolemosError, match="unknown config key 'model.widht'"):
        bench._checked_overrides(["model.widht=32"])
    with pytest.raises(PolemosError, match="not of the form"):
        bench._checked_overrides(["width"])


def test_mixture_settings_per_dataset() -> None:
    assert bench.MixtureSettings.for_dataset("ring-8").batch_size == 256
    assert bench.MixtureSettings.for_dataset("grid-25").batch_size == 256
    assert bench.MixtureSettings.for_dataset("grid-25", batch_size=32, steps=7).to_dict()["batch_size"] == 32
    assert bench.MixtureSettings.for_dataset("ring-8").steps == 6_000
    assert bench.MixtureSettings.for_dataset("grid-25").steps == 12_000  # 25 modes: twice the steps
    assert bench.MixtureSettings.for_dataset("grid-25", steps=7).steps == 7
    result = bench.run_mixtures(seeds=1, quick=True, dataset="grid-25", steps=2, train_points=512)
    assert result["protocol"]["settings"]["batch_size"] == 256


def test_mixtures_rejects_unknown_settings() -> None:
    with pytest.raises(PolemosError, match="recipe"):
        bench.run_mixtures(seeds=1, quick=True, recipe="nope", steps=2)
    with pytest.raises(PolemosError, match="unknown mixtures option .colour.; valid: steps"):
        bench.run_mixtures(seeds=1, quick=True, colour=3)


def test_runs_dir_keeps_the_run_folders_and_never_overwrites_them(tmp_path) -> None:
    runs = tmp_path / "runs"
    bench.run_mixtures(seeds=1, quick=True, steps=2, train_points=512, pack=2, runs_dir=str(runs))
    checkpoint = runs / "seed0" / "checkpoints" / "last.pt"
    assert checkpoint.is_file()
    assert json.loads((runs / "seed0" / "config.json").read_text())["model"]["pack"] == 2  # the setting, recorded
    written = checkpoint.read_bytes()
    with pytest.raises(PolemosError, match="already holds the run 'seed0'"):
        bench.run_mixtures(seeds=1, quick=True, steps=2, train_points=512, runs_dir=str(runs))
    assert checkpoint.read_bytes() == written


def test_stacked_mnist_classes_from_hand_made_digits() -> None:
    # three "digits" (classes 4, 0, 7) as uniform images; a stacked image's class is 100 d0 + 10 d1 + d2
    images = torch.stack([torch.full((1, 8, 8), value, dtype=torch.uint8) for value in (40, 0, 70)])
    mnist = ImageData(images, torch.tensor([4, 0, 7]), tuple("0123456789"), "hand-made")
    stacked, classes = bench.stacked_mnist(mnist, 50, seed=0)
    assert stacked.shape == (50, 3, 8, 8)
    digit_of_value = {40: 4, 0: 0, 70: 7}
    expected = [
        100 * digit_of_value[int(image[0, 0, 0])]
        + 10 * digit_of_value[int(image[1, 0, 0])]
        + digit_of_value[int(image[2, 0, 0])]
        for image in stacked
    ]
    assert classes.tolist() == expected


class _ThresholdClassifier:
    """Classifies a one-channel image as digit round(mean pixel * 10) (pixels in [-1, 1] mapped to [0, 1])."""

    def probabilities(self, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        digit = ((images.mean(dim=(1, 2, 3)) + 1) / 2 * 9).round().long()
        return torch.nn.functional.one_hot(digit, 10).float()


def test_stacked_classes_combine_the_three_channels() -> None:
    # channel values for digits 9, 0 and 3: (d / 9) * 2 - 1
    images = torch.stack(
        [torch.full((8, 8), 1.0), torch.full((8, 8), -1.0), torch.full((8, 8), 3 / 9 * 2 - 1)]
    ).unsqueeze(0)
    assert bench.stacked_classes(_ThresholdClassifier(), images).tolist() == [903]


class _UnsureClassifier:
    """Puts probability 0.6 on digit round(mean pixel * 9) and 0.4 on the next digit."""

    def probabilities(self, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        digit = ((images.mean(dim=(1, 2, 3)) + 1) / 2 * 9).round().long()
        return 0.6 * torch.nn.functional.one_hot(digit, 10) + 0.4 * torch.nn.functional.one_hot((digit + 1) % 10, 10)


def test_stacked_predictions_return_the_classes_and_each_channels_confidence() -> None:
    images = torch.stack(
        [torch.full((8, 8), 1.0), torch.full((8, 8), -1.0), torch.full((8, 8), 3 / 9 * 2 - 1)]
    ).unsqueeze(0)
    classes, top = bench.stacked_predictions(_UnsureClassifier(), images)
    assert classes.tolist() == [903]
    assert top.shape == (1, 3) and top.flatten().tolist() == pytest.approx([0.6] * 3)
    assert bench.confident_share(top) == 0.0
    assert bench.confident_share(top, threshold=0.5) == 1.0
    sure = bench.stacked_predictions(_ThresholdClassifier(), images)[1]
    assert bench.confident_share(torch.cat([top, sure])) == 0.5


def test_stacked_kl_parts_split_marginal_imbalance_from_dependence() -> None:
    every_class = torch.arange(1000)
    parts = bench.stacked_kl_parts(every_class)
    assert parts["marginal_kl"] == pytest.approx([0.0] * 3, abs=1e-12)
    assert parts["total_correlation"] == pytest.approx(0.0, abs=1e-12)
    # the same digit in the three channels: balanced marginals, KL = log(1000 / 10), all of it dependence
    same_digit = torch.arange(10).repeat(7) * 111
    parts = bench.stacked_kl_parts(same_digit)
    assert parts["kl"] == pytest.approx(math.log(100))
    assert parts["marginal_kl"] == pytest.approx([0.0] * 3, abs=1e-12)
    assert parts["total_correlation"] == pytest.approx(math.log(100))
    # the first digit always 0, the others independent and uniform: KL = log 10, all of it channel 0
    first_zero = every_class[:100]
    parts = bench.stacked_kl_parts(first_zero)
    assert parts["marginal_kl"] == pytest.approx([math.log(10), 0.0, 0.0], abs=1e-12)
    assert parts["total_correlation"] == pytest.approx(0.0, abs=1e-12)
    assert parts["digit_share"][0][0] == 1.0 and parts["digit_share"][1] == pytest.approx([0.1] * 10)


def test_mnist_benchmarks_skip_without_data(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(bench.SHARED_DATA_ENV, str(tmp_path))
    for run in (bench.run_stacked_mnist, bench.run_mnist_quality):
        result = run(seeds=1, quick=True)
        assert "skipped" in result and str(tmp_path) in result["skipped"]


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_the_cli_fails_when_a_benchmark_could_not_run(tmp_path, json_flag) -> None:
    environment = {**os.environ, bench.SHARED_DATA_ENV: str(tmp_path)}
    command = [sys.executable, "-m", "polemos", "bench", "mnist-quality", "--quick", *json_flag]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment)
    # it exited 0 after a "skipped" line: a script took it for a result
    assert result.returncode == 2 and "Traceback" not in result.stderr
    if json_flag:
        assert str(tmp_path) in json.loads(result.stdout)["skipped"]
    else:
        assert result.stderr.strip().startswith("error: mnist-quality did not run: MNIST not found at ")


def test_shared_mnist_dir_honours_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(bench.SHARED_DATA_ENV, str(tmp_path))
    assert bench.shared_mnist_dir() == tmp_path / "mnist"
    monkeypatch.delenv(bench.SHARED_DATA_ENV)
    assert bench.shared_mnist_dir().parts[-3:] == ("shared", "data", "mnist")


@pytest.mark.slow
def test_stacked_mnist_quick_smoke(shared_data, capsys) -> None:
    result = bench.run_stacked_mnist(seeds=1, quick=True, budget=2, train_images=500)
    progress = capsys.readouterr().err.splitlines()
    assert progress[0].startswith("stacked-mnist: digit classifier trained: ")
    assert progress[1] == "stacked-mnist: seed 0: training for up to 2 s or 100000 steps"
    assert json.loads(progress[2].removeprefix("stacked-mnist: ")) == result["per_seed"][0]
    summary, protocol = result["summary"], result["protocol"]
    assert protocol["reduced"] is True and protocol["generated_samples"] == 2_600
    assert protocol["classifier"]["validation_accuracy"] > 0.5
    assert 1 <= summary["modes"] <= 1000 and 0.0 <= summary["kl"] <= math.log(1000)
    (row,) = result["per_seed"]
    assert sum(row["marginal_kl"]) + row["total_correlation"] == pytest.approx(row["kl"])
    assert 0.0 <= row["confident_share"] <= 1.0


@pytest.mark.slow
def test_mnist_quality_quick_smoke(shared_data) -> None:
    result = bench.run_mnist_quality(seeds=1, quick=True, budget=2, generated=200)
    for recipe in ("default", "dcgan-classic"):
        values = result["summary"][recipe]
        assert values["fid"] > 0 and 0.0 <= values["precision"] <= 1.0
    assert result["protocol"]["generated"] == 200 and result["protocol"]["reduced"] is True
    assert result["protocol"]["config_overrides"] == ["model.width=32"]


def test_mean_std_over_seeds_handles_an_infinite_kl() -> None:
    assert bench._mean_std([1.0, 3.0]) == (2.0, pytest.approx(math.sqrt(2)))
    mean, std = bench._mean_std([0.5, math.inf])
    assert mean == math.inf and math.isnan(std)
    assert bench._mean_std([4.0]) == (4.0, 0.0)


@pytest.mark.slow
def test_stacked_mnist_first_seed(shared_data) -> None:
    result = bench.run_stacked_mnist(
        seeds=1, quick=True, budget=60, steps=3, first_seed=2, train_images=500, overrides=["model.width=8"]
    )
    assert [row["seed"] for row in result["per_seed"]] == [2]
    # the step cap ends the run well before the 60 s budget
    assert result["per_seed"][0]["steps"] == 3 and result["protocol"]["training_steps_cap"] == 3
    assert result["protocol"]["first_seed"] == 2
