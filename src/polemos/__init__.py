"""polemos: adversarial learning that is stable by default and measurable offline."""

from __future__ import annotations

__version__ = "0.1.0"

from pathlib import Path as _Path
from typing import Any as _Any


def load(run_dir: str | _Path) -> _Any:
    """Loads the trained generator of a run folder (on CPU), ready to sample.

    Example:
        >>> import polemos
        >>> generator = polemos.load("runs/demo")
        >>> images = generator.sample(16)  # floats in [-1, 1], shape (16, C, R, R)

    Args:
        run_dir: The ``--out`` folder of ``polemos train`` or ``polemos demo``.
    """
    from polemos.train.checkpoint import read_generator

    weights, metadata = read_generator(_Path(run_dir))
    modality = metadata.get("modality", "images")
    if modality == "images":
        from polemos.images.task import image_sampler_from_export

        return image_sampler_from_export(weights, metadata)
    from polemos.errors import PolemosError

    raise PolemosError(f"cannot load runs of modality {modality!r} with polemos.load; use its own API")
