"""The command line: one-line errors with exit code 2, dry runs, listing, and a short real training run."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

POLEMOS = [sys.executable, "-m", "polemos"]


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*POLEMOS, *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_dry_run_prints_the_resolved_config() -> None:
    result = run("train", "--dry-run", "--steps", "7", "--loss", "wasserstein", "game.n_critic=5")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["train"]["steps"] == 7 and config["game"]["loss"] == "wasserstein"
    assert config["game"]["n_critic"] == 5


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "--loss", "nope", "--dry-run"], "valid choices: hinge"),
        (["train", "--model", "vgg", "--dry-run"], "valid choices: dcgan"),
        (["train", "game.n_critic=0", "--dry-run"], "game.n_critic"),
        (["train", "--preset", "fast", "--dry-run"], "unknown preset"),
        (["train", "--data", "/nonexistent/folder", "--steps", "1"], "does not exist"),
        (["train", "--data", "imagenet", "--steps", "1"], "digits"),
        (["train", "data.resolution=24", "--steps", "1"], "power of two"),
        (["train", "--resume", "/nonexistent/run"], "no such run folder"),
        (["sample", "/nonexistent/run"], "does not exist"),
        (["bench", "nope"], "unknown benchmark"),
        (["bench", "stacked-mnist", "-o", "stepz=3"], "stacked-mnist has no option stepz; valid options: budget"),
        (["bench", "stacked-mnist", "--dataset", "ring-8"], "has no option dataset"),
        (["bench", "tabular-adult", "--quick", "-o", "budgt=3"], "tabular-adult has no option budgt"),
        (["bench", "mixtures", "--quick", "-o", "overrides=model.widht=3"], "unknown config key 'model.widht'"),
    ],
)
def test_bad_input_gives_one_line_errors(args, fragment, tmp_path) -> None:
    assert_one_line_error(run(*args, cwd=tmp_path), fragment)


def test_bench_collects_a_repeated_option_into_a_list(tmp_path) -> None:
    result = run(
        "bench", "mixtures", "--quick", "--seeds", "1", "-o", "steps=2", "-o", "train_points=512",
        "-o", "overrides=game.lr_generator=1e-4", "-o", "overrides=game.lr_discriminator=3e-4",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    protocol = json.loads(result.stdout)["protocol"]
    assert protocol["recipe_overrides"][-2:] == ["game.lr_generator=1e-4", "game.lr_discriminator=3e-4"]
    assert protocol["settings"]["steps"] == 2
    assert result.stderr.startswith("mixtures: ring-8 seed 0: ")  # progress on stderr, results on stdout


def test_empty_folder_and_nan_arrays(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    assert_one_line_error(run("train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "r")), "no image")
    array = np.zeros((4, 8, 8), dtype=np.float32)
    array[0, 0, 0] = np.nan
    np.save(tmp_path / "bad.npy", array)
    assert_one_line_error(run("train", "--data", str(tmp_path / "bad.npy"), "--out", str(tmp_path / "r")), "NaN")
    assert not (tmp_path / "r").exists()


def test_list_shows_registries() -> None:
    result = run("list")
    assert result.returncode == 0, result.stderr
    for name in ("digits", "dcgan", "resnet", "hinge", "wgan-gp", "dcgan-classic"):
        assert name in result.stdout


def test_train_sample_resume_and_guards(tmp_path) -> None:
    out = tmp_path / "run"
    common = ["train.progress=false", "train.log_every=2", "model.width=8", "train.batch_size=16"]
    first = run("train", "--steps", "4", "--out", str(out), *common)
    assert first.returncode == 0, first.stderr
    assert (out / "checkpoints" / "last.pt").is_file() and (out / "samples").is_dir()
    # an existing run is never overwritten by accident
    assert_one_line_error(run("train", "--steps", "4", "--out", str(out), *common), "--resume")
    # resume with a changed model is refused; with more steps it continues
    assert_one_line_error(run("train", "--resume", str(out), "model.width=16"), "incompatible")
    second = run("train", "--resume", str(out), "--steps", "6")
    assert second.returncode == 0, second.stderr
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]
    grid = tmp_path / "grid.png"
    sampled = run("sample", str(out), "--n", "9", "--out", str(grid))
    assert sampled.returncode == 0, sampled.stderr
    assert grid.is_file()
    # a corrupt checkpoint is a one-line error and is left in place
    (out / "checkpoints" / "last.pt").write_bytes(b"broken")
    assert_one_line_error(run("train", "--resume", str(out), "--steps", "8"), "corrupt")
    assert (out / "checkpoints" / "last.pt").read_bytes() == b"broken"
