"""The evaluation CLI functions, driven through a typer app built here (as the top-level CLI mounts them)."""

from __future__ import annotations

import json
import shutil

import pytest
import typer
from typer.testing import CliRunner

from polemos.errors import PolemosError
from polemos.metrics.cli import eval_command, extractor_app
from polemos.metrics.extractors import DomainClassifier

pytestmark = pytest.mark.filterwarnings("ignore:Matrix is singular:scipy.linalg.LinAlgWarning")


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()
    application.command("eval")(eval_command)
    application.add_typer(extractor_app, name="extractor")
    return application


def test_eval_json_prints_one_object_keyed_by_metric(app, digits_run, tmp_path) -> None:
    run = shutil.copytree(digits_run, tmp_path / "run")
    result = CliRunner().invoke(
        app, ["eval", str(run), "--n", "50", "--extractor", "pixels", "--metrics", "fid,kid", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(payload) == {"fid", "kid", "kid_std", "better", "protocol"}
    assert payload["fid"] > 0 and payload["kid_std"] >= 0
    assert payload["better"] == {"fid": "↓ lower", "kid": "↓ lower"}  # which way is better travels with the values
    protocol = payload["protocol"]
    assert (protocol["extractor"], protocol["n_generated"], protocol["n_reference"]) == ("pixels", 50, 1797)
    assert protocol["reference_split"] == "train:digits" and protocol["step"] == 3
    assert protocol["settings"] == {"kid": {"subsets": 100, "subset_size": 50}}  # KID clipped to the 50 samples
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["metric"] for row in lines if row.get("kind") == "eval"] == ["fid", "kid"]


def test_eval_table_shows_values_with_protocol(app, digits_run, tmp_path) -> None:
    run = shutil.copytree(digits_run, tmp_path / "run")
    result = CliRunner().invoke(app, ["eval", str(run), "--n", "40", "--extractor", "pixels", "--metrics", "prdc"])
    assert result.exit_code == 0, result.output
    for text in ("precision", "recall", "density", "coverage", "pixels", "train:digits", "1797", "better"):
        assert text in result.output
    assert "higher (~1 for one law)" in " ".join(result.output.split())  # density's direction, in the table


def test_eval_errors_are_polemos_errors(app, tmp_path) -> None:
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "nowhere"), "--extractor", "pixels"])
    assert isinstance(result.exception, PolemosError)


def test_extractor_train_saves_a_loadable_classifier(app, tmp_path) -> None:
    out = tmp_path / "digits.safetensors"
    result = CliRunner().invoke(app, ["extractor", "train", "--data", "digits", "--out", str(out), "--epochs", "2"])
    assert result.exit_code == 0, result.output
    classifier = DomainClassifier.load(out)
    assert classifier.hash in result.output.replace("\n", "")
    assert "accuracy" in result.output
    assert classifier.accuracy is not None and classifier.accuracy > 0.5
    saved = out.read_bytes()
    args = ["extractor", "train", "--data", "digits", "--out", str(out), "--epochs", "1", "--seed", "1"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, PolemosError) and "--overwrite" in str(result.exception)
    assert out.read_bytes() == saved  # refused before training: the extractor is untouched
    result = CliRunner().invoke(app, [*args, "--overwrite"])
    assert result.exit_code == 0, result.output
    assert DomainClassifier.load(out).hash != classifier.hash


def test_extractor_train_rejects_bad_epochs(app, tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["extractor", "train", "--data", "digits", "--out", str(tmp_path / "x"), "--epochs", "0"]
    )
    assert isinstance(result.exception, PolemosError)


@pytest.mark.parametrize("name", ["folder", "notes.txt", "other.safetensors"])
def test_extractor_train_checks_out_before_training(app, tmp_path, monkeypatch, name) -> None:
    from polemos.metrics import extractors

    def never(*args, **kwargs):
        raise AssertionError("trained although --out is bad")

    monkeypatch.setattr(extractors, "train_domain_classifier", never)
    out = tmp_path / name
    if name == "folder":
        out.mkdir()
    else:
        out.write_text("precious")
    result = CliRunner().invoke(app, ["extractor", "train", "--data", "digits", "--out", str(out), "--epochs", "1"])
    assert isinstance(result.exception, PolemosError), result.output
    assert "--out" in str(result.exception) and ".safetensors" in str(result.exception)
    assert out.is_dir() or out.read_text() == "precious"


def test_extractor_train_names_its_own_flag_for_unreadable_images(app, tmp_path) -> None:
    from PIL import Image

    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        Image.new("L", (8, 8), 5).save(tmp_path / label / "ok.png")
    (tmp_path / "a" / "bad.png").write_bytes(b"not a png")
    out = tmp_path / "x.safetensors"
    result = CliRunner().invoke(app, ["extractor", "train", "--data", str(tmp_path), "--out", str(out)])
    assert isinstance(result.exception, PolemosError)
    assert "bad.png" in str(result.exception) and "pass --skip-unreadable to skip them" in str(result.exception)


def test_extractor_train_names_what_it_accepts_for_mixed_channels(app, tmp_path) -> None:
    # data.channels=1, the hint for polemos train, is not an option of this command
    from PIL import Image

    for label, mode in (("a", "L"), ("b", "RGB")):
        (tmp_path / label).mkdir()
        for index in range(2):
            Image.new(mode, (8, 8)).save(tmp_path / label / f"{index}.png")
    out = tmp_path / "x.safetensors"
    result = CliRunner().invoke(app, ["extractor", "train", "--data", str(tmp_path), "--out", str(out)])
    assert isinstance(result.exception, PolemosError)
    assert str(result.exception) == (
        f"mixed channel counts in {tmp_path.resolve()}: 2 greyscale and 2 colour images; convert the image files "
        "to one mode (all greyscale or all RGB), then run polemos extractor train again"
    )
    assert not out.exists()


def test_eval_checks_the_generator_before_any_progress_bar(app, digits_run, tmp_path, monkeypatch) -> None:
    from polemos.metrics import evaluate

    def never(*args, **kwargs):
        raise AssertionError("trained an extractor (under a progress bar) before reading the generator")

    monkeypatch.setattr(evaluate, "auto_extractor", never)
    run = shutil.copytree(digits_run, tmp_path / "run")
    (run / "generator.safetensors").write_bytes(b"damaged")
    result = CliRunner().invoke(app, ["eval", str(run), "--n", "20"])
    assert isinstance(result.exception, PolemosError), result.output
    assert "the generator export" in str(result.exception) and "is corrupt" in str(result.exception)
    assert result.output == ""


def test_eval_refuses_too_few_samples(app, digits_run, tmp_path) -> None:
    run = shutil.copytree(digits_run, tmp_path / "run")
    result = CliRunner().invoke(app, ["eval", str(run), "--n", "2", "--extractor", "pixels", "--metrics", "kid"])
    assert isinstance(result.exception, PolemosError)
    assert str(result.exception) == "kid needs at least 10 generated images (got 2); pass a larger --n"
    assert "eval" not in (run / "metrics.jsonl").read_text()


def test_eval_with_a_corrupt_extractor_file_says_how_to_recreate_it(app, digits_run, tmp_path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(bytes(range(256)) * 12)
    result = CliRunner().invoke(app, ["eval", str(digits_run), "--n", "20", "--extractor", str(bad)])
    assert isinstance(result.exception, PolemosError)
    message = str(result.exception)
    assert "is corrupt" in message and "polemos extractor train" in message and "Inception" not in message


def test_extractor_train_never_replaces_other_safetensors_weights(app, tmp_path, monkeypatch) -> None:
    import torch
    from safetensors.torch import save_file

    from polemos.metrics import extractors

    monkeypatch.setattr(extractors, "train_domain_classifier", lambda *args, **kwargs: None)
    weights = tmp_path / "run" / "generator.safetensors"  # a run's generator: safetensors, but no extractor
    weights.parent.mkdir()
    save_file({"w": torch.zeros(2)}, str(weights), metadata={"format": "polemos-generator-1"})
    saved = weights.read_bytes()
    args = ["extractor", "train", "--data", "digits", "--out", str(weights), "--epochs", "1", "--overwrite"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, PolemosError) and "is not a polemos extractor" in str(result.exception)
    assert weights.read_bytes() == saved
