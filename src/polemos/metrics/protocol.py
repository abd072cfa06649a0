"""Metric values recorded with their protocol: extractor and its hash, sample counts, reference split, seed.

A number without its protocol is not a result (``docs/benchmarks``): :func:`evaluate` returns one
:class:`MetricRecord` per value, each carrying everything needed to compare it with another run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from polemos.errors import PolemosError
from polemos.metrics.distances import METRICS, FeatureArray, as_feature_pair


class HasIdentity(Protocol):
    """What a record needs from an extractor (see :class:`polemos.metrics.extractors.FeatureExtractor`)."""

    id: str

    @property
    def hash(self) -> str: ...


@dataclass(frozen=True)
class MetricRecord:
    """One metric value and the protocol it was measured under.

    Attributes:
        metric: Value name (``"fid"``, ``"kid"``, ``"precision"``...).
        value: The value.
        extractor_id: Feature extractor (``"inception-v3-fid"``, ``"domain-cnn-1x28x28-10classes"``...).
        extractor_hash: sha256 of the extractor's weights.
        n_generated: Number of generated samples.
        n_reference: Number of reference samples.
        reference_split: Which reference data (``"mnist/test"``, ``"train"``...).
        seed: Seed of the metric's own randomness (KID subsets) and, by convention, of the generated samples.
        step: Training step (images or iterations, as the caller counts) or ``None`` for a final model.
        wall_time: Seconds spent computing the metric that produced this value (values computed together,
            such as the four PRDC values, share it).
        extra: Companion values, e.g. ``{"kid_std": ...}``.
    """

    metric: str
    value: float
    extractor_id: str
    extractor_hash: str
    n_generated: int
    n_reference: int
    reference_split: str
    seed: int
    step: int | None
    wall_time: float
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of all fields."""
        record = asdict(self)
        record["extra"] = dict(self.extra)
        return record


def evaluate(
    real_features: FeatureArray,  # (N_reference, D) features of the reference split
    fake_features: FeatureArray,  # (N_generated, D) features of generated samples
    metrics: Sequence[str],  # names in polemos.metrics.distances.METRICS
    extractor: HasIdentity,  # the extractor that produced both feature sets
    reference_split: str,  # name of the reference data
    seed: int,  # seed of the metric randomness
    step: int | None,  # training step, None for a final model
) -> list[MetricRecord]:
    """Computes the named metrics and returns one timed record per value.

    Values named ``<stem>_std`` go into the ``extra`` of the ``<stem>`` record (``kid_std`` -> ``kid``).

    Raises:
        PolemosError: Unknown metric name, incompatible features, or fewer samples than a metric needs.
    """
    specs = [METRICS.get(name) for name in metrics]  # fails early, listing the valid names
    real, fake = as_feature_pair(real_features, fake_features)
    for spec in specs:
        if min(real.shape[0], fake.shape[0]) < spec.min_samples:
            raise PolemosError(
                f"{spec.name} needs at least {spec.min_samples} samples in each set (got {fake.shape[0]} generated, "
                f"{real.shape[0]} reference); use more samples"
            )
    extractor_hash = extractor.hash  # computed once: hashing large networks takes a moment
    records: list[MetricRecord] = []
    for spec in specs:
        if spec.needs != "features":
            raise PolemosError(f"metric {spec.name!r} needs {spec.needs}, not features; compute it separately")
        started = time.perf_counter()
        values = spec.compute(real, fake, seed=seed)
        wall_time = time.perf_counter() - started
        for name, value in values.items():
            if name.endswith("_std") and name[: -len("_std")] in values:
                continue
            extra = {other: float(values[other]) for other in values if other == f"{name}_std"}
            if spec.settings is not None:  # the settings behind the value (KID's subset size, PRDC's k)
                extra |= {key: float(value) for key, value in spec.settings(real.shape[0], fake.shape[0]).items()}
            records.append(
                MetricRecord(
                    metric=name,
                    value=float(value),
                    extractor_id=extractor.id,
                    extractor_hash=extractor_hash,
                    n_generated=int(fake.shape[0]),
                    n_reference=int(real.shape[0]),
                    reference_split=reference_split,
                    seed=seed,
                    step=step,
                    wall_time=wall_time,
                    extra=extra,
                )
            )
    return records
