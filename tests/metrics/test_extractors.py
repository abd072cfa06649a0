"""Feature extractors: domain classifier training, hashing, safetensors round trip, loading by spec."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import torch
from sklearn.datasets import load_digits

from polemos.errors import PolemosError
from polemos.metrics.extractors import (
    EXTRACTORS,
    DomainClassifier,
    PixelExtractor,
    get_extractor,
    load_extractor,
    train_domain_classifier,
    weights_sha256,
)


@pytest.fixture(scope="module")
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8x8 digits (values 0..16) as (N, 1, 8, 8) floats in [-1, 1] and labels."""
    data = load_digits()
    images = torch.tensor(data.images, dtype=torch.float32)[:, None] / 8.0 - 1.0
    return images, torch.tensor(data.target)


@pytest.fixture(scope="module")
def trained(digits: tuple[torch.Tensor, torch.Tensor]) -> tuple[DomainClassifier, float]:
    images, labels = digits
    return train_domain_classifier(images, labels, epochs=10, seed=0, progress=False)


def test_domain_classifier_learns_digits(trained: tuple[DomainClassifier, float]) -> None:
    classifier, accuracy = trained
    assert accuracy > 0.90
    assert classifier.accuracy == accuracy
    assert (classifier.dim, classifier.channels, classifier.resolution) == (128, 1, 8)
    assert classifier.class_names == [str(digit) for digit in range(10)]


def test_domain_classifier_features_and_probabilities(
    trained: tuple[DomainClassifier, float], digits: tuple[torch.Tensor, torch.Tensor]
) -> None:
    classifier, _ = trained
    images, labels = digits
    features = classifier.features(images[:300], batch_size=64)
    assert features.shape == (300, 128) and features.dtype == torch.float32
    assert torch.allclose(features[:64], classifier.features(images[:64], batch_size=7), atol=1e-5)
    probabilities = classifier.probabilities(images[:300])
    assert probabilities.shape == (300, 10)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(300), atol=1e-5)
    assert (probabilities.argmax(dim=1) == labels[:300]).double().mean() > 0.9
    # larger inputs are resized to the training resolution
    assert classifier.features(torch.nn.functional.interpolate(images[:5], size=16)).shape == (5, 128)


def test_uint8_images_are_mapped_to_minus_one_one(trained: tuple[DomainClassifier, float]) -> None:
    classifier, _ = trained
    pixels = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    expected = classifier.features(pixels.float() / 127.5 - 1.0)
    assert torch.allclose(classifier.features(pixels), expected, atol=1e-6)


def test_wrong_channel_count_is_a_user_error(trained: tuple[DomainClassifier, float]) -> None:
    classifier, _ = trained
    with pytest.raises(PolemosError, match="expects 1-channel"):
        classifier.features(torch.zeros(2, 3, 8, 8))


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_hash_changes_with_one_weight_and_survives_save_load(
    trained: tuple[DomainClassifier, float], digits: tuple[torch.Tensor, torch.Tensor], tmp_path: Path
) -> None:
    classifier, _ = trained
    images, _ = digits
    original_hash = classifier.hash
    assert len(original_hash) == 64 and classifier.hash == original_hash  # recomputed, deterministic
    path = classifier.save(tmp_path / "digits.safetensors")
    # readable by others as any other file (safetensors alone writes 0600)
    assert path.stat().st_mode & 0o777 == 0o666 & ~_current_umask()
    loaded = load_extractor(path)
    assert isinstance(loaded, DomainClassifier)
    assert loaded.hash == original_hash
    assert loaded.id == classifier.id and loaded.class_names == classifier.class_names
    assert loaded.accuracy == pytest.approx(classifier.accuracy)
    assert torch.equal(loaded.features(images[:100]), classifier.features(images[:100]))
    with torch.no_grad():
        loaded.network.classifier.bias[3] += 1e-4
    assert loaded.hash != original_hash


def test_weights_hash_is_order_independent_and_sees_every_byte() -> None:
    weights = {"b": torch.tensor([1.0, 2.0]), "a": torch.tensor([[3.0]])}
    reordered = {"a": torch.tensor([[3.0]]), "b": torch.tensor([1.0, 2.0])}
    assert weights_sha256(weights) == weights_sha256(reordered)
    assert weights_sha256(weights) != weights_sha256({"b": torch.tensor([1.0, 2.0000002]), "a": torch.tensor([[3.0]])})
    assert weights_sha256(weights) != weights_sha256({"b": torch.tensor([[1.0, 2.0]]), "a": torch.tensor([[3.0]])})


def test_training_is_reproducible_from_the_seed(digits: tuple[torch.Tensor, torch.Tensor]) -> None:
    images, labels = digits
    first, _ = train_domain_classifier(images[:200], labels[:200], epochs=1, seed=5, progress=False)
    second, _ = train_domain_classifier(images[:200], labels[:200], epochs=1, seed=5, progress=False)
    third, _ = train_domain_classifier(images[:200], labels[:200], epochs=1, seed=6, progress=False)
    assert first.hash == second.hash != third.hash


def test_corrupt_missing_or_altered_files_are_user_errors(
    trained: tuple[DomainClassifier, float], tmp_path: Path
) -> None:
    classifier, _ = trained
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file at all")
    with pytest.raises(PolemosError):
        DomainClassifier.load(garbage)
    with pytest.raises(PolemosError, match="not found"):
        load_extractor(tmp_path / "missing.safetensors")

    good = classifier.save(tmp_path / "good.safetensors")
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(PolemosError, match="corrupt"):
        load_extractor(truncated)

    altered = tmp_path / "altered.safetensors"
    content = bytearray(good.read_bytes())
    content[-5] ^= 0xFF  # flip bits inside the last tensor's data
    altered.write_bytes(bytes(content))
    with pytest.raises(PolemosError, match="hash"):
        load_extractor(altered)


def test_pixel_extractor_flattens_and_has_the_hash_of_no_weights() -> None:
    images = torch.randn(3, 2, 4, 5)
    extractor = get_extractor("pixels")
    assert isinstance(extractor, PixelExtractor)
    assert torch.equal(extractor.features(images), images.reshape(3, 40))
    assert extractor.id == "pixels"
    assert extractor.hash == hashlib.sha256(b"").hexdigest()
    with pytest.raises(PolemosError, match="not a classifier"):
        extractor.probabilities(images)
    assert PixelExtractor(channels=2, resolution=4).dim == 32


def test_get_extractor_resolves_names_kinds_and_paths(trained: tuple[DomainClassifier, float], tmp_path: Path) -> None:
    classifier, _ = trained
    path = classifier.save(tmp_path / "classifier.safetensors")
    assert set(EXTRACTORS.names()) == {"pixels", "inception", "domain"}
    assert get_extractor(str(path)).hash == classifier.hash
    assert get_extractor(f"domain:{path}").hash == classifier.hash
    with pytest.raises(PolemosError, match="needs a file"):
        get_extractor("inception")
    with pytest.raises(PolemosError, match="neither a built-in name"):
        get_extractor("no-such-extractor")
    with pytest.raises(PolemosError, match="--extractor PATH"):
        get_extractor(f"inception:{tmp_path / 'pt_inception-2015-12-05-6726825d.pth'}")


def test_progress_off_a_terminal_prints_nothing(capsys) -> None:
    # rich leaves a blank line where a transient bar was when the output is not a terminal (e.g. above an error)
    from polemos.metrics.extractors import _progress

    with _progress(True) as bar:
        task = bar.add_task("work", total=2)
        bar.advance(task, 2)
    assert capsys.readouterr() == ("", "")


def test_progress_on_a_terminal_draws_on_stderr_only(capsys, monkeypatch) -> None:
    from polemos.metrics.extractors import _progress

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # a terminal as rich sees it
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    with _progress(True) as bar:
        task = bar.add_task("work", total=2)
        bar.advance(task, 2)
    captured = capsys.readouterr()
    assert captured.out == "" and "work" in captured.err
