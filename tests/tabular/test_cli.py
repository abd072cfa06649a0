from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from polemos.errors import PolemosError
from polemos.tabular.cli import app, parse_where
from polemos.tabular.synthesizer import TabularGAN

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
    # a fit leaves a report, as a training run does (polemos report was a separate step)
    assert (model_dir / "report.html").is_file() and f"report: {model_dir / 'report.html'}" in result.stdout
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
    # the second condition on a column silently replaced the first
    with pytest.raises(PolemosError, match="--where names column 'sex' twice"):
        parse_where(["sex=Female", "sex=Male"])


@pytest.mark.parametrize("budget", ["nan", "inf"])
def test_fit_refuses_a_time_budget_that_never_ends(tmp_path: Path, budget: str) -> None:
    # nan and inf passed the "<= 0" check, and the fit then ran without a limit
    message = str(_error(["fit", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m"), "--time-budget", budget]))
    assert f"--time-budget must be a positive number of seconds, got {budget}" in message


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model fitted for one epoch, saved once for the sampling tests."""
    from polemos.tabular.synthesizer import TabularGAN

    from .conftest import TINY, make_mixed_frame

    folder = tmp_path_factory.mktemp("tabular-model") / "model"
    model = TabularGAN(verbose=False, calibrate=False, **TINY)
    model.fit(make_mixed_frame().drop(columns=["when"]), epochs=1).save(folder)
    return folder


def test_fit_checks_flags_and_out_before_reading_the_table(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.csv")  # the table would fail later: the flags and --out are checked first
    assert "--seed must be a non-negative integer, got -1" in str(
        _error(["fit", missing, "--out", "m", "--seed", "-1"])
    )
    existing = tmp_path / "outfile.txt"
    existing.write_text("keep me")
    assert "is an existing file, not a folder" in str(_error(["fit", missing, "--out", str(existing)]))
    assert "is a file, not a folder" in str(_error(["fit", missing, "--out", str(existing / "sub")]))
    assert existing.read_text() == "keep me"
    series = tmp_path / "series"
    series.mkdir()
    (series / "config.json").write_text(json.dumps({"config": {}, "meta": {}}))
    (series / "generator.safetensors").write_bytes(b"series weights")
    message = str(_error(["fit", missing, "--out", str(series), "--overwrite"]))
    assert "already holds a series model; choose a new --out folder" in message
    assert (series / "generator.safetensors").read_bytes() == b"series weights" and not (series / "model.json").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc (not writable, even by root)")
def test_unwritable_out_is_refused_before_work(tmp_path: Path, tiny_model: Path) -> None:
    assert "cannot write to --out /proc/polemos_t" in str(_error(["fit", "x.csv", "--out", "/proc/polemos_t"]))
    assert "cannot write to the --out folder /proc" in str(_error(["sample", str(tiny_model), "--out", "/proc/u.csv"]))


def test_fit_replaces_a_tabular_model_only_with_overwrite(tmp_path: Path, data_csv: Path, tiny_model: Path) -> None:
    out = tmp_path / "model"
    out.mkdir()
    for file in tiny_model.iterdir():
        (out / file.name).write_bytes(file.read_bytes())
    weights = (out / "generator.safetensors").read_bytes()
    message = str(_error(["fit", str(data_csv), "--out", str(out), "--epochs", "1", "--quiet"]))
    assert "already holds a tabular model; choose a new --out folder or pass --overwrite" in message
    assert (out / "generator.safetensors").read_bytes() == weights
    result = runner.invoke(app, ["fit", str(data_csv), "--out", str(out), "--epochs", "1", "--quiet", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert "replaced the tabular model" in result.output


def test_sample_out_checks(tmp_path: Path, tiny_model: Path) -> None:
    model = str(tiny_model)
    victim = tmp_path / "victim.csv"
    victim.write_text("training data")
    assert "exists; choose another --out or pass --overwrite" in str(_error(["sample", model, "--out", str(victim)]))
    assert victim.read_text() == "training data"
    result = runner.invoke(app, ["sample", model, "--out", str(victim), "--n", "3", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(victim)) == 3
    assert "use a file name ending in .csv" in str(_error(["sample", model, "--out", str(tmp_path / "u7.txt")]))
    assert "is a folder" in str(_error(["sample", model, "--out", str(tmp_path)]))
    assert "--seed must be a non-negative integer" in str(_error(["sample", model, "--out", "w.csv", "--seed", "-1"]))


def test_read_table_names_folders_encodings_and_broken_parquet(tmp_path: Path, data_csv: Path) -> None:
    assert "is a folder, not a file" in str(_error(["eval", str(data_csv), str(tmp_path)]))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("caf\xe9,b\n1,2\n".encode("latin-1"))
    assert "not UTF-8 text" in str(_error(["eval", str(data_csv), str(latin)]))
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    assert "is not a valid Parquet file" in str(_error(["fit", str(broken), "--out", str(tmp_path / "m")]))


def test_eval_checks_the_holdout_and_the_target(tmp_path: Path, data_csv: Path) -> None:
    holdout = tmp_path / "holdout.csv"
    pd.read_csv(data_csv).drop(columns=["city"]).to_csv(holdout, index=False)
    message = str(_error(["eval", str(data_csv), str(data_csv), "--holdout", str(holdout)]))
    assert "the holdout table lacks column(s) ['city']" in message
    assert "choose a categorical --target" in str(_error(["eval", str(data_csv), str(data_csv), "--target", "x"]))


def test_sample_without_seed_repeats_like_seed_0(tmp_path: Path, tiny_model: Path) -> None:
    # --seed had no default, so every call gave other rows (polemos sample and tabular fit default to 0)
    paths = [tmp_path / "first.csv", tmp_path / "second.csv", tmp_path / "seed0.csv", tmp_path / "seed1.csv"]
    for path, seed in zip(paths, [[], [], ["--seed", "0"], ["--seed", "1"]], strict=True):
        result = runner.invoke(app, ["sample", str(tiny_model), "--n", "50", "--out", str(path), *seed])
        assert result.exit_code == 0, result.output
    first, second, seed0, seed1 = (path.read_text() for path in paths)
    assert first == second == seed0 and first != seed1


def test_eval_says_when_sdmetrics_is_missing(tmp_path: Path, data_csv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the help promised SDMetrics quality, and without sdmetrics the text output left it out silently
    monkeypatch.setitem(sys.modules, "sdmetrics", None)  # `import sdmetrics` raises ImportError
    result = runner.invoke(app, ["eval", str(data_csv), str(data_csv)])
    assert result.exit_code == 0, result.output
    assert "SDMetrics quality: not computed (pip install sdmetrics)" in result.output.splitlines()
    result = runner.invoke(app, ["eval", str(data_csv), str(data_csv), "--json"])
    assert json.loads(result.output)["sdmetrics"] is None
    assert "needs the optional sdmetrics package (pip install sdmetrics)" in get_command(app).commands["eval"].help


def test_fit_and_sample_keep_the_decimals_of_the_table(tmp_path: Path) -> None:
    # sampled rows read 48.20305906484113,5115.906883558093 where the real hours had 1 decimal and gains 2
    rng = np.random.default_rng(7)
    lines = ["hours,gain,sex"] + [
        f"{hours:.1f},{gain:.2f},{sex}"
        for hours, gain, sex in zip(
            rng.uniform(1, 99, 200), rng.exponential(3_000.0, 200), rng.choice(["F", "M"], 200), strict=True
        )
    ]
    table, model_dir, synth = tmp_path / "table.csv", tmp_path / "model", tmp_path / "synth.csv"
    table.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["fit", str(table), "--out", str(model_dir), "--epochs", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["sample", str(model_dir), "--n", "200", "--out", str(synth)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(synth, dtype=str)
    assert written["hours"].str.split(".").str[1].str.len().max() == 1
    # the saved model says where its table came from (the report's header showed "data —"), readable by others
    assert json.loads((model_dir / "model.json").read_text())["data_source"] == str(table)
    assert TabularGAN.load(model_dir).data_source == str(table)
    umask = os.umask(0)
    os.umask(umask)
    for name in ("generator.safetensors", "model.json"):
        assert (model_dir / name).stat().st_mode & 0o777 == 0o666 & ~umask, name  # safetensors alone: 0600
    assert written["gain"].str.split(".").str[1].str.len().max() <= 2


def test_fit_options_set_config_fields_and_bad_ones_fail_before_reading_the_table(
    tmp_path: Path, data_csv: Path
) -> None:
    model_dir = tmp_path / "model"
    tiny = ["-o", "generator_hidden=[16]", "-o", "discriminator_hidden=[16]", "-o", "batch_size=20"]
    arguments = ["fit", str(data_csv), "--out", str(model_dir), "--epochs", "1", "--quiet", *tiny]
    result = runner.invoke(app, [*arguments, "-o", "calibrate=false", "-o", "noise_dim=8"])
    assert result.exit_code == 0, result.output
    saved = json.loads((model_dir / "model.json").read_text())["config"]
    assert saved["calibrate"] is False and saved["noise_dim"] == 8 and saved["generator_hidden"] == [16]
    missing = str(tmp_path / "missing.csv")  # the table would fail later: the options are checked first
    for option, fragment in (
        ("noise_dim=abc", "option noise_dim must be an integer"),
        ("nosie_dim=8", "unknown TabularGAN option(s) ['nosie_dim']"),
        ("seed=3", "-o seed=... is set by --seed; use --seed instead"),
        ("calibrate", "--option KEY=VALUE"),
    ):
        assert fragment in str(_error(["fit", missing, "--out", str(tmp_path / "m"), "-o", option]))
    assert not (tmp_path / "m").exists()


def _people(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows),
            "income": rng.normal(50_000, 10_000, rows).round(2),
            "sex": rng.choice(["M", "F"], rows),
            "city": rng.choice(["a", "b", "c"], rows),
        }
    )


@pytest.mark.parametrize(
    ("separator", "decimal", "note"),
    [
        (";", ".", "is semicolon-separated, not comma-separated; read its 4 columns with semicolons as the separator"),
        (";", ",", "read its 4 columns with semicolons as the separator and decimal commas"),
        ("\t", ".", "is tab-separated, not comma-separated; read its 4 columns with tabs as the separator"),
    ],
)
def test_read_table_detects_another_separator_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], separator: str, decimal: str, note: str
) -> None:
    # a semicolon file was fitted silently as one column named 'age;income;sex;city'
    from polemos.tabular.cli import read_table

    people = _people()
    path = tmp_path / "people.csv"
    people.to_csv(path, index=False, sep=separator, decimal=decimal)
    frame = read_table(path)
    assert list(frame.columns) == list(people.columns)
    assert np.allclose(frame["income"], people["income"])  # numbers, also with decimal commas
    assert note in capsys.readouterr().err
    people.to_csv(path, index=False)
    read_table(path)
    assert capsys.readouterr().err == ""  # comma-separated files read as before, without a note


def test_fit_and_eval_read_semicolon_files(tmp_path: Path) -> None:
    people, semi, model_dir = _people(), tmp_path / "semi.csv", tmp_path / "model"
    people.to_csv(semi, index=False, sep=";")
    result = runner.invoke(app, ["fit", str(semi), "--out", str(model_dir), "--epochs", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "note: " + str(semi) + " is semicolon-separated" in result.output
    assert TabularGAN.load(model_dir).transformer.columns == ["age", "income", "sex", "city"]
    good = tmp_path / "good.csv"
    people.to_csv(good, index=False)
    # eval said "the synthetic table lacks column(s) ['age', 'income', 'sex', 'city']"
    result = runner.invoke(app, ["eval", str(good), str(semi)])
    assert result.exit_code == 0, result.output
    assert "column shapes       1.0000" in result.output


def test_fit_refuses_infinite_values_and_keeps_the_model_it_would_replace(tmp_path: Path, tiny_model: Path) -> None:
    # --time-budget ended in an IndexError; --epochs saved a model sampling empty numbers, even over a good one
    people = _people()
    people["income"] = people["income"].astype(float)
    people.loc[2, "income"] = np.inf
    table, out = tmp_path / "inf.csv", tmp_path / "model"
    people.to_csv(table, index=False)
    out.mkdir()
    for file in tiny_model.iterdir():
        (out / file.name).write_bytes(file.read_bytes())
    weights = (out / "generator.safetensors").read_bytes()
    for budget in (["--time-budget", "8"], ["--epochs", "1"]):
        message = str(_error(["fit", str(table), "--out", str(out), *budget, "--quiet", "--overwrite"]))
        assert "column 'income' has 1 infinite value (the first, inf, in data row 3); replace them" in message
    assert (out / "generator.safetensors").read_bytes() == weights
    good = tmp_path / "good.csv"
    _people().to_csv(good, index=False)
    for real, synthetic, role in ((good, table, "synthetic"), (table, good, "real")):
        message = str(_error(["eval", str(real), str(synthetic), "--json"]))
        assert f"column 'income' of the {role} table has 1 infinite value" in message


def test_fit_notes_identifier_columns_in_one_line(tmp_path: Path) -> None:
    # synthetic rows copied real IDs (300 of 300) without a word
    people = _people()
    people.insert(0, "id", [f"ID{i:06d}" for i in range(len(people))])
    table = tmp_path / "id.csv"
    people.to_csv(table, index=False)
    result = runner.invoke(app, ["fit", str(table), "--out", str(tmp_path / "m"), "--epochs", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "distinct values" in line]
    assert notes == [
        "note: column 'id' has 120 distinct values in 120 rows (an identifier, free text or time stamps as text?): "
        "synthetic rows copy its real values; drop it before fitting, or list it in --discrete (discrete_columns) to "
        "keep it deliberately"
    ]
    assert "Warning" not in result.output  # no Python warning block besides the note
    arguments = ["fit", str(table), "--out", str(tmp_path / "m2"), "--epochs", "1", "--quiet", "--discrete", "id"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0 and "distinct values" not in result.output, result.output


def test_sample_refuses_more_rows_than_this_machine_holds(tmp_path: Path, tiny_model: Path) -> None:
    # it ran silently, its memory growing, until killed
    out = tmp_path / "big.csv"
    message = str(_error(["sample", str(tiny_model), "--n", "10000000000", "--out", str(out)]))
    assert message.startswith("10,000,000,000 rows of 7 columns need about")
    assert "more than this machine's" in message and "a smaller --n" in message
    assert not out.exists()


def test_eval_json_is_strict_when_a_score_is_nan(
    tmp_path: Path, data_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --json printed a bare NaN, which strict JSON parsers reject
    scores = {"quality": float("nan"), "privacy": {"exact_copy_share": 0.0}, "curve": [1.0, float("inf")]}
    # the module by its import name: polemos.tabular binds the name `evaluate` to the function
    monkeypatch.setattr(sys.modules["polemos.tabular.evaluate"], "evaluate", lambda *arguments: scores)
    result = runner.invoke(app, ["eval", str(data_csv), str(data_csv), "--json"])
    assert result.exit_code == 0, result.output

    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")

    assert json.loads(result.output, parse_constant=refuse) == {
        "quality": None,
        "privacy": {"exact_copy_share": 0.0},
        "curve": [1.0, None],
    }
