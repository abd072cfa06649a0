"""Test-wide settings: few threads (2 shared cores), deterministic algorithms, paths to shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The read-only shared data folder; skips the test where it is absent (as on a user's machine)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    os.environ.setdefault("WANDB_MODE", "offline")


def train_tiny_digits_run(out: Path, steps: int, batch_size: int, overrides: list[str]) -> Path:
    """Trains an 8-wide DCGAN on the bundled 8x8 digits for a few steps on one CPU process; returns ``out``."""
    from lightning_fabric import Fabric

    from polemos.config import resolve_config
    from polemos.images.task import build_image_task
    from polemos.train.loop import Trainer

    config = resolve_config(
        flags={"train.out": str(out), "train.steps": steps, "train.batch_size": batch_size},
        overrides=[
            "model.width=8",
            "train.accelerator=cpu",
            "train.devices=1",
            "train.progress=false",
            "train.loggers=[jsonl]",
            *overrides,
        ],
    )
    Trainer(config, build_image_task(config, progress=False), fabric=Fabric(accelerator="cpu", devices=1)).fit()
    return out


@pytest.fixture(scope="session")
def tiny_digits_trainer():
    """:func:`train_tiny_digits_run`, for fixtures in sub-folders (conftest modules are not importable there)."""
    return train_tiny_digits_run
