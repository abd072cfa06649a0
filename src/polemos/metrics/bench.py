"""Benchmarks of the evaluation issue: ``mixtures`` (BENCHMARKS.md §1), ``stacked-mnist`` (§2) and
``mnist-quality`` (§3).

Each ``run(seeds, quick, **options)`` returns ``{"summary", "per_seed", "protocol"}``: the summary holds means
(and standard deviations) over seeds, ``per_seed`` the raw numbers, and the protocol every setting behind them
(sample counts, extractor and its hash, budgets, threads, machine). ``quick=True`` is a reduced protocol for
smoke runs, labelled ``"reduced": true``; its numbers are not comparable with published ones.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from polemos.bench import BENCHMARKS, progress_note
from polemos.errors import PolemosError

__all__ = [
    "MIXTURE_RECIPES",
    "MixtureSettings",
    "run_mixtures",
    "run_mnist_quality",
    "run_stacked_mnist",
    "shared_mnist_dir",
    "stacked_kl_parts",
    "train_mixture",
]

GENERATED_MIXTURE_SAMPLES = 2_500  # BENCHMARKS.md §1
STACKED_MNIST_SAMPLES = 26_000  # BENCHMARKS.md §2
STACKED_CONFIDENCE = 0.9  # a classified digit counts as recognisable above this top softmax probability
SHARED_DATA_ENV = "POLEMOS_SHARED_DATA"  # folder holding mnist/ (the project's ../shared/data by default)


def _machine(threads: int) -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "torch_threads": threads,
        "torch": torch.__version__,
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = [float(value) for value in values]
    if not values:
        return math.nan, math.nan
    if not all(math.isfinite(value) for value in values):  # e.g. an infinite KL: no meaningful spread
        return math.fsum(values) / len(values), math.nan
    mean = statistics.fmean(values)
    return mean, statistics.stdev(values) if len(values) > 1 else 0.0


def _summarise(per_seed: Sequence[dict[str, Any]], keys: Sequence[str]) -> dict[str, float]:
    summary: dict[str, float] = {}
    for key in keys:
        mean, std = _mean_std([row[key] for row in per_seed])
        summary[key] = mean
        summary[f"{key}_std"] = std
    return summary


def _checked_overrides(overrides: str | Sequence[str]) -> list[str]:
    """Dotted config overrides as a list (one string counts as one override), checked before any training.

    Raises:
        PolemosError: Naming an override that is not ``section.key=value`` with a known key.
    """
    from polemos.config import parse_override

    listed = [overrides] if isinstance(overrides, str) else [str(text) for text in overrides]
    for text in listed:
        parse_override(text)
    return listed


def _common_overrides(threads: int) -> list[str]:
    """Overrides every benchmark training shares: CPU, one process, no progress bar, few files."""
    return [
        "train.accelerator=cpu",
        "train.devices=1",
        "train.progress=false",
        "train.loggers=[jsonl]",
        f"train.num_threads={threads}",
    ]


@contextlib.contextmanager
def _runs_folder(prefix: str, runs_dir: str | None, names: Sequence[str]) -> Iterator[Path]:
    """The folder of a benchmark's run folders: temporary (deleted after) unless ``runs_dir`` keeps them.

    Fails before any training when a run folder in ``runs_dir`` already holds a run, so nothing is overwritten.
    """
    if runs_dir is None:
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            yield Path(folder)
        return
    folder = Path(runs_dir).expanduser()
    taken = [name for name in names if (folder / name / "checkpoints" / "last.pt").exists()]
    if taken:
        raise PolemosError(
            f"runs_dir {str(folder)!r} already holds the run {taken[0]!r}; choose an empty or new folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    yield folder


# ----------------------------------------------------------------------------------------------------
# §1 Mode collapse on 2D mixtures


# The recipes compared: a config preset plus game overrides. "default" is the config defaults (the stable
# recipe), "minimax-2014" the saturating loss without tricks. DiffAugment is an image augmentation: off for points.
# "default-lr2e-4" is the default recipe with the learning rates of the presets (2e-4), for comparison.
MIXTURE_RECIPES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "default": (None, ("game.augment=",)),
    "default-lr2e-4": (None, ("game.augment=", "game.lr_generator=2e-4", "game.lr_discriminator=2e-4")),
    "minimax-2014": ("minimax-2014", ("game.augment=",)),
}


class MixtureSettings:
    """The points-task and loop settings of the mixtures benchmark (not game settings: those are the recipe's).

    Attributes:
        steps: Generator steps (6,000; grid-25 12,000, see :meth:`for_dataset`. The config default of 2,000 leaves
            ring-8 at ~25 % high-quality samples;
            about 60 s on one quiet CPU thread; 9,000 constant-lr steps did not beat 6,000 on ring-8).
        batch_size: Samples per batch (256; see :meth:`for_dataset` for why).
        width: Hidden units of the MLPs.
        depth: Hidden layers of the MLPs.
        latent_dim: Size of z.
        pack: PacGAN packing degree of D.
        train_points: Size of the fixed training set drawn from the mixture.
    """

    def __init__(
        self,
        steps: int = 6000,
        batch_size: int = 256,
        width: int = 128,
        depth: int = 3,
        latent_dim: int = 2,
        pack: int = 1,
        train_points: int = 100_000,
    ) -> None:
        self.steps = steps
        self.batch_size = batch_size
        self.width = width
        self.depth = depth
        self.latent_dim = latent_dim
        self.pack = pack
        self.train_points = train_points

    def to_dict(self) -> dict[str, int]:
        return dict(vars(self))

    @classmethod
    def for_dataset(cls, dataset: str, **overrides: int) -> MixtureSettings:
        """The settings used for ``dataset`` when none are given.

        Both mixtures train with batches of 256. With 64, grid-25 (fewer than three samples per mode per
        batch) reached 35 % (with spectral norm) and 55 % (without) high-quality samples, against 89-94 % with
        256; ring-8 reached 93.1 % against 95.6 % with 256 (5 seeds each, docs/benchmarks.md §4).
        grid-25 trains 12,000 steps (ring-8 6,000): with 25 modes to separate, 6,000 steps left 89.7 % of the
        samples high-quality, 12,000 steps 93.3 % (constant rate) and 95.6 % (the points' cosine decay).
        """
        per_dataset = {"grid-25": {"steps": 12_000}}
        return cls(**{**per_dataset.get(dataset, {}), **overrides})


def train_mixture(
    dataset: str,  # "ring-8" or "grid-25"
    recipe: str,  # a key of MIXTURE_RECIPES
    seed: int,  # seeds the data, the networks, the batches and the evaluation latents
    settings: MixtureSettings,
    out: Path,  # run folder
    overrides: Sequence[str] = (),  # extra dotted config overrides (game.lr_generator=1e-4, ...)
    threads: int = 1,
) -> tuple[torch.Tensor, float, int]:
    """Trains one GAN on a 2D mixture; returns 2,500 points of its (EMA) generator, seconds, steps done."""
    from lightning_fabric import Fabric

    from polemos.config import resolve_config
    from polemos.points import build_points_task, sample_mixture
    from polemos.train.loop import Trainer

    if recipe not in MIXTURE_RECIPES:
        raise PolemosError(f"unknown recipe {recipe!r}; valid recipes: {', '.join(MIXTURE_RECIPES)}")
    preset, recipe_overrides = MIXTURE_RECIPES[recipe]
    config = resolve_config(
        preset=preset,
        flags={
            "train.out": str(out),
            "train.steps": settings.steps,
            "train.batch_size": settings.batch_size,
            "train.seed": seed,
            "model.pack": settings.pack,  # recorded in the run's config.json
        },
        overrides=[
            *recipe_overrides,
            *_common_overrides(threads),
            f"train.sample_every={settings.steps}",
            f"train.checkpoint_every={settings.steps}",
            f"train.log_every={max(1, settings.steps // 10)}",
            *overrides,
        ],
    )
    torch.manual_seed(seed)
    task = build_points_task(
        sample_mixture(dataset, settings.train_points, seed=seed),
        latent_dim=settings.latent_dim,
        width=settings.width,
        depth=settings.depth,
        spectral_norm=config.model.spectral_norm,
        pack=config.model.pack,
    )
    trainer = Trainer(config, task, fabric=Fabric(accelerator="cpu", devices=1))
    result = trainer.fit()
    generator = trainer.ema.module if trainer.ema is not None else task.generator
    latent_rng = torch.Generator().manual_seed(10_000 + seed)  # evaluation latents, disjoint from training
    latent = torch.randn(GENERATED_MIXTURE_SAMPLES, settings.latent_dim, generator=latent_rng)
    generator.eval()
    with torch.no_grad():
        points = generator(latent).float().cpu()
    return points, result.seconds, result.step


@BENCHMARKS.register("mixtures", "mode collapse on ring-8 / grid-25 (PacGAN/VEEGAN protocol): modes, HQ, KL")
def run_mixtures(
    seeds: int = 5,
    quick: bool = False,
    dataset: str = "ring-8",
    recipe: str = "default",
    overrides: str | Sequence[str] = (),
    threads: int = 1,
    runs_dir: str | None = None,
    **settings: int,
) -> dict[str, Any]:
    """Modes captured, share of high-quality samples and reverse KL over seeds (BENCHMARKS.md §1).

    Per seed: train the recipe on ``settings.train_points`` points of the mixture, draw 2,500 points from the
    (EMA) generator, assign each to its nearest mode; a point is high quality when ``|x - mu_k| / sigma < 3``;
    a mode is captured when at least one high-quality point is nearest to it. With ``n_k`` the high-quality
    points nearest to mode k and ``p_k = n_k / sum_j n_j``::

        reverse KL = KL(p || uniform) = sum_{k: n_k > 0} p_k log(K p_k)     (nats; empty bins add 0)

    which is 0 for a uniform histogram and log K when every high-quality point sits on one mode (``inf`` when no
    point is high quality).

    Args:
        seeds: Number of seeds (the protocol asks for at least 5).
        quick: Smoke-test protocol: 150 steps on 5,000 training points (unless given); labelled reduced.
        dataset: ``"ring-8"`` or ``"grid-25"``.
        recipe: ``"default"`` (config defaults), ``"default-lr2e-4"`` or ``"minimax-2014"``.
        overrides: Extra dotted config overrides applied after the recipe.
        threads: torch threads.
        runs_dir: Keep each seed's run folder (``seed0``...) here; by default they are temporary.
        **settings: Fields of :class:`MixtureSettings` (steps, batch_size, width, depth, latent_dim, pack,
            train_points).
    """
    from polemos.metrics.mixtures import mixture_scores
    from polemos.points import MIXTURES

    means, sigma = MIXTURES.get(dataset)
    if quick:
        settings = {"steps": 150, "train_points": 5_000, **settings}
    valid = MixtureSettings().to_dict()
    unknown = sorted(set(settings) - set(valid))
    if unknown:
        raise PolemosError(f"unknown mixtures option {unknown[0]!r}; valid: {', '.join(valid)}")
    mixture_settings = MixtureSettings.for_dataset(dataset, **settings)
    overrides = _checked_overrides(overrides)
    torch.set_num_threads(threads)
    per_seed = []
    with _runs_folder("polemos-mixtures-", runs_dir, [f"seed{seed}" for seed in range(seeds)]) as folder:
        for seed in range(seeds):
            points, seconds, steps = train_mixture(
                dataset, recipe, seed, mixture_settings, folder / f"seed{seed}", overrides, threads
            )
            scores = mixture_scores(points, means, sigma)
            progress_note(
                "mixtures",
                f"{dataset} seed {seed}: {scores.modes}/{len(means)} modes, {scores.high_quality:.1%} high quality, "
                f"reverse KL {scores.reverse_kl:.4f} ({steps} steps, {seconds:.0f} s)",
            )
            per_seed.append(
                {
                    "seed": seed,
                    "modes": scores.modes,
                    "high_quality": scores.high_quality,
                    "reverse_kl": scores.reverse_kl,
                    "seconds": seconds,
                    "steps": steps,
                    "counts": list(scores.counts),
                }
            )
    summary = _summarise(per_seed, ("modes", "high_quality", "reverse_kl", "seconds"))
    summary["num_modes"] = len(means)
    summary["all_modes_every_seed"] = all(row["modes"] == len(means) for row in per_seed)
    return {
        "benchmark": "mixtures",
        "summary": summary,
        "per_seed": per_seed,
        "protocol": {
            "reduced": quick or seeds < 5,
            "dataset": dataset,
            "sigma": sigma,
            "num_modes": len(means),
            "recipe": recipe,
            "recipe_preset": MIXTURE_RECIPES[recipe][0] or "default",
            "recipe_overrides": list(MIXTURE_RECIPES[recipe][1]) + list(overrides),
            "settings": mixture_settings.to_dict(),
            "generated_samples": GENERATED_MIXTURE_SAMPLES,
            "high_quality": "Euclidean distance to the nearest mode < 3 sigma",
            "mode_captured": ">= 1 high-quality sample nearest to the mode",
            "reverse_kl": "KL(p_hq || uniform) = sum_{n_k > 0} p_k log(K p_k), nats",
            "evaluated_generator": "EMA when the recipe uses it, else G",
            "seeds": seeds,
            "machine": _machine(threads),
        },
    }


# ----------------------------------------------------------------------------------------------------
# MNIST helpers (the 10k test split in ../shared/data/mnist)

MNIST_IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
MNIST_RESOLUTION = 32  # 28x28 digits padded/resized to the next power of two, as the image models need


def shared_mnist_dir() -> Path:
    """The folder holding the MNIST IDX files: ``$POLEMOS_SHARED_DATA/mnist`` or the project's ``../shared``."""
    environment = os.environ.get(SHARED_DATA_ENV)
    if environment:
        base = Path(environment).expanduser()
        return base if (base / MNIST_IMAGES_FILE).is_file() else base / "mnist"
    return Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mnist"


def _mnist_or_skip(name: str) -> tuple[Path | None, dict[str, Any] | None]:
    """The MNIST images file, or a ``{"skipped": reason}`` result when it is absent (``polemos bench`` exits 1)."""
    path = shared_mnist_dir() / MNIST_IMAGES_FILE
    if path.is_file():
        return path, None
    reason = (
        f"MNIST not found at {path}; set {SHARED_DATA_ENV} to a folder holding mnist/{MNIST_IMAGES_FILE} "
        "and its labels file"
    )
    return None, {"benchmark": name, "skipped": reason}


def _load_mnist(path: Path) -> Any:
    from polemos.images.data import load_images

    return load_images(str(path), resolution=MNIST_RESOLUTION, channels=1, progress=False)


def _train_digit_classifier(mnist: Any, epochs: int, limit: int | None, seed: int = 0) -> tuple[Any, float]:
    """The in-house MNIST digit classifier (domain CNN), trained on (a prefix of) the 10k test split."""
    from polemos.metrics.extractors import train_domain_classifier

    images, labels = mnist.images, mnist.labels
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return train_domain_classifier(
        images, labels, epochs=epochs, seed=seed, progress=False, class_names=list(mnist.class_names)
    )


def _train_image_run(
    data: Any,  # ImageData to train on
    out: Path,
    preset: str | None,
    seed: int,
    budget: float,  # seconds of training (train.max_time)
    steps: int,  # at most this many generator steps
    threads: int,
    source: str,
    overrides: Sequence[str] = (),
) -> Any:
    """Trains an image GAN on ``data`` for ``budget`` seconds; returns the TrainResult (run folder in ``out``)."""
    from lightning_fabric import Fabric

    from polemos.config import resolve_config
    from polemos.images.task import build_image_task
    from polemos.train.loop import Trainer

    config = resolve_config(
        preset=preset,
        flags={
            "data.source": source,
            "train.out": str(out),
            "train.steps": steps,
            "train.seed": seed,
            "train.max_time": budget,
        },
        overrides=[
            *_common_overrides(threads),
            f"train.sample_every={steps}",
            f"train.checkpoint_every={steps}",
            "train.log_every=5",  # train.max_time is checked every log_every steps; image steps are slow on CPU
            *overrides,
        ],
    )
    torch.manual_seed(seed)
    task = build_image_task(config, data=data, progress=False)
    return Trainer(config, task, fabric=Fabric(accelerator="cpu", devices=1)).fit()


# ----------------------------------------------------------------------------------------------------
# §2 Stacked MNIST


def stacked_mnist(mnist: Any, count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` 3-channel images whose channels are three random MNIST digits; class = 100 d0 + 10 d1 + d2.

    Returns:
        uint8 images (count, 3, R, R) and int64 classes (count,) in [0, 1000).
    """
    rng = torch.Generator().manual_seed(seed)
    picks = torch.randint(len(mnist), (count, 3), generator=rng)
    images = mnist.images[picks, 0]  # (count, 3, R, R): channel c is digit picks[:, c]
    digits = mnist.labels[picks]
    return images.contiguous(), digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]


def stacked_predictions(
    classifier: Any, images: torch.Tensor, batch_size: int = 1024
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each channel of stacked images classified as a digit by ``classifier``, with the classifier's confidence.

    Returns:
        The 1,000-way classes (N,) = 100 d0 + 10 d1 + d2, and the top softmax probability of each channel (N, 3).
    """
    probabilities = [
        classifier.probabilities(images[:, channel : channel + 1], batch_size=batch_size) for channel in range(3)
    ]
    top, digits = torch.stack(probabilities, dim=1).max(dim=2)  # (N, 3) each
    return digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2], top


def stacked_classes(classifier: Any, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The 1,000-way class of stacked images: each channel classified as a digit by ``classifier``."""
    return stacked_predictions(classifier, images, batch_size)[0]


def confident_share(top_probabilities: torch.Tensor, threshold: float = STACKED_CONFIDENCE) -> float:
    """Share of classified digits whose top softmax probability exceeds ``threshold``: how recognisable they are."""
    return float((top_probabilities > threshold).double().mean())


def stacked_kl_parts(classes: torch.Tensor) -> dict[str, Any]:
    """Where the stacked-MNIST KL comes from: per-channel digit imbalance vs dependence between channels.

    With q the distribution of the 1,000 classes, q_i its digit marginal in channel i and u uniform,
    ``KL(q || u) = sum_i KL(q_i || u_10) + TC(q)``, TC being the total correlation (KL of q from the product of
    its marginals). Real stacked data scores TC ~ (1000 - 1 - 3 x 9) / (2 N) from sampling alone.

    Args:
        classes: (N,) classes in 0..999, as returned by :func:`stacked_classes`.

    Returns:
        ``{"kl": float, "marginal_kl": [3 floats], "total_correlation": float, "digit_share": [3 x 10 shares]}``.
    """
    from polemos.metrics.mixtures import reverse_kl_to_uniform

    digits = [classes // 100, classes // 10 % 10, classes % 10]
    histograms = [torch.bincount(channel, minlength=10) for channel in digits]
    marginal = [reverse_kl_to_uniform(histogram) for histogram in histograms]
    total = reverse_kl_to_uniform(torch.bincount(classes, minlength=1000))
    return {
        "kl": total,
        "marginal_kl": marginal,
        "total_correlation": total - sum(marginal),
        "digit_share": [(histogram / histogram.sum()).tolist() for histogram in histograms],
    }


def score_stacked_run(
    classifier: Any, run_dir: str | Path, seed: int, samples: int = STACKED_MNIST_SAMPLES
) -> dict[str, Any]:
    """Scores a stacked-MNIST run folder's exported (EMA) generator as the benchmark does (§2).

    Draws ``samples`` images in batches of 1,000 with the fixed seeds ``seed * 1_000_003 + batch index``, so the
    same folder, seed and classifier give the same numbers.

    Returns:
        ``{"modes", "kl", "marginal_kl", "total_correlation", "digit_share", "confident_share"}``.
    """
    import polemos

    sampler = polemos.load(run_dir)
    generated = torch.cat(
        [
            sampler.sample(min(1000, samples - start), seed=seed * 1_000_003 + index)
            for index, start in enumerate(range(0, samples, 1000))
        ]
    )
    classes, top_probabilities = stacked_predictions(classifier, generated)
    return {
        "modes": int((torch.bincount(classes, minlength=1000) > 0).sum()),
        **stacked_kl_parts(classes),  # kl and its parts
        "confident_share": confident_share(top_probabilities),
    }


@BENCHMARKS.register("stacked-mnist", "1,000-mode stacked MNIST (PacGAN protocol): modes covered and KL")
def run_stacked_mnist(
    seeds: int = 3,
    quick: bool = False,
    budget: float | None = None,
    steps: int = 100_000,
    train_images: int = 50_000,
    classifier_epochs: int | None = None,
    recipe: str = "default",
    overrides: str | Sequence[str] = (),
    threads: int = 1,
    first_seed: int = 0,
    runs_dir: str | None = None,
) -> dict[str, Any]:
    """Modes covered (of 1,000) and KL(generated class histogram || uniform) over 26,000 samples (§2).

    The stacked training set is built from the 10k MNIST test split (the only split available): each image
    stacks three random digits as its three channels. A domain CNN trained on the same 10k digits labels each
    generated channel; with ``q_c`` the share of generated samples in class c (of 1,000)::

        KL = sum_{c: q_c > 0} q_c log(1000 q_c)     (nats; empty classes add 0)

    Runtime: ``budget`` seconds of training per seed (default 600; 10 with ``quick``), plus the classifier
    (~1-2 min for 5 epochs on 10k digits on one CPU thread) and ~30 s to classify 3 x 26,000 channels.

    Args:
        seeds: Number of seeds.
        quick: Smoke protocol: 10 s training, 2,600 samples, classifier on 2,000 digits for 1 epoch.
        budget: Training seconds per seed.
        steps: Cap on generator steps (the budget usually ends the run first).
        train_images: Size of the stacked training set.
        classifier_epochs: Epochs of the digit classifier (default 5; 1 with ``quick``).
        recipe: ``"default"`` (config defaults) or a preset name (``"dcgan-classic"``...).
        overrides: Extra dotted config overrides.
        threads: torch threads.
        first_seed: Seeds are ``first_seed .. first_seed + seeds - 1`` (to split seeds over processes).
        runs_dir: Keep each seed's run folder (``seed0``...) here; by default they are temporary.
    """
    from polemos.images.data import ImageData

    path, skipped = _mnist_or_skip("stacked-mnist")
    if skipped is not None:
        return skipped
    assert path is not None
    overrides = _checked_overrides(overrides)
    torch.set_num_threads(threads)
    budget = budget if budget is not None else (10.0 if quick else 600.0)
    samples = STACKED_MNIST_SAMPLES // 10 if quick else STACKED_MNIST_SAMPLES
    epochs = classifier_epochs if classifier_epochs is not None else (1 if quick else 5)
    if quick:
        train_images = min(train_images, 5_000)
    mnist = _load_mnist(path)
    started = time.perf_counter()
    classifier, accuracy = _train_digit_classifier(mnist, epochs, 2_000 if quick else None)
    classifier_seconds = time.perf_counter() - started
    progress_note("stacked-mnist", f"digit classifier trained: {accuracy:.1%} in {classifier_seconds:.0f} s")
    preset = None if recipe == "default" else recipe
    per_seed = []
    seed_range = range(first_seed, first_seed + seeds)
    with _runs_folder("polemos-stacked-", runs_dir, [f"seed{seed}" for seed in seed_range]) as folder:
        for seed in seed_range:
            images, _ = stacked_mnist(mnist, train_images, seed=seed)
            data = ImageData(images, torch.zeros(len(images), dtype=torch.int64), (), "stacked-mnist")
            run_dir = folder / f"seed{seed}"
            progress_note("stacked-mnist", f"seed {seed}: training for up to {budget:.0f} s or {steps} steps")
            result = _train_image_run(data, run_dir, preset, seed, budget, steps, threads, str(path), overrides)
            evaluation_started = time.perf_counter()
            per_seed.append(
                {
                    "seed": seed,
                    **score_stacked_run(classifier, run_dir, seed, samples),
                    "train_seconds": result.seconds,
                    "steps": result.step,
                    "sample_and_classify_seconds": time.perf_counter() - evaluation_started,
                }
            )
            progress_note("stacked-mnist", json.dumps(per_seed[-1]))  # partial results of long runs
    summary = _summarise(per_seed, ("modes", "kl", "train_seconds", "steps"))
    return {
        "benchmark": "stacked-mnist",
        "summary": summary,
        "per_seed": per_seed,
        "protocol": {
            "reduced": quick or seeds < 3,
            "source": f"{path} (MNIST test split, 10k digits; the train split is not available)",
            "stacked_training_images": train_images,
            "resolution": MNIST_RESOLUTION,
            "recipe": recipe,
            "overrides": list(overrides),
            "training_budget_seconds": budget,
            "training_steps_cap": steps,
            "generated_samples": samples,
            "classifier": {
                "id": classifier.id,
                "hash": classifier.hash,
                "validation_accuracy": accuracy,
                "epochs": epochs,
                "trained_on": "2,000 test digits" if quick else "the 10k test digits (10% held out)",
                "seconds": classifier_seconds,
            },
            "kl": "KL(q || uniform over 1000) = sum_{q_c > 0} q_c log(1000 q_c), nats",
            "kl_parts": "KL = sum of the 3 channels' digit-marginal KLs to uniform over 10 + total correlation",
            "confident_share": f"share of generated channels whose top classifier probability > {STACKED_CONFIDENCE}",
            "seeds": seeds,
            "first_seed": first_seed,
            "machine": _machine(threads),
        },
    }


# ----------------------------------------------------------------------------------------------------
# §3 MNIST image quality: default recipe vs DCGAN-classic, same wall-clock budget

MNIST_QUALITY_RECIPES = {"default": None, "dcgan-classic": "dcgan-classic"}


@BENCHMARKS.register("mnist-quality", "default recipe vs dcgan-classic on MNIST, same budget: FID/KID/PRDC")
def run_mnist_quality(
    seeds: int = 3,
    quick: bool = False,
    budget: float | None = None,
    recipes: Sequence[str] = ("default", "dcgan-classic"),
    generated: int | None = None,
    steps: int = 1_000_000,
    classifier_epochs: int | None = None,
    threads: int = 1,
    width: int = 32,
    overrides: str | Sequence[str] = (),
    runs_dir: str | None = None,
) -> dict[str, Any]:
    """FID, KID, precision/recall, density/coverage of each recipe after the same training time (§3).

    Both recipes train on the 10k MNIST test digits (32x32, the only split here) for ``budget`` seconds each;
    10k generated images are compared with the same 10k digits (the reference split is the training data) on
    the features of the in-house MNIST domain CNN (128-d; its hash is recorded).

    Args:
        seeds: Seeds per recipe.
        quick: Smoke protocol: 10 s budget, 1,000 generated images, classifier on 2,000 digits for 1 epoch.
        budget: Training seconds per run (default 600).
        recipes: Recipes compared: ``"default"`` and/or preset names.
        generated: Generated images per run (default 10,000).
        steps: Cap on generator steps (the budget usually ends the run first).
        classifier_epochs: Epochs of the MNIST feature extractor (default 5; 1 with ``quick``).
        threads: torch threads.
        width: Base channel count of both recipes' DCGANs (32 fits ~1,100 steps in 600 s on one thread;
            the config default 64 fits ~350).
        overrides: Extra ``key=value`` config overrides applied to every recipe.
        runs_dir: Keep the run folders (``default-seed0``...), the extractor and the feature cache here; by
            default they are temporary.
    """
    from polemos.config import PRESETS
    from polemos.metrics.evaluate import evaluate_run

    path, skipped = _mnist_or_skip("mnist-quality")
    if skipped is not None:
        return skipped
    assert path is not None
    for recipe in recipes:
        if recipe != "default":
            PRESETS.get(recipe)  # fails early, listing the valid presets
    overrides = _checked_overrides(overrides)
    torch.set_num_threads(threads)
    budget = budget if budget is not None else (10.0 if quick else 600.0)
    count = generated if generated is not None else (1_000 if quick else 10_000)
    epochs = classifier_epochs if classifier_epochs is not None else (1 if quick else 5)
    mnist = _load_mnist(path)
    classifier, accuracy = _train_digit_classifier(mnist, epochs, 2_000 if quick else None)
    progress_note("mnist-quality", f"digit classifier trained: {accuracy:.1%}")
    per_seed: list[dict[str, Any]] = []
    value_keys = ("fid", "kid", "precision", "recall", "density", "coverage")
    run_overrides = [f"model.width={width}", *overrides]
    names = [f"{recipe}-seed{seed}" for recipe in recipes for seed in range(seeds)]
    with _runs_folder("polemos-mnist-quality-", runs_dir, names) as folder:
        extractor_path = classifier.save(folder / "mnist-classifier.safetensors")
        for recipe in recipes:
            for seed in range(seeds):
                run_dir = folder / f"{recipe}-seed{seed}"
                preset = None if recipe == "default" else recipe
                progress_note("mnist-quality", f"{recipe} seed {seed}: training for up to {budget:.0f} s")
                result = _train_image_run(
                    mnist, run_dir, preset, seed, budget, steps, threads, str(path), run_overrides
                )
                records = evaluate_run(
                    run_dir,
                    metrics=("fid", "kid", "prdc"),
                    n=count,
                    extractor=str(extractor_path),
                    seed=seed,
                    progress=False,
                    cache_dir=folder / "cache",
                )
                values = {record.metric: record.value for record in records}
                per_seed.append(
                    {
                        "recipe": recipe,
                        "seed": seed,
                        **{key: values[key] for key in value_keys},
                        "steps": result.step,
                        "train_seconds": result.seconds,
                    }
                )
                progress_note("mnist-quality", json.dumps(per_seed[-1]))  # partial results of long runs
    summary = {
        recipe: _summarise([row for row in per_seed if row["recipe"] == recipe], (*value_keys, "steps"))
        for recipe in recipes
    }
    return {
        "benchmark": "mnist-quality",
        "summary": summary,
        "per_seed": per_seed,
        "protocol": {
            "reduced": quick or seeds < 3 or count < 10_000 or budget < 600,
            "training_data": f"{path} (MNIST test split, 10k digits, {MNIST_RESOLUTION}x{MNIST_RESOLUTION})",
            "reference_split": "the same 10k test digits (training data; no other split is available)",
            "recipes": {recipe: MNIST_QUALITY_RECIPES.get(recipe, recipe) or "config defaults" for recipe in recipes},
            "training_budget_seconds": budget,
            "config_overrides": run_overrides,
            "generated": count,
            "n_reference": len(mnist),
            "extractor": {
                "id": classifier.id,
                "hash": classifier.hash,
                "validation_accuracy": accuracy,
                "epochs": epochs,
                "feature_dim": classifier.dim,
            },
            "kid": "cubic polynomial kernel, 100 subsets of 1,000 (fewer when N < 1,000)",
            "prdc_k": 5,
            "seeds": seeds,
            "machine": _machine(threads),
        },
    }
