"""Builds the image :class:`~polemos.train.task.GanTask` from a run config, and rebuilds a generator to sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from polemos.config import RunConfig
from polemos.errors import PolemosError
from polemos.images.augment import DiffAugment
from polemos.images.data import ImageData, load_images, to_model_range
from polemos.images.grid import check_grid_size, grid_format, save_image_grid
from polemos.images.networks import build_image_models
from polemos.train.task import GanTask


def build_image_task(config: RunConfig, data: ImageData | None = None, progress: bool = True) -> GanTask:
    """Loads the data and builds G and D as the config says.

    Args:
        config: The resolved run config.
        data: Already loaded data (skips loading); must match the config's source.
        progress: Show a progress bar while loading large folders.
    """
    if data is None:
        data = load_images(
            config.data.source,
            resolution=config.data.resolution,
            channels=config.data.channels,
            root=config.data.root,
            progress=progress,
            skip_unreadable=config.data.skip_unreadable,
        )
    num_classes = data.num_classes if config.data.conditional else 0
    shortfall = data.classes_shortfall() if config.data.conditional else None
    if shortfall:
        raise PolemosError(
            f"data.conditional is on but {data.source!r} {shortfall}; "
            "use a folder with one sub-folder per class, labelled arrays, or set data.conditional=false"
        )
    spectral_norm = True if config.model.spectral_norm is None else config.model.spectral_norm  # images: on
    if config.train.batch_size % config.model.pack:
        raise PolemosError(
            f"train.batch_size {config.train.batch_size} is not divisible by model.pack {config.model.pack}; "
            "choose a batch size that is a multiple of it"
        )
    generator, discriminator = build_image_models(
        config.model.architecture,
        latent_dim=config.model.latent_dim,
        resolution=data.resolution,
        channels=data.channels,
        width=config.model.width,
        num_classes=num_classes,
        spectral_norm=spectral_norm,
        pack=config.model.pack,
        minibatch_std=config.model.minibatch_std,
    )
    augment = DiffAugment(config.game.augment) if config.game.augment else None
    metadata: dict[str, Any] = {
        "modality": "images",
        "architecture": config.model.architecture,
        "spectral_norm": spectral_norm,
        "resolution": data.resolution,
        "channels": data.channels,
        "width": config.model.width,
        "num_classes": num_classes,
        "class_names": list(data.class_names) if num_classes else [],
        "data_source": data.source,
        "skipped_files": data.skipped,
    }
    evaluate = None
    if config.eval.every is not None:
        from polemos.images.evaluation import ImageEvaluator

        evaluate = ImageEvaluator(config.eval, data, Path(config.train.out), config.train.seed)
    return GanTask(
        generator=generator,
        discriminator=discriminator,
        latent_dim=config.model.latent_dim,
        data=data.images,
        conditions=data.labels if num_classes else None,
        prepare=to_model_range,
        save_samples=lambda samples, path: save_image_grid(samples, path),
        augment=augment,
        metadata=metadata,
        evaluate=evaluate,
    )


_SAMPLE_CHUNK = 1024  # images per generator pass in ImageSampler.sample (the result does not depend on it)


class ImageSampler:
    """A trained image generator, ready to sample (see :func:`polemos.load`).

    Args:
        generator: The generator network (EMA weights when the run used EMA).
        metadata: The run's ``model.json``.
    """

    def __init__(self, generator: torch.nn.Module, metadata: dict[str, Any]) -> None:
        self.generator = generator.eval()
        self.metadata = metadata
        self.latent_dim = int(metadata["latent_dim"])
        self.num_classes = int(metadata.get("num_classes", 0))
        self.class_names: list[str] = list(metadata.get("class_names", []))

    def __repr__(self) -> str:
        """What the generator makes, for notebooks."""
        side, channels = self.metadata.get("resolution"), self.metadata.get("channels")
        classes = f", {self.num_classes} classes" if self.num_classes else ""
        return f"ImageSampler({channels}x{side}x{side} images, latent {self.latent_dim}{classes})"

    def _labels(self, count: int, labels: Tensor | list[int] | int | str | None, rng: torch.Generator) -> Tensor | None:
        if self.num_classes == 0:
            if labels is not None:
                raise PolemosError("this generator is unconditional (trained without labels); pass labels=None")
            return None
        if labels is None:
            return torch.randint(self.num_classes, (count,), generator=rng)
        if isinstance(labels, str):
            if labels not in self.class_names:
                raise PolemosError(f"unknown class {labels!r}; valid classes: {', '.join(self.class_names)}")
            labels = self.class_names.index(labels)
        if isinstance(labels, int):
            if not 0 <= labels < self.num_classes:
                raise PolemosError(f"class {labels} is out of range; valid classes: 0..{self.num_classes - 1}")
            labels = [labels] * count
        labels = torch.as_tensor(labels, dtype=torch.long)
        if labels.numel() != count or labels.min() < 0 or labels.max() >= self.num_classes:
            raise PolemosError(
                f"labels must be one class id, or {count} class ids (one per sample), in 0..{self.num_classes - 1}"
            )
        return labels

    @torch.no_grad()
    def sample(
        self, count: int, labels: Tensor | list[int] | int | str | None = None, seed: int | None = None
    ) -> Tensor:
        """Generates ``count`` images as floats in [-1, 1], shape (count, C, R, R).

        Args:
            count: Number of images.
            labels: Class ids (or one class id/name for all) for a conditional generator; random when None.
            seed: Seed of the latents (and random labels); fresh randomness when None.
        """
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
            raise PolemosError(f"count must be a positive int (got {count!r})")
        count = int(count)
        rng = torch.Generator()
        if seed is None:
            rng.seed()
        else:
            rng.manual_seed(seed)
        latent = torch.randn(count, self.latent_dim, generator=rng)
        condition = self._labels(count, labels, rng)
        device = next(self.generator.parameters()).device
        outputs = []  # in chunks: the activations of one pass over a large count would not fit in memory
        for start in range(0, count, _SAMPLE_CHUNK):
            part = slice(start, start + _SAMPLE_CHUNK)
            labels_part = None if condition is None else condition[part].to(device)
            outputs.append(self.generator(latent[part].to(device), labels_part).float().cpu())
        return torch.cat(outputs)

    def save_grid(self, path: str | Path, count: int = 64, labels: Any = None, seed: int | None = 0) -> Path:
        """Samples ``count`` images and writes them as one grid, in the format ``path``'s extension names."""
        grid_format(path)  # an unsupported extension fails before sampling
        if not isinstance(count, bool) and isinstance(count, int | np.integer) and count >= 1:
            # a grid too large for the format or this machine's memory fails before sampling, not in Pillow
            resolution, channels = int(self.metadata["resolution"]), int(self.metadata["channels"])
            check_grid_size(path, int(count), resolution, channels)
        return save_image_grid(self.sample(count, labels=labels, seed=seed), path)


def _whole_number(metadata: dict[str, Any], key: str, default: int | None = None) -> int:
    """``metadata[key]`` as an int; a missing or non-integer value (a hand-edited model.json) is one line."""
    value = metadata.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        found = "is missing" if value is None else f"is {value!r}, not a whole number"
        raise PolemosError(f"model.json's {key!r} {found}; restore the run's model.json (training writes it)")
    return value


def image_sampler_from_export(weights: dict[str, Tensor], metadata: dict[str, Any]) -> ImageSampler:
    """Rebuilds the generator of an image run from its portable export.

    Raises:
        PolemosError: When model.json lacks a field, holds a value of the wrong type, or does not match the weights.
    """
    if not isinstance(metadata, dict):
        raise PolemosError("model.json does not hold a JSON object; restore the run's model.json (training writes it)")
    architecture = metadata.get("architecture")
    if not isinstance(architecture, str):
        raise PolemosError(f"model.json's 'architecture' is {architecture!r}, not a model name; restore model.json")
    class_names = metadata.get("class_names", [])
    if not isinstance(class_names, list):
        raise PolemosError(f"model.json's 'class_names' is {class_names!r}, not a list; restore model.json")
    generator, _ = build_image_models(
        architecture,
        latent_dim=_whole_number(metadata, "latent_dim"),
        resolution=_whole_number(metadata, "resolution"),
        channels=_whole_number(metadata, "channels"),
        width=_whole_number(metadata, "width"),
        num_classes=_whole_number(metadata, "num_classes", 0),
        spectral_norm=False,
    )
    try:
        generator.load_state_dict(weights)
    except RuntimeError as error:
        raise PolemosError(f"the generator weights do not match model.json ({str(error).splitlines()[0]})") from None
    return ImageSampler(generator, metadata)
