"""Image runs end to end: data -> GanTask -> trainer -> polemos.load -> sample."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from lightning_fabric import Fabric

import polemos
from polemos.config import resolve_config
from polemos.errors import PolemosError
from polemos.images.task import build_image_task
from polemos.train.loop import Trainer


def train_small(out, *overrides: str, steps: int = 3):
    config = resolve_config(
        flags={"train.out": str(out), "train.steps": steps, "train.batch_size": 8},
        overrides=[
            "model.width=8",
            "train.progress=false",
            "train.loggers=[jsonl]",
            "train.accelerator=cpu",
            "train.devices=1",
            *overrides,
        ],
    )
    task = build_image_task(config, progress=False)
    Trainer(config, task, fabric=Fabric(accelerator="cpu", devices=1)).fit()
    return config, task


def test_unconditional_digits_round_trip(tmp_path) -> None:
    _, task = train_small(tmp_path / "run")
    assert task.conditions is None
    generator = polemos.load(tmp_path / "run")
    images = generator.sample(5, seed=1)
    assert images.shape == (5, 1, 8, 8)
    assert images.min() >= -1 and images.max() <= 1
    assert torch.equal(images, generator.sample(5, seed=1))  # seeded sampling is reproducible
    assert not torch.equal(images, generator.sample(5, seed=2))
    with pytest.raises(PolemosError, match="unconditional") as error:
        generator.sample(2, labels=3)
    assert "--class" not in str(error.value)  # the Python API names its own argument
    for bad_count in (0, -2, "4", 2.5, True):
        with pytest.raises(PolemosError, match=r"count must be a positive int \(got "):
            generator.sample(bad_count)


def test_conditional_resnet_with_class_names(tmp_path) -> None:
    train_small(tmp_path / "run", "data.conditional=true", "model.architecture=resnet", "data.resolution=16")
    generator = polemos.load(tmp_path / "run")
    assert generator.num_classes == 10 and generator.class_names[3] == "3"
    fives = generator.sample(4, labels="5", seed=0)
    sevens = generator.sample(4, labels=7, seed=0)
    assert fives.shape == (4, 1, 16, 16)
    assert not torch.equal(fives, sevens)  # the label changes the output for the same latents
    with pytest.raises(PolemosError, match="unknown class"):
        generator.sample(2, labels="eleven")
    with pytest.raises(PolemosError, match=r"class 42 is out of range; valid classes: 0\.\.9"):
        generator.sample(8, labels=42)


def test_conditional_without_labels_is_refused(tmp_path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((4, 8, 8), dtype=np.uint8))
    config = resolve_config(overrides=[f"data.source={tmp_path / 'x.npy'}", "data.conditional=true"])
    with pytest.raises(PolemosError, match="no class labels"):
        build_image_task(config, progress=False)
    # one class folder: "no class labels" was wrong, and named no fix for what is there
    from PIL import Image

    (tmp_path / "one" / "cat").mkdir(parents=True)
    for index in range(2):
        Image.new("L", (8, 8)).save(tmp_path / "one" / "cat" / f"{index}.png")
    config = resolve_config(overrides=[f"data.source={tmp_path / 'one'}", "data.conditional=true"])
    with pytest.raises(PolemosError, match=r"holds only one class \('cat'\); classes need at least 2; use a folder"):
        build_image_task(config, progress=False)


def test_mnist_idx_from_shared_data(tmp_path, shared_data) -> None:
    source = shared_data / "mnist" / "t10k-images-idx3-ubyte.gz"
    config, task = train_small(tmp_path / "run", f"data.source={source}", steps=1)
    assert tuple(task.data.shape) == (10_000, 1, 32, 32)
    assert polemos.load(tmp_path / "run").sample(2).shape == (2, 1, 32, 32)
    assert repr(polemos.load(tmp_path / "run")).startswith("ImageSampler(1x32x32 images, latent ")


def test_augmentation_state_is_checkpointed(tmp_path) -> None:
    _, task = train_small(tmp_path / "run", "game.augment=color,translation,cutout", steps=1)
    assert task.augment is not None
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    assert "augment" in state


def test_evaluation_during_training_records_protocol_and_keeps_best(tmp_path) -> None:
    out = tmp_path / "run"
    train_small(out, "eval.every=2", "eval.n=64", "eval.metric=kid", steps=4)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    evals = [row for row in rows if row.get("kind") == "eval"]
    assert [row["step"] for row in evals] == [2, 4]
    for field in (
        "metric",
        "value",
        "extractor_id",
        "extractor_hash",
        "n_generated",
        "n_reference",
        "reference_split",
        "seed",
        "wall_time",
    ):
        assert field in evals[0], field
    assert evals[0]["metric"] == "kid" and evals[0]["n_generated"] == 64
    assert evals[0]["extractor_id"] != "pixels"  # digits are labelled: a domain classifier was trained
    assert (out / "extractor" / "domain.safetensors").is_file()
    assert (out / "checkpoints" / "best.pt").is_file()


def _has_spectral_norm(module: torch.nn.Module) -> bool:
    return any(torch.nn.utils.parametrize.is_parametrized(layer) for layer in module.modules())


@pytest.mark.parametrize(("override", "expected"), [((), True), (("model.spectral_norm=false",), False)])
def test_spectral_norm_default_is_on_for_images(override, expected) -> None:
    config = resolve_config(overrides=["model.width=8", *override])
    assert config.model.spectral_norm is (None if not override else False)  # None: the modality decides
    task = build_image_task(config, progress=False)
    assert _has_spectral_norm(task.discriminator) is expected
    assert task.metadata["spectral_norm"] is expected
    from polemos.train.loop import with_task_defaults

    # what the run folder's config.json records: the choice that ran (it said null for the images' default)
    assert with_task_defaults(config, task).model.spectral_norm is expected


def test_minibatch_std_discriminator_trains_and_a_group_of_1_is_refused(tmp_path) -> None:
    config, task = train_small(tmp_path / "run", "model.minibatch_std=4")
    assert config.model.minibatch_std == 4
    assert task.discriminator.minibatch_std.group_size == 4
    assert polemos.load(tmp_path / "run").sample(3, seed=0).shape == (3, 1, 8, 8)
    with pytest.raises(PolemosError, match="minibatch-std group size must be >= 2"):
        train_small(tmp_path / "other", "model.minibatch_std=1")
    assert not (tmp_path / "other").exists()


def test_packed_discriminator_trains_and_batch_size_must_divide(tmp_path) -> None:
    _, task = train_small(tmp_path / "run", "model.pack=4")
    assert task.discriminator.pack == 4
    assert polemos.load(tmp_path / "run").sample(3, seed=0).shape == (3, 1, 8, 8)  # G is unchanged by packing
    with pytest.raises(PolemosError, match="train.batch_size 8 is not divisible by model.pack 3"):
        train_small(tmp_path / "other", "model.pack=3")
    assert not (tmp_path / "other").exists()
