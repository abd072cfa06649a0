"""Fixtures shared by the metrics tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lightning_fabric import Fabric

from polemos.config import resolve_config
from polemos.images.task import build_image_task
from polemos.train.loop import Trainer


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> Path:
    """A DCGAN trained for 3 steps on the 8x8 digits (its samples are poor, which is fine here); one per module."""
    out = tmp_path_factory.mktemp("digits") / "run"
    config = resolve_config(
        flags={"train.out": str(out), "train.steps": 3, "train.batch_size": 16},
        overrides=[
            "model.width=8",
            "model.latent_dim=8",
            "game.augment=",
            "train.accelerator=cpu",
            "train.devices=1",
            "train.progress=false",
            "train.loggers=[jsonl]",
        ],
    )
    torch.manual_seed(0)
    Trainer(config, build_image_task(config, progress=False), fabric=Fabric(accelerator="cpu", devices=1)).fit()
    return out
