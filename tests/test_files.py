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


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(28, "No space left on device"), "No space left on device"),
        (RuntimeError("[enforce fail at inline_container.cc:664] . unexpected pos 1024 vs 960"), "unexpected pos"),
        (OSError(30, "Read-only file system"), "Read-only file system"),
    ],
)
def test_a_failed_write_is_one_line_and_keeps_the_old_file(tmp_path, error, reason) -> None:
    from polemos.errors import PolemosError

    target = atomic_write(tmp_path / "last.pt", lambda temporary: temporary.write_text("good state"))

    def fail(temporary: Path) -> None:
        temporary.write_text("half")
        raise error

    with pytest.raises(PolemosError, match=f"cannot write .*last.pt' \\(.*{reason}.*\\); free disk space") as caught:
        atomic_write(target, fail)
    assert "\n" not in str(caught.value)
    assert target.read_text() == "good state" and [path.name for path in tmp_path.iterdir()] == ["last.pt"]


def test_a_writer_bug_is_not_disguised_as_a_disk_problem(tmp_path) -> None:
    def buggy(temporary: Path) -> None:
        raise TypeError("unsupported type")

    with pytest.raises(TypeError):
        atomic_write(tmp_path / "x", buggy)
