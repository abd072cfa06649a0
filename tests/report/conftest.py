"""Run folders for the report tests: a hand-made one (fast, every part known) and a real tiny training run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SAMPLE_STEPS = (20, 40, 60)
ALARMS = (
    {"step": 30, "kind": "d_overfit", "message": "E[sign(D(real))] stayed above 0.9; raise game.augment"},
    {"step": 50, "kind": "nan", "message": "loss became nan; rolled back & lowered lr <quickly>"},
)
EVALUATION = {
    "kind": "eval",
    "metric": "fid",
    "value": 12.5,
    "extractor_id": "domain-cnn-1x8x8-10classes",
    "extractor_hash": "0123456789abcdef0123456789abcdef",
    "n_generated": 1000,
    "n_reference": 500,
    "reference_split": "digits/test",
    "seed": 7,
    "step": 60,
    "wall_time": 1.25,
    "extra": {"fid_std": 0.5},
}


def write_sample_grid(path: Path, step: int) -> None:
    """A distinct small PNG per step (grey level = step), so the test can tell the grids apart."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((40, 50), step % 256, dtype=np.uint8)
    Image.fromarray(pixels).save(path, format="PNG")


def make_fake_run(run_dir: Path, metrics: bool = True, events: bool = True) -> Path:
    """Writes config.json, model.json, metrics.jsonl (training rows, one eval line, a torn last line),
    events.jsonl and three sample grids: what a run of 60 steps logging every 10 steps leaves."""
    run_dir.mkdir(parents=True)
    config = {
        "preset": "default",
        "data": {"source": "digits"},
        "model": {"architecture": "dcgan", "latent_dim": 16, "width": 8},
        "train": {"steps": 100, "log_every": 10, "sample_every": 20},
    }
    (run_dir / "config.json").write_text(json.dumps(config))
    (run_dir / "model.json").write_text(json.dumps({"modality": "images", "step": 60, "latent_dim": 16}))
    for step in SAMPLE_STEPS:
        write_sample_grid(run_dir / "samples" / f"step_{step:07d}.png", step)
    if metrics:
        lines = []
        for step in range(10, 70, 10):
            row = {
                "step": step,
                "Loss/D/adversarial": 1.0 + 1.0 / step,
                "Loss/D/r1": 0.1,
                "Loss/G/adversarial": -0.5,
                "Logits/D/real": 0.5,
                "Logits/D/fake": -0.5,
                "Logits/D/sign_real": 0.8,
                "Grad/D/norm": "nan" if step == 50 else 2.0,
                "Grad/G/norm": 1.0,
                "Health/lr_scale": 1.0,
                "Speed/samples_per_second": 1000.0,
                "Time/seconds": 2.0 * step,
            }
            lines.append(json.dumps(row))
        lines.append(json.dumps(EVALUATION))
        lines.append('{"step": 70, "Loss/D/adv')  # torn: the trainer is writing this line right now
        (run_dir / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    if events:
        (run_dir / "events.jsonl").write_text("".join(json.dumps(alarm) + "\n" for alarm in ALARMS))
    return run_dir


@pytest.fixture
def run_factory():
    """``make_fake_run`` and ``write_sample_grid`` for tests that need variants (importlib mode: no imports)."""
    return make_fake_run, write_sample_grid


@pytest.fixture
def fake_run(tmp_path: Path) -> Path:
    """A hand-made run folder with every part of the report."""
    return make_fake_run(tmp_path / "fake_run")


@pytest.fixture(scope="module")
def fake_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The report of a hand-made run folder, written once per module: (run folder, page text)."""
    from polemos.report import write_report

    run_dir = make_fake_run(tmp_path_factory.mktemp("report") / "fake_run")
    return run_dir, write_report(run_dir).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, tiny_digits_trainer) -> Path:
    """A real image run, shared by the report and browser tests: 6 steps of an 8-wide DCGAN on the bundled
    8x8 digits (a few seconds)."""
    out = tmp_path_factory.mktemp("report") / "tiny_run"
    return tiny_digits_trainer(out, 6, 8, ["train.log_every=2", "train.sample_every=3"])
