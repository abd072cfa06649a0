"""Shared input checks: option values against annotations, output folders and files before any work."""

from __future__ import annotations

import datetime
import json

import pytest

from polemos import checks
from polemos.checks import (
    check_model_folder,
    check_option,
    check_output_file,
    check_writable_folder,
    saved_model_kind,
)
from polemos.errors import PolemosError


@pytest.mark.parametrize(
    ("value", "annotation", "expected"),
    [
        (3, int, 3),
        (3.0, int, 3),
        (2, float, 2.0),
        ("5e-4", float, 5e-4),  # YAML 1.1 reads an exponent without a dot as text
        (None, float | None, None),
        ([1, 2], tuple[int, ...], (1, 2)),
        (10, tuple[float, ...], (10.0,)),
        ([0.5, 0.9], tuple[float, float], (0.5, 0.9)),
        (datetime.date(2015, 12, 31), str | None, "2015-12-31"),  # YAML reads -o train_end=2015-12-31 as a date
    ],
)
def test_check_option_converts_values_that_fit(value, annotation, expected) -> None:
    assert check_option("x", value, annotation) == expected


@pytest.mark.parametrize(
    ("value", "annotation", "bound", "message"),
    [
        ("abc", int, ">= 1", "option x must be an integer >= 1, got 'abc'"),
        (True, int, None, "option x must be an integer, got True"),
        (0, int, ">= 1", "option x must be an integer >= 1, got 0"),
        ("0.2", float, None, "option x must be a number, got '0.2'"),
        (float("nan"), float, None, "option x must be a number"),
        (0.0, float, "> 0", "option x must be a number > 0, got 0.0"),
        ([1], tuple[float, float], None, "option x must be a list of 2 numbers, got"),
        ("yes", bool, None, "option x must be true or false"),
    ],
)
def test_check_option_names_the_option_and_what_it_must_be(value, annotation, bound, message) -> None:
    with pytest.raises(PolemosError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_option("x", value, annotation, bound)


def test_writable_folder_check_leaves_nothing_behind(tmp_path) -> None:
    check_writable_folder(tmp_path / "a" / "b", "--out")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(PolemosError, match="is an existing file, not a folder"):
        check_writable_folder(tmp_path / "file", "--out")
    with pytest.raises(PolemosError, match="is a file, not a folder"):
        check_writable_folder(tmp_path / "file" / "sub" / "deeper", "--out")


def test_saved_model_kinds_and_the_model_folder_rules(tmp_path) -> None:
    series, tabular, run = tmp_path / "series", tmp_path / "tabular", tmp_path / "run"
    for folder in (series, tabular, run):
        folder.mkdir()
    (series / "config.json").write_text(json.dumps({"config": {}, "meta": {}}))
    (tabular / "model.json").write_text(json.dumps({"transformer": {}}))
    (run / "model.json").write_text(json.dumps({"step": 3}))
    assert [saved_model_kind(folder) for folder in (series, tabular, run, tmp_path / "none")] == [
        "series model",
        "tabular model",
        "training run",
        None,
    ]
    assert check_model_folder(tmp_path / "new", "series model", overwrite=False) is False
    assert check_model_folder(series, "series model", overwrite=True) is True
    with pytest.raises(PolemosError, match="already holds a series model; choose a new --out folder or pass"):
        check_model_folder(series, "series model", overwrite=False)
    with pytest.raises(PolemosError, match="already holds a training run; choose a new --out folder$"):
        check_model_folder(run, "tabular model", overwrite=True)


def test_output_file_rules(tmp_path) -> None:
    existing = tmp_path / "s.npy"
    existing.write_bytes(b"x")
    with pytest.raises(PolemosError, match="exists; choose another --out or pass --overwrite"):
        check_output_file(existing, (".npy",), overwrite=False)
    check_output_file(existing, (".npy",), overwrite=True)
    with pytest.raises(PolemosError, match="unsupported output s.txt"):
        check_output_file(tmp_path / "s.txt", (".npy", ".csv"), overwrite=False)
    with pytest.raises(PolemosError, match="is a folder"):
        check_output_file(tmp_path, (".npy",), overwrite=True)


def test_check_memory_refuses_what_the_machine_cannot_hold(monkeypatch) -> None:
    monkeypatch.setattr(checks, "_physical_memory", lambda: 8 * 2**30)  # an 8 GiB machine
    checks.check_memory(100_000_000, "1e8 numbers", "ask for fewer")  # 0.8 GB x 3 copies: fits
    with pytest.raises(PolemosError, match=r"^4 x 1e9 numbers need about 89 GiB, more than this machine's 8 GiB; ask"):
        checks.check_memory(4 * 10**9, "4 x 1e9 numbers", "ask for fewer")
    monkeypatch.setattr(checks, "_physical_memory", lambda: None)  # an OS that does not say: nothing is refused
    checks.check_memory(4 * 10**9, "4 x 1e9 numbers", "ask for fewer")


def test_check_seed_refuses_seeds_numpy_and_torch_cannot_take() -> None:
    assert checks.check_seed(checks.MAX_SEED) == checks.MAX_SEED
    with pytest.raises(PolemosError, match="--seed 4294967296 is too large; pass a seed between 0 and 2147483647"):
        checks.check_seed(2**32)


def test_check_writable_folder_tolerates_a_folder_made_meanwhile(tmp_path, monkeypatch) -> None:
    """The ranks of a multi-process run check --out at the same time: one creating it must not fail the others."""
    out = tmp_path / "runs" / "a"
    real_mkdir = type(tmp_path).mkdir

    def racing_mkdir(self, *args, **kwargs):
        real_mkdir(self)  # another process wins the race
        raise FileExistsError(17, "File exists", str(self))

    monkeypatch.setattr(type(tmp_path), "mkdir", racing_mkdir)
    check_writable_folder(out, "--out")
    monkeypatch.undo()
    assert out.is_dir()  # made by the other process: left in place


def test_check_time_budget() -> None:
    checks.check_time_budget(None)  # no limit
    checks.check_time_budget(0.5)
    for bad in (0, -1.0, float("nan"), float("inf"), True, "60"):
        with pytest.raises(PolemosError, match=r"^--time-budget must be a positive number of seconds, got "):
            checks.check_time_budget(bad)


@pytest.mark.parametrize("command", ["tabular", "series"])
@pytest.mark.parametrize("out", ["", "  "])
def test_an_empty_out_is_refused_not_read_as_the_working_folder(tmp_path, command: str, out: str) -> None:
    import subprocess
    import sys

    table = tmp_path / "t.csv"
    table.write_text("x,y\n1,2\n3,4\n")
    # an unset shell variable (--out "$OUT") wrote the model into the working folder
    result = subprocess.run(
        [sys.executable, "-m", "polemos", command, "fit", str(table), "--out", out],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2 and result.stderr.strip() == (
        "error: --out is empty (an unset variable?); give the folder to write, e.g. --out runs/model"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["t.csv"]
