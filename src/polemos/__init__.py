"""polemos: adversarial learning that is stable by default and measurable offline."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "load"]

from pathlib import Path as _Path
from typing import Any as _Any


def load(run_dir: str | _Path) -> _Any:
    """Loads a trained model from its folder (on CPU), ready to sample.

    Example:
        >>> import polemos
        >>> generator = polemos.load("runs/digits")
        >>> images = generator.sample(16)  # floats in [-1, 1], shape (16, C, R, R)

    Args:
        run_dir: The ``--out`` folder of ``polemos train`` / ``polemos demo`` (an image run), of
            ``polemos tabular fit`` or of ``polemos series fit``.

    Returns:
        An :class:`~polemos.images.task.ImageSampler` for an image run, a
        :class:`~polemos.tabular.TabularGAN` or a :class:`~polemos.series.SeriesGAN` for their folders; each has
        ``sample(n, ...)``.

    Raises:
        PolemosError: If the folder holds no model polemos can read.
    """
    import torch

    from polemos.plugins import load_plugins

    load_plugins()  # a run trained with a plugin's model needs it registered to rebuild the generator
    with torch.device("cpu"):  # built on the CPU whatever the caller's default device (set_default_device)
        return _load(_Path(run_dir))


def _load(folder: _Path) -> _Any:
    from polemos.checks import saved_model_kind

    kind = saved_model_kind(folder)
    if kind == "tabular model":
        from polemos.tabular import TabularGAN

        return TabularGAN.load(folder)
    if kind == "series model":
        from polemos.series import SeriesGAN

        return SeriesGAN.load(folder)
    from polemos.train.checkpoint import read_generator

    weights, metadata = read_generator(folder)
    modality = metadata.get("modality", "images")
    if modality == "images":
        from polemos.images.task import image_sampler_from_export

        return image_sampler_from_export(weights, metadata)
    from polemos.errors import PolemosError

    raise PolemosError(f"cannot load runs of modality {modality!r} with polemos.load; use its own API")
