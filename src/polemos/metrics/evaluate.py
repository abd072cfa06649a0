"""Offline evaluation of a finished image run: FID, KID, precision/recall, density/coverage with their protocol.

:func:`evaluate_run` samples the run's (EMA) generator, extracts features of the generated images and of the
reference images (by default the run's own training data), computes the metrics of
:data:`polemos.metrics.distances.METRICS` and appends one JSON line per value to ``RUN/metrics.jsonl`` with
``"kind": "eval"``.

Two things are cached so that repeated evaluations (of several runs, or at several steps) are cheap:

- ``RUN/extractor/domain-classifier.safetensors``: the ``"auto"`` extractor, a domain classifier trained on the
  run's training data (its hash and accuracy are in ``domain-classifier.json``);
- ``RUN/cache/reference-<key>.pt`` (or ``cache_dir``): the reference features, keyed by the reference source,
  the extractor's hash and the number of reference images.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polemos.checks import check_not_tabular_or_series, check_seed, check_writable_folder
from polemos.errors import PolemosError

if TYPE_CHECKING:
    from torch import Tensor

    from polemos.images.data import ImageData
    from polemos.metrics.extractors import FeatureExtractor
    from polemos.metrics.protocol import MetricRecord

AUTO_EXTRACTOR_FILE = "domain-classifier.safetensors"
AUTO_EXTRACTOR_EPOCHS = 10  # passes of the auto domain classifier over the training data
REFERENCE_SUBSET_SEED = 0  # a fixed seed, so a reference subset (and its cache) is the same for every run
EVAL_KIND = "eval"


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        raise PolemosError(
            f"{what} {str(path)!r} is missing or corrupt; pass the --out folder of a finished training run"
        ) from None


def _check_run_folder(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The run's config.json and model.json; raises PolemosError when ``run_dir`` is not a trained run."""
    if run_dir.is_file():
        raise PolemosError(f"{str(run_dir)!r} is a file, not a run folder; pass the --out folder of polemos train")
    if not run_dir.is_dir():
        raise PolemosError(f"run folder {str(run_dir)!r} does not exist; pass the --out folder of polemos train")
    check_not_tabular_or_series(run_dir, "eval")
    missing = [
        name for name in ("config.json", "model.json", "generator.safetensors") if not (run_dir / name).is_file()
    ]
    if missing:
        raise PolemosError(
            f"{str(run_dir)!r} is not a trained run folder (missing {', '.join(missing)}); pass the --out folder "
            "of a run that has finished or saved a checkpoint"
        )
    config = _read_json(run_dir / "config.json", "run config")
    model = _read_json(run_dir / "model.json", "generator metadata")
    modality = model.get("modality", "images")
    if modality != "images":
        raise PolemosError(
            f"{str(run_dir)!r} is a {modality!r} run; polemos eval measures image runs — use the evaluation of "
            f"the {modality} modality instead"
        )
    return config, model


def _metric_names(metrics: str | Sequence[str]) -> list[str]:
    from polemos.metrics.distances import METRICS

    names = [name.strip() for name in metrics.split(",")] if isinstance(metrics, str) else list(metrics)
    names = [name for name in names if name]
    if not names:
        raise PolemosError(f"no metric given; pass one or more of {', '.join(METRICS.names())}")
    for name in names:
        METRICS.get(name)  # raises PolemosError listing the valid names
    return list(dict.fromkeys(names))  # drop repeats, keep the order


def _load_data(source: str, model: dict[str, Any], root: str | None, skip_unreadable: bool = False) -> ImageData:
    """Images of ``source`` at the generator's resolution and channels."""
    from polemos.images.data import load_images

    return load_images(
        source,
        resolution=int(model["resolution"]),
        channels=int(model["channels"]),
        root=root,
        progress=False,
        skip_unreadable=skip_unreadable,
    )


def _check_metric_sizes(names: Sequence[str], n: int, what: str) -> None:
    """Fails when ``n`` samples are too few for one of the metrics (its value would mean nothing)."""
    from polemos.metrics.distances import METRICS

    for name in names:
        minimum = METRICS.get(name).min_samples
        if n < minimum:
            raise PolemosError(f"{name} needs at least {minimum} {what} (got {n}); pass a larger --n")


def auto_extractor(
    run_dir: Path,  # the run folder; the classifier is cached in RUN/extractor/
    training_data: ImageData,  # the run's training images and labels
    progress: bool = True,
    epochs: int = AUTO_EXTRACTOR_EPOCHS,
) -> FeatureExtractor:
    """The run's own domain classifier: loaded from ``RUN/extractor/`` or trained on its data and saved there.

    Raises:
        PolemosError: The training data has no class labels (a classifier cannot be trained).
    """
    from polemos.metrics.extractors import DomainClassifier, train_domain_classifier

    path = run_dir / "extractor" / AUTO_EXTRACTOR_FILE
    if path.is_file():
        return DomainClassifier.load(path)
    if training_data.num_classes < 2:
        raise PolemosError(
            f"the training data {training_data.source!r} has no class labels, so no domain classifier can be "
            "trained for --extractor auto; pass --extractor pixels, or a classifier trained with "
            "polemos extractor train, or local Inception weights"
        )
    classifier, accuracy = train_domain_classifier(
        training_data.images,
        training_data.labels,
        epochs=epochs,
        seed=0,
        progress=progress,
        class_names=list(training_data.class_names),
    )
    classifier.save(path)
    info = {
        "id": classifier.id,
        "hash": classifier.hash,
        "validation_accuracy": None if math.isnan(accuracy) else accuracy,
        "trained_on": training_data.source,
        "num_images": len(training_data),
        "epochs": epochs,
        "seed": 0,
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=2))
    return classifier


def _features_in_batches(
    extractor: FeatureExtractor, images: Tensor, batch_size: int, progress: bool, description: str
) -> Tensor:
    import torch

    from polemos.metrics.extractors import _progress

    outputs = []
    with _progress(progress) as bar:
        task = bar.add_task(description, total=images.shape[0])
        for start in range(0, images.shape[0], batch_size):
            batch = images[start : start + batch_size]
            outputs.append(extractor.features(batch, batch_size=batch_size))
            bar.advance(task, batch.shape[0])
    return torch.cat(outputs)


def reference_features(
    data: ImageData,  # the reference images
    extractor: FeatureExtractor,
    extractor_hash: str,  # extractor.hash, computed once by the caller
    cache_dir: Path,  # where the features are cached
    n_reference: int | None = None,  # a seeded subset of this size; None: all images
    batch_size: int = 256,
    progress: bool = True,
) -> Tensor:
    """Features of the reference images, cached per (source, resolution, channels, extractor hash, N)."""
    import torch

    from polemos.images.data import to_model_range

    count = len(data) if n_reference is None else min(n_reference, len(data))
    key_text = f"{data.source}|{data.resolution}|{data.channels}|{extractor.id}|{extractor_hash}|{count}"
    key = hashlib.sha256(key_text.encode()).hexdigest()[:20]
    path = cache_dir / f"reference-{key}.pt"
    if path.is_file():
        try:
            cached = torch.load(path, map_location="cpu", weights_only=True)
            if cached.get("key") == key_text:
                return cached["features"]
        except Exception:  # a corrupt cache is recomputed
            pass
    images = data.images
    if count < len(data):
        order = torch.randperm(len(data), generator=torch.Generator().manual_seed(REFERENCE_SUBSET_SEED))
        images = images[order[:count]]
    features = _features_in_batches(
        extractor, to_model_range(images), batch_size, progress, f"reference features ({count})"
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".pt.tmp")
    torch.save({"key": key_text, "features": features.contiguous()}, temporary)
    temporary.replace(path)
    return features


def generated_features(
    sampler: Any,  # what polemos.load returns: .sample(count, labels=None, seed=...)
    extractor: FeatureExtractor,
    n: int,
    seed: int,
    batch_size: int = 256,
    progress: bool = True,
) -> Tensor:
    """Features of ``n`` generated images, sampled in batches; batch i uses latent seed ``seed * 1_000_003 + i``."""
    import torch

    from polemos.metrics.extractors import _progress

    outputs = []
    with _progress(progress) as bar:
        task = bar.add_task(f"generated features ({n})", total=n)
        for index, start in enumerate(range(0, n, batch_size)):
            count = min(batch_size, n - start)
            images = sampler.sample(count, seed=seed * 1_000_003 + index)
            outputs.append(extractor.features(images, batch_size=batch_size))
            bar.advance(task, count)
    return torch.cat(outputs)


def append_records(run_dir: Path, records: Sequence[MetricRecord]) -> Path:
    """Appends each record as a JSON line with ``"kind": "eval"`` to ``RUN/metrics.jsonl``."""
    from polemos.train.sinks import end_partial_line

    path = run_dir / "metrics.jsonl"
    end_partial_line(path)  # after a line cut short by a crash, these records still start on their own line
    with path.open("a", encoding="utf-8") as file:
        for record in records:
            row = {"kind": EVAL_KIND, **record.to_dict()}
            if not math.isfinite(row["value"]):
                row["value"] = str(row["value"])  # JSON has no inf/nan
            file.write(json.dumps(row) + "\n")
    return path


def evaluate_run(
    run_dir: str | Path,  # the --out folder of a finished image run
    metrics: str | Sequence[str] = ("fid", "kid", "prdc"),  # names in METRICS (or "fid,kid")
    n: int = 10_000,  # generated images
    extractor: str = "auto",  # "auto", "pixels", or a path / KIND:PATH (domain classifier, Inception)
    reference: str | None = None,  # reference images (dataset name or path); None: the run's training data
    seed: int = 0,  # seeds the generated latents and the metrics' own randomness (KID subsets)
    batch_size: int = 256,  # images per generator / extractor pass
    progress: bool = True,  # rich progress bars
    *,
    n_reference: int | None = None,  # reference images used (a seeded subset); None: all
    cache_dir: str | Path | None = None,  # where reference features are cached; None: RUN/cache
    write: bool = True,  # append the records to RUN/metrics.jsonl
) -> list[MetricRecord]:
    """Evaluates a run's generator against reference images and records each value with its protocol.

    Example:
        >>> records = evaluate_run("runs/demo", metrics=("fid", "kid"), n=2000)
        >>> {record.metric: record.value for record in records}

    Returns:
        One :class:`~polemos.metrics.protocol.MetricRecord` per value (``fid``, ``kid`` with ``kid_std`` in
        ``extra``, ``precision``, ``recall``, ``density``, ``coverage``...).

    Raises:
        PolemosError: Not a run folder, not an image run, unknown metric (the message lists the valid ones),
            ``n`` <= 0, or a missing or unreadable extractor file.
    """
    import torch

    import polemos
    from polemos.metrics.extractors import get_extractor
    from polemos.metrics.protocol import evaluate

    run_dir = Path(run_dir)
    names = _metric_names(metrics)
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise PolemosError(
            f"the number of generated images must be a positive integer (got {n!r}); pass e.g. --n 10000"
        )
    if batch_size < 1:
        raise PolemosError(f"batch_size is {batch_size}; pass a positive batch size")
    check_seed(seed, "seed (--seed)")  # as polemos sample: negative or too large for torch is refused up front
    if n_reference is not None and n_reference < 2:
        raise PolemosError(f"n_reference is {n_reference}; pass at least 2 reference images or None for all")
    config, model = _check_run_folder(run_dir)
    # metrics.jsonl, cache/ and extractor/ are written there; the command has no other place to write them
    check_writable_folder(run_dir, "the run folder", "copy the run folder somewhere writable and evaluate the copy")
    data_config = config.get("data", {})
    training_source = str(data_config.get("source") or model.get("data_source") or "")
    if not training_source:
        raise PolemosError(
            f"{str(run_dir / 'config.json')!r} names no data.source, so there is no reference set; "
            "pass reference= (the Python API) or restore the run's config.json"
        )
    root = data_config.get("root")
    # runs saved before data.skip_unreadable existed skipped unreadable files (model.json counts them)
    skip_unreadable = bool(data_config.get("skip_unreadable", bool(model.get("skipped_files"))))
    _check_metric_sizes(names, n, "generated images")
    if reference is None:
        from polemos.images.data import is_named_source

        if not is_named_source(training_source) and not Path(training_source).expanduser().exists():
            raise PolemosError(
                f"this run's training data {training_source!r} (data.source in "
                f"{str(run_dir / 'config.json')!r}, needed as the reference set) is missing; restore it at that path"
            )
    sampler = polemos.load(run_dir)  # a damaged generator fails now, not after minutes of extractor training

    if extractor == "auto":
        training_data = _load_data(training_source, model, root, skip_unreadable)
        feature_extractor = auto_extractor(run_dir, training_data, progress=progress, epochs=AUTO_EXTRACTOR_EPOCHS)
    else:
        training_data = None
        feature_extractor = get_extractor(extractor)  # a missing file raises PolemosError
    reference_source = reference or training_source
    if reference is None and training_data is not None:
        reference_data = training_data
    else:
        reference_data = _load_data(
            reference_source, model, root if reference is None else None, skip_unreadable and reference is None
        )

    from polemos.metrics.distances import METRICS

    # the reference set's size is the data's, which --n cannot raise: say so before any features are computed
    count = len(reference_data) if n_reference is None else min(n_reference, len(reference_data))
    short = [(name, METRICS.get(name).min_samples) for name in names if METRICS.get(name).min_samples > count]
    if short:
        needs = ", ".join(f"{name} needs at least {least}" for name, least in short)
        fitting = [name for name in names if METRICS.get(name).min_samples <= count]
        instead = f"evaluate with --metrics {','.join(fitting)}" if fitting else "evaluate against more images"
        raise PolemosError(
            f"the reference set ({reference_data.source}) has {count} image{'' if count == 1 else 's'}; {needs}; "
            f"{instead} (reference= in the Python API takes another set)"
        )
    with torch.no_grad():
        extractor_hash = feature_extractor.hash
        real = reference_features(
            reference_data,
            feature_extractor,
            extractor_hash,
            Path(cache_dir) if cache_dir is not None else run_dir / "cache",
            n_reference=n_reference,
            batch_size=batch_size,
            progress=progress,
        )
        fake = generated_features(sampler, feature_extractor, n, seed, batch_size, progress)
    split = f"train:{reference_data.source}" if reference is None else str(reference_data.source)
    step = model.get("step")
    records = evaluate(real, fake, names, feature_extractor, split, seed, None if step is None else int(step))
    if write:
        append_records(run_dir, records)
    return records
