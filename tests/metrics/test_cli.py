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
    assert set(payload) == {"fid", "kid", "kid_std", "protocol"}
    assert payload["fid"] > 0 and payload["kid_std"] >= 0
    protocol = payload["protocol"]
    assert (protocol["extractor"], protocol["n_generated"], protocol["n_reference"]) == ("pixels", 50, 1797)
    assert protocol["reference_split"] == "train:digits" and protocol["step"] == 3
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["metric"] for row in lines if row.get("kind") == "eval"] == ["fid", "kid"]


def test_eval_table_shows_values_with_protocol(app, digits_run, tmp_path) -> None:
    run = shutil.copytree(digits_run, tmp_path / "run")
    result = CliRunner().invoke(app, ["eval", str(run), "--n", "40", "--extractor", "pixels", "--metrics", "prdc"])
    assert result.exit_code == 0, result.output
    for text in ("precision", "recall", "density", "coverage", "pixels", "train:digits", "1797"):
        assert text in result.output


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


def test_extractor_train_rejects_bad_epochs(app, tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["extractor", "train", "--data", "digits", "--out", str(tmp_path / "x"), "--epochs", "0"]
    )
    assert isinstance(result.exception, PolemosError)
