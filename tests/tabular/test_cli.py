from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from polemos.errors import PolemosError
from polemos.tabular.cli import app, parse_where

runner = CliRunner()


@pytest.fixture
def data_csv(tmp_path: Path, mixed_frame: pd.DataFrame) -> Path:
    path = tmp_path / "data.csv"
    mixed_frame.drop(columns=["when"]).to_csv(path, index=False)
    return path


def test_fit_sample_eval_round_trip(tmp_path: Path, data_csv: Path) -> None:
    model_dir = tmp_path / "model"
    result = runner.invoke(
        app, ["fit", str(data_csv), "--out", str(model_dir), "--epochs", "1", "--target", "color", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    saved_config = json.loads((model_dir / "model.json").read_text())["config"]
    assert saved_config["target"] == "color"
    assert saved_config["loss"] == "wasserstein"  # the CLI leaves unset options to TabularConfig
    synth = tmp_path / "synth.csv"
    result = runner.invoke(
        app,
        [
            "sample",
            str(model_dir),
            "--n",
            "50",
            "--out",
            str(synth),
            "--where",
            "color=red",
            "--where",
            "age=30..40",
            "--seed",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(synth)
    assert len(frame) == 50 and (frame["color"] == "red").all() and frame["age"].between(30, 40).all()
    result = runner.invoke(app, ["eval", str(data_csv), str(synth), "--target", "flag", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert 0.0 <= scores["quality"] <= 1.0
    assert "f1" in scores["ml_efficacy"]


def _error(arguments: list[str]) -> PolemosError:
    result = runner.invoke(app, arguments)
    assert isinstance(result.exception, PolemosError), result.output
    assert "\n" not in str(result.exception)
    return result.exception


def test_bad_input_gives_one_line_errors_and_writes_nothing(tmp_path: Path, data_csv: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    out = tmp_path / "out"
    assert "is empty" in str(_error(["fit", str(empty), "--out", str(out), "--quiet"]))
    assert "does not exist" in str(_error(["fit", str(data_csv), "--out", str(out), "--discrete", "nope", "--quiet"]))
    missing = tmp_path / "missing.csv"
    pd.DataFrame({"a": [1, 2], "b": [None, None]}).to_csv(missing, index=False)
    assert "only missing values" in str(_error(["fit", str(missing), "--out", str(out), "--quiet"]))
    mixed = tmp_path / "mixed.csv"
    pd.DataFrame({"a": ["1", "2", "3", "x"]}).to_csv(mixed, index=False)
    assert "mixes numbers and text" in str(_error(["fit", str(mixed), "--out", str(out), "--quiet"]))
    assert "numeric" in str(_error(["fit", str(data_csv), "--out", str(out), "--target", "x", "--quiet"]))
    assert not out.exists()

    model_dir = tmp_path / "model"
    assert (
        runner.invoke(app, ["fit", str(data_csv), "--out", str(model_dir), "--epochs", "1", "--quiet"]).exit_code == 0
    )
    synth = tmp_path / "synth.csv"
    assert "positive" in str(_error(["sample", str(model_dir), "--n", "0", "--out", str(synth)]))
    assert "never observed" in str(_error(["sample", str(model_dir), "--out", str(synth), "--where", "color=pink"]))
    assert not synth.exists()


def test_parse_where() -> None:
    assert parse_where(["sex=Female", "age=30..40", "x=..2"]) == {
        "sex": "Female",
        "age": ("30", "40"),
        "x": (None, "2"),
    }
    with pytest.raises(PolemosError, match="col=value"):
        parse_where(["sex"])
