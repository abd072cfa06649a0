"""Tests for polemos.images.grid: grid geometry, pixel placement and the atomic PNG write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from polemos.errors import PolemosError
from polemos.images import grid as grid_module
from polemos.images.grid import PAD_VALUE, make_image_grid, save_image_grid


def constant_batch(count: int, channels: int, side: int) -> torch.Tensor:
    """Image i is constant, with pixel value 10 * i in uint8 terms, expressed in the model range [-1, 1]."""
    values = torch.arange(count, dtype=torch.float32) * 10.0 / 127.5 - 1.0
    return values.reshape(count, 1, 1, 1).expand(count, channels, side, side).clone()


def test_ten_digits_grid_geometry_and_pixels() -> None:
    grid = make_image_grid(constant_batch(10, 1, 8))
    # 4 columns (ceil(sqrt(10))), 3 rows, cells enlarged x4 to 32 px, 1 px padding: 4*33+1 by 3*33+1
    assert grid.shape == (100, 133, 1) and grid.dtype == np.uint8
    for index in range(10):
        row, column = divmod(index, 4)
        top, left = 1 + row * 33, 1 + column * 33
        cell = grid[top : top + 32, left : left + 32, 0]
        assert (cell == 10 * index).all()
    assert (grid[0] == PAD_VALUE).all() and (grid[:, 33] == PAD_VALUE).all()
    assert (grid[67:, 67:] == PAD_VALUE).all()  # the two empty cells of the last row


def test_nearest_neighbour_enlargement_keeps_pixel_blocks() -> None:
    image = torch.full((1, 3, 2, 2), -1.0)
    image[0, :, 0, 1] = 1.0  # top-right pixel white
    grid = make_image_grid(image, min_cell=6, padding=0)
    assert grid.shape == (6, 6, 3)
    assert (grid[:3, 3:] == 255).all() and (grid[:3, :3] == 0).all() and (grid[3:] == 0).all()


def test_nrow_uint8_input_and_no_enlargement() -> None:
    images = torch.arange(6, dtype=torch.uint8).reshape(6, 1, 1, 1).expand(6, 3, 4, 4).clone()
    grid = make_image_grid(images, nrow=3, min_cell=1, padding=2)
    assert grid.shape == (2 * 6 + 2, 3 * 6 + 2, 3)
    assert grid[2, 2 + 6 * 2].tolist() == [2, 2, 2]  # image 2: first row, third column
    assert grid[2 + 6, 2].tolist() == [3, 3, 3]  # image 3: second row, first column


def test_invalid_batches_are_rejected() -> None:
    with pytest.raises(ValueError):
        make_image_grid(torch.zeros(2, 2, 8, 8))
    with pytest.raises(ValueError):
        make_image_grid(torch.zeros(0, 1, 8, 8))
    with pytest.raises(ValueError):
        make_image_grid(torch.zeros(8, 8))
    with pytest.raises(TypeError):
        make_image_grid(torch.zeros(2, 1, 8, 8, dtype=torch.int64))


def test_save_writes_png_of_expected_size_atomically(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "samples.png"
    written = save_image_grid(constant_batch(10, 1, 8), target)
    assert written == target
    with Image.open(target) as picture:
        assert picture.format == "PNG" and picture.mode == "L" and picture.size == (133, 100)
        assert picture.getpixel((1 + 33 + 5, 1 + 5)) == 10  # image 1
    assert [path.name for path in target.parent.iterdir()] == ["samples.png"]  # no temporary file left

    colour = save_image_grid(constant_batch(4, 3, 16), tmp_path / "colour.png", nrow=4)
    with Image.open(colour) as picture:
        assert picture.mode == "RGB" and picture.size == (4 * 33 + 1, 34)


def test_failed_save_keeps_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "grid.png"
    target.write_bytes(b"previous")

    def failing_save(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(grid_module.Image.Image, "save", failing_save)
    # one line naming the file and the cause, not the OSError's traceback
    with pytest.raises(PolemosError, match=r"cannot write .*grid\.png.* \(disk full\); free disk space"):
        save_image_grid(constant_batch(2, 1, 8), target)
    assert target.read_bytes() == b"previous"
    assert [path.name for path in tmp_path.iterdir()] == ["grid.png"]


@pytest.mark.parametrize(
    ("name", "expected"), [("g.jpg", "JPEG"), ("g.JPEG", "JPEG"), ("g.webp", "WEBP"), ("g.bmp", "BMP")]
)
def test_save_writes_the_format_its_extension_names(tmp_path: Path, name: str, expected: str) -> None:
    written = save_image_grid(constant_batch(4, 3, 8), tmp_path / name)
    with Image.open(written) as picture:
        assert picture.format == expected


def test_save_rejects_unknown_extensions_and_folders(tmp_path: Path) -> None:
    with pytest.raises(PolemosError, match=r"unknown extension '\.xyz'; use one of \.png, \.jpg"):
        save_image_grid(constant_batch(2, 1, 8), tmp_path / "grid.xyz")
    with pytest.raises(PolemosError, match="is a folder; pass an image file path"):
        save_image_grid(constant_batch(2, 1, 8), tmp_path)
    assert list(tmp_path.iterdir()) == []
