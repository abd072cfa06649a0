"""Evaluation of an image generator during training: metric values with their protocol, computed offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from polemos.config import EvalConfig
from polemos.errors import PolemosError
from polemos.images.data import ImageData, to_model_range


class ImageEvaluator:
    """Computes ``eval.metric`` between generated images and the training images every time it is called.

    The extractor is built on first use: a file path or ``pixels`` as given, or for ``auto`` a domain
    classifier trained on the labelled training data (cached as ``RUN/extractor/domain.safetensors``; pixels
    when the data has no labels). Reference features are computed once per run.

    Args:
        config: The ``eval`` section.
        data: The training images (the reference split).
        run_dir: The run folder (for the cached extractor).
        seed: Seed of the generated latents and metric subsets.
    """

    def __init__(self, config: EvalConfig, data: ImageData, run_dir: Path, seed: int) -> None:
        from polemos.metrics.distances import METRICS

        METRICS.get(config.metric)  # fail early with the valid names
        self.config = config
        self.data = data
        self.run_dir = run_dir
        self.seed = seed
        self._extractor: Any = None
        self._reference: torch.Tensor | None = None
        if config.extractor != "auto":  # a missing file fails before training, not at the first evaluation
            from polemos.metrics.extractors import get_extractor

            self._extractor = get_extractor(config.extractor)

    def _build_extractor(self) -> Any:
        from polemos.metrics.extractors import DomainClassifier, get_extractor, train_domain_classifier

        spec = self.config.extractor
        if spec != "auto":
            return get_extractor(spec)
        if self.data.num_classes < 2:
            return get_extractor("pixels")
        cached = self.run_dir / "extractor" / "domain.safetensors"
        if cached.is_file():
            return DomainClassifier.load(cached)
        classifier, _ = train_domain_classifier(
            self.data.images,
            self.data.labels,
            epochs=5,
            seed=self.seed,
            progress=False,
            class_names=self.data.class_names,
        )
        classifier.save(cached)
        return classifier

    def __call__(self, generator: nn.Module, step: int) -> list[dict[str, Any]]:
        """Metric records (dicts) for ``generator`` at ``step``."""

        if self._extractor is None:
            with torch.enable_grad():
                self._extractor = self._build_extractor()
        with torch.no_grad():
            return self._evaluate(generator, step)

    def _evaluate(self, generator: nn.Module, step: int) -> list[dict[str, Any]]:
        from polemos.metrics.protocol import evaluate

        count = min(self.config.n, len(self.data))
        rng = torch.Generator().manual_seed(self.seed)
        if self._reference is None:
            picks = torch.randperm(len(self.data), generator=rng)[:count]
            self._reference = self._extractor.features(to_model_range(self.data.images[picks]))
        device = next(generator.parameters()).device
        latent_dim = int(getattr(generator, "latent_dim", 0)) or _latent_dim(generator)
        num_classes = int(getattr(generator, "num_classes", 0))
        fake_batches = []
        was_training = generator.training
        generator.eval()
        for start in range(0, count, 256):
            size = min(256, count - start)
            latent = torch.randn(size, latent_dim, generator=rng).to(device)
            labels = torch.randint(num_classes, (size,), generator=rng).to(device) if num_classes else None
            fake_batches.append(generator(latent, labels).float().cpu())
        generator.train(was_training)
        fake = self._extractor.features(torch.cat(fake_batches))
        records = evaluate(self._reference, fake, [self.config.metric], self._extractor, "train", self.seed, step)
        return [record.to_dict() for record in records]


def _latent_dim(generator: nn.Module) -> int:
    raise PolemosError("the generator does not expose latent_dim; evaluation during training needs it")
