from dataclasses import dataclass

import pytest
from torch import nn

from polemos.errors import PolemosError
from polemos.game.losses import LOSSES, AdversarialLoss, hinge_discriminator_loss
from polemos.game.penalties import PENALTIES, Penalty
from polemos.images.data import IMAGE_DATASETS
from polemos.images.networks import IMAGE_MODELS, ImageModelSpec
from polemos.registry import Registry


@dataclass(frozen=True)
class Spec:
    """A named thing (the class's docstring: it describes every entry alike)."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class Bare:
    """A spec without a description field."""

    name: str


def helper() -> None:
    """Does one thing.

    More text.
    """


def test_descriptions_come_from_the_entry_not_its_class() -> None:
    registry: Registry[object] = Registry("thing")
    registry.add("own", Spec("own", "MLP G/D (mine)"))  # listed as the class docstring before
    registry.add("bare", Bare("bare"))
    registry.add("function", helper)
    registry.add("given", Spec("given", "ignored"), "the caller's words")
    assert registry.describe("own") == "MLP G/D (mine)"
    assert registry.describe("bare") == ""
    assert registry.describe("function") == "Does one thing."
    assert registry.describe("given") == "the caller's words"


# entries that would fail only at step 1 of a run (a plugin's slip) are refused when they are registered


def generator_of_one(d_fake):  # the loop also passes d_real_logits
    return d_fake.mean()


class NoWidthGenerator(nn.Module):
    def __init__(self, latent_dim, resolution, channels, num_classes):  # no width
        super().__init__()


class FullDiscriminator(nn.Module):
    def __init__(self, resolution, channels, width, num_classes, spectral_norm, minibatch_std):
        super().__init__()


@pytest.mark.parametrize(
    ("registry", "name", "entry", "message"),
    [
        (LOSSES, "plain", hinge_discriminator_loss, "loss 'plain' must be a AdversarialLoss, got function"),
        (LOSSES, "alias", AdversarialLoss("hinge2", hinge_discriminator_loss, generator_of_one, False, ""),
         "loss registered as 'alias' is named 'hinge2'; register it under its own name"),
        (LOSSES, "one-arg", AdversarialLoss("one-arg", hinge_discriminator_loss, generator_of_one, False, ""),
         r"loss 'one-arg': generator must accept \(d_fake_logits, d_real_logits\); its signature is \(d_fake\)"),
        (PENALTIES, "two-arg", Penalty("two-arg", lambda real, fake: real.sum(), ""),
         r"penalty 'two-arg': compute must accept \(discriminator_fn, real, fake\)"),
        (IMAGE_MODELS, "no-width", ImageModelSpec("no-width", NoWidthGenerator, FullDiscriminator, ""),
         r"image model 'no-width': generator must accept \(latent_dim=..., resolution=..., channels=..., width=..."),
        (IMAGE_DATASETS, "no-root", lambda: None, r"image dataset 'no-root': the loader must accept \(root\)"),
    ],
)  # fmt: skip
def test_entries_that_would_fail_at_the_first_step_are_refused_when_registered(
    registry, name, entry, message, monkeypatch
) -> None:
    monkeypatch.setattr(registry, "_entries", dict(registry._entries))  # nothing stays registered after the test
    with pytest.raises(PolemosError, match=message):
        registry.add(name, entry)
    assert name not in registry


def test_unknown_names_suggest_a_close_one_or_the_plugin_variable() -> None:
    from polemos.errors import PolemosError
    from polemos.game.losses import LOSSES

    with pytest.raises(PolemosError, match=r"unknown loss 'hinj'; valid choices: .*; did you mean hinge\?$"):
        LOSSES.get("hinj")
    with pytest.raises(PolemosError, match=r"unknown loss 'my-lab-loss'; .*name its module in POLEMOS_PLUGINS$"):
        LOSSES.get("my-lab-loss")
