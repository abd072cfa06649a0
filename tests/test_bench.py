"""The benchmark registry checks a run's options before the run prints anything."""

from __future__ import annotations

from typing import Any

import pytest

from polemos.bench import check_arguments, load_benchmarks
from polemos.errors import PolemosError


def _fake(seeds: int = 1, quick: bool = False, dataset: str = "a", threads: int = 1, **settings: int) -> dict:
    return {"seeds": seeds, **settings}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"budget": 5.0}, r"benchmark 'fake' takes no --budget; it accepts --seeds, --quick, --dataset and -o"),
        ({"steps": "abc"}, "-o steps must be an integer, got 'abc'"),
        ({"threads": 1.5}, "-o threads must be an integer, got 1.5"),
    ],
)
def test_check_arguments_names_the_flag_and_what_it_needs(options: dict[str, Any], message: str) -> None:
    with pytest.raises(PolemosError, match=message):
        check_arguments("fake", _fake, options)


def test_check_arguments_converts_and_passes_good_values() -> None:
    assert check_arguments("fake", _fake, {"steps": 3.0, "dataset": "b"}) == {"steps": 3, "dataset": "b"}


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("mixtures", {"budget": 5.0}, "benchmark 'mixtures' takes no --budget"),
        ("mixtures", {"steps": "abc"}, "-o steps must be an integer, got 'abc'"),
        ("sines", {"dataset": "ring-8"}, "benchmark 'sines' takes no --dataset; it accepts --seeds, --quick, --budget"),
        ("sines", {"budget": -5.0}, "--budget must be positive, got -5.0"),
        ("sines", {"budget": 0.0}, "--budget must be positive"),
        ("sines", {"hidden": "abc"}, "option hidden must be an integer >= 1, got 'abc'"),
        ("sines", {"bogus": 1}, "unknown SeriesGAN option"),
        ("tabular-adult", {"budget": 0.0}, "--budget must be positive"),
    ],
)
def test_registered_benchmarks_fail_before_any_progress_line(name, options, message, capsys) -> None:
    run = load_benchmarks().get(name)
    with pytest.raises(PolemosError, match=message):
        run(quick=True, **options)
    assert capsys.readouterr().err == ""


def test_series_benchmarks_reject_a_nonpositive_budget_from_python() -> None:
    from polemos.series.bench import _step_limits, _training_budget

    with pytest.raises(PolemosError, match="must be positive seconds"):
        _training_budget(-5.0, None, quick=True, quick_default=60.0)
    with pytest.raises(PolemosError, match="must be positive seconds"):
        _step_limits(None, None, 0.0, quick=True, default_steps=10, quick_seconds=5.0)
