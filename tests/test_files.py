import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from polemos.files import atomic_write


@pytest.fixture()
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_gives_the_usual_permissions_and_cleans_up_on_failure(tmp_path, umask_022) -> None:
    target = atomic_write(tmp_path / "sub" / "a.txt", lambda temporary: temporary.write_text("done"))
    assert target.read_text() == "done" and mode(target) == 0o644  # mkstemp alone gives 0600

    def fail(temporary: Path) -> None:
        temporary.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "sub" / "a.txt", fail)
    assert target.read_text() == "done"  # the old file is intact
    assert sorted(path.name for path in (tmp_path / "sub").iterdir()) == ["a.txt"]  # no temporary left


def test_saved_grids_weights_and_models_are_readable_by_others(tmp_path, umask_022) -> None:
    # safetensors' save_file and mkstemp both create owner-only files; every output goes through atomic_write now
    from polemos.images.grid import save_image_grid
    from polemos.series.model import SeriesGAN

    grid = save_image_grid(torch.zeros(4, 1, 8, 8), tmp_path / "grid.png")
    gan = SeriesGAN(seed=0, hidden=4, layers=1, noise_dim=2, discriminator_channels=4, batch_size=8)
    gan.fit(np.cumsum(np.random.default_rng(0).standard_normal((40, 1)), axis=0), window=8, steps=1)
    folder = gan.save(tmp_path / "series")
    for path in (grid, folder / "generator.safetensors", folder / "config.json"):
        assert mode(path) == 0o644, path
