"""Fixtures shared by the metrics tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory, tiny_digits_trainer) -> Path:
    """A DCGAN trained for 3 steps on the 8x8 digits (its samples are poor, which is fine here); one per module."""
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("digits") / "run"
    return tiny_digits_trainer(out, 3, 16, ["model.latent_dim=8", "game.augment="])
