"""Image grids: a batch tiled into one PNG, each image enlarged with nearest neighbour so 8x8 digits show."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from polemos.errors import PolemosError
from polemos.files import atomic_write
from polemos.images.data import from_model_range

PAD_VALUE = 128  # mid grey: visible against both black (digits, MNIST) and white backgrounds
# Pillow formats a grid can be written in, by file extension, and their options (lossless except JPEG).
GRID_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP"}
_FORMAT_OPTIONS: dict[str, dict[str, object]] = {"JPEG": {"quality": 95}, "WEBP": {"lossless": True}}
_MAX_SIDE = {"JPEG": 65_535, "WEBP": 16_383}  # the largest image side each format can store
_BMP_MAX_BYTES = 2**32 - 1  # BMP stores its file size in 32 bits


def grid_format(path: str | os.PathLike) -> str:
    """The Pillow format named by ``path``'s extension.

    Raises:
        PolemosError: The path is an existing folder or its extension is not in :data:`GRID_FORMATS`.
    """
    target = Path(path)
    valid = ", ".join(GRID_FORMATS)
    if target.is_dir():
        raise PolemosError(f"{str(target)!r} is a folder; pass an image file path, e.g. {target / 'grid.png'}")
    image_format = GRID_FORMATS.get(target.suffix.lower())
    if image_format is None:
        raise PolemosError(
            f"cannot write an image grid to {str(target)!r}: unknown extension {target.suffix or '(none)'!r}; "
            f"use one of {valid}"
        )
    return image_format


def grid_size(
    count: int, height: int, width: int, nrow: int | None = None, min_cell: int = 32, padding: int = 1
) -> tuple[int, int, int]:
    """``(grid height, grid width, scale)`` of the grid :func:`make_image_grid` makes of ``count`` images."""
    columns = math.ceil(math.sqrt(count)) if nrow is None else max(1, min(int(nrow), count))
    rows = math.ceil(count / columns)
    scale = max(1, math.ceil(min_cell / max(height, width)))
    return rows * (height * scale + padding) + padding, columns * (width * scale + padding) + padding, scale


def check_grid_size(path: str | os.PathLike, count: int, side: int, channels: int) -> None:
    """Fails with one line, before any sampling, when a grid of ``count`` images cannot be written or held.

    Args:
        path: The grid file; its extension names the format (JPEG and WebP limit the side).
        count: Images in the grid.
        side: Their side in pixels.
        channels: 1 or 3.
    """
    from polemos.checks import check_memory

    image_format = grid_format(path)
    height, width, scale = grid_size(count, side, side)
    fix = "pass a smaller --n (or sample in several grids)"
    limit = _MAX_SIDE.get(image_format)
    if limit is not None and max(height, width) > limit:
        raise PolemosError(
            f"a grid of {count:,} images is {width:,}x{height:,} pixels, more than {image_format} allows "
            f"({limit:,}); {fix}, or write a .png"
        )
    if image_format == "BMP" and height * width * channels > _BMP_MAX_BYTES:
        raise PolemosError(
            f"a grid of {count:,} images is larger than a BMP file can be (4 GiB); {fix}, or write a .png"
        )
    # the float samples and the grid's bytes (as float64-sized numbers, the unit of check_memory)
    check_memory(count * channels * side * side // 2 + height * width * channels // 8, f"{count:,} samples", fix, 2.0)


def make_image_grid(
    images: torch.Tensor,  # (N, C, H, W), C 1 or 3; float in [-1, 1] (model range) or uint8 pixels
    nrow: int | None = None,  # images per row; None: ceil(sqrt(N))
    min_cell: int = 32,  # whole-factor enlargement until the longer side is >= this, in pixels
    padding: int = 1,  # pixels of PAD_VALUE between cells and around the grid
) -> np.ndarray:
    """Tiles a batch of images into one ``uint8`` array ``(height, width, C)``.

    Args:
        images: A batch ``(N, C, H, W)`` with C 1 or 3, floats in the model range [-1, 1] (values outside are
            clamped) or ``uint8`` pixels 0..255.
        nrow: Images per row; ``None`` uses ``ceil(sqrt(N))``. Empty cells of the last row are left grey.
        min_cell: Each image is enlarged by the integer factor ``ceil(min_cell / max(H, W))`` (at least 1)
            with nearest neighbour, so an 8x8 digit becomes a 32x32 cell by default.
        padding: Width in pixels of the grey border between cells and around the grid.

    Returns:
        A ``uint8`` array of shape ``(rows * (H*s + p) + p, nrow * (W*s + p) + p, C)`` where ``s`` is the
        enlargement factor and ``p`` the padding.
    """
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be (N, C, H, W) with C 1 or 3, got shape {tuple(images.shape)}")
    count, channels, height, width = (int(size) for size in images.shape)
    if count == 0:
        raise ValueError("cannot make a grid of zero images")
    if padding < 0 or min_cell < 1:
        raise ValueError(f"need padding >= 0 and min_cell >= 1, got padding={padding}, min_cell={min_cell}")
    columns = math.ceil(math.sqrt(count)) if nrow is None else max(1, min(int(nrow), count))
    rows = math.ceil(count / columns)
    _, _, scale = grid_size(count, height, width, nrow, min_cell, padding)

    if images.dtype == torch.uint8:
        pixels = images.detach()
    elif images.is_floating_point():
        pixels = from_model_range(images)
    else:
        raise TypeError(f"images must be float in [-1, 1] or uint8 pixels, got {images.dtype}")
    cells = pixels.cpu().numpy().transpose(0, 2, 3, 1)  # (N, H, W, C)
    cells = cells.repeat(scale, axis=1).repeat(scale, axis=2)  # nearest-neighbour enlargement
    cell_height, cell_width = height * scale, width * scale

    grid = np.full(
        (rows * (cell_height + padding) + padding, columns * (cell_width + padding) + padding, channels),
        PAD_VALUE,
        dtype=np.uint8,
    )
    for index in range(count):
        row, column = divmod(index, columns)
        top = padding + row * (cell_height + padding)
        left = padding + column * (cell_width + padding)
        grid[top : top + cell_height, left : left + cell_width] = cells[index]
    return grid


def save_image_grid(
    images: torch.Tensor,  # (N, C, H, W), C 1 or 3; float in [-1, 1] (model range) or uint8 pixels
    path: str | os.PathLike,  # the image file to write (.png, .jpg, .webp, .bmp); parent folders are created
    nrow: int | None = None,  # images per row; None: ceil(sqrt(N))
    min_cell: int = 32,  # each image is enlarged until its longer side is >= this, in pixels
    padding: int = 1,  # pixels of grey between cells and around the grid
) -> Path:
    """Writes a batch of images as one grid image, atomically (a temporary file renamed over ``path``).

    Args:
        images: A batch ``(N, C, H, W)`` with C 1 or 3, floats in [-1, 1] or ``uint8`` pixels.
        path: Where to write the grid, in the format its extension names (see :data:`GRID_FORMATS`); parent
            folders are created.
        nrow: Images per row; ``None`` uses ``ceil(sqrt(N))``.
        min_cell: Minimum cell side in pixels, reached by whole-factor nearest-neighbour enlargement.
        padding: Width in pixels of the grey border between cells and around the grid.

    Returns:
        The path written.

    Raises:
        PolemosError: ``path`` is a folder or has an unsupported extension.
    """
    image_format = grid_format(path)
    grid = make_image_grid(images, nrow=nrow, min_cell=min_cell, padding=padding)
    picture = Image.fromarray(grid[:, :, 0] if grid.shape[2] == 1 else grid)
    # readers never see a half-written PNG
    options = _FORMAT_OPTIONS.get(image_format, {})
    return atomic_write(path, lambda temporary: picture.save(temporary, format=image_format, **options))
