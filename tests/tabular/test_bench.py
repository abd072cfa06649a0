from __future__ import annotations

from pathlib import Path

import pytest

from polemos.bench import load_benchmarks
from polemos.errors import PolemosError
from polemos.tabular.bench import _summary, load_adult, run, split_adult


def test_benchmark_is_registered() -> None:
    assert "tabular-adult" in load_benchmarks()


def test_adult_protocol_split(shared_data: Path) -> None:
    frame, discrete = load_adult(shared_data / "adult" / "adult.csv")
    assert frame.shape == (32_561, 15)
    assert not frame["sex"].str.startswith(" ").any()  # leading spaces stripped
    assert len(discrete) == 9 and "income" in discrete and "age" not in discrete
    train, test = split_adult(frame)
    assert (len(train), len(test)) == (26_048, 6_513)
    # stratified: the share of >50K is the same in both parts (to 1e-3)
    assert abs((train["income"] == ">50K").mean() - (test["income"] == ">50K").mean()) < 1e-3


def test_summary_mean_and_std() -> None:
    summary = _summary([{"seed": 0, "q": 0.5}, {"seed": 1, "q": 0.7}, {"seed": 2, "error": "not installed"}])
    assert summary["q"]["mean"] == pytest.approx(0.6)
    assert summary["q"]["std"] == pytest.approx(0.1)


def test_missing_data_and_unknown_model_raise(tmp_path: Path) -> None:
    with pytest.raises(PolemosError, match="not found"):
        run(quick=True, data_path=tmp_path / "adult.csv")
    with pytest.raises(PolemosError, match="unknown model"):
        run(quick=True, models=["nope"])
    with pytest.raises(PolemosError, match=r"unknown model\(s\) \['nope'\]"):
        run(quick=True, models="polemos, nope")  # comma-separated, as from the command line
    with pytest.raises(PolemosError, match="tabular-adult has no option budgt; valid options: budget"):
        run(quick=True, budgt=3)


def test_reduced_run_reports_progress_on_stderr(shared_data: Path, capsys) -> None:
    result = run(
        seeds=1,
        budget=5.0,
        models=["polemos"],
        # no calibration: its time reserve (measured, x1.5) took the whole 5 s on busy cores, leaving no step
        polemos_options={"calibrate": False},
        train_rows=300,
        small_data=False,
        data_path=shared_data / "adult" / "adult.csv",
        threads=1,
    )
    progress = capsys.readouterr().err
    assert progress.startswith("tabular-adult: polemos seed 0: {")
    assert '"fit_seconds"' in progress and "polemos" in result["results"]
