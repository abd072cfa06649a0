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


def test_summary_lines_put_methods_side_by_side_and_checks_in_words() -> None:
    from polemos.bench import summary_lines

    record = {
        "benchmark": "facts",
        "protocol": {"reduced": True},
        "results": {
            "methods": {
                "GAN": {"acf": {"mean": 0.34123456, "std": 0.0123456, "values": [0.33, 0.35]}},
                "GARCH": {"acf": {"mean": 0.5, "std": 0.001, "values": [0.499, 0.501]}},
            },
            "checks": {"beats GARCH on acf": True, "beats the bootstrap on acf": False},
            "training": [{"seed": 0, "steps": 2000, "seconds": 12.345678}, {"seed": 1, "steps": 1800, "seconds": 9.5}],
        },
    }
    lines = summary_lines(record)
    assert lines[0] == "facts (reduced protocol: a smoke result, not the benchmark)"
    table = lines[lines.index("") + 1 : lines.index("", lines.index("") + 1)]
    assert table[0].split() == ["score", "(mean", "±", "std,", "2", "seeds)", "GAN", "GARCH"]
    assert table[2].split() == ["acf", "0.3412", "±", "0.012", "0.5", "±", "0.001"]  # 4 digits, spread 2
    assert "met      beats GARCH on acf" in lines and "NOT met  beats the bootstrap on acf" in lines
    assert lines[lines.index("training:") + 3].split() == ["0", "2,000", "12.35"]
    assert lines[-1] == "(the full record, with its protocol and per-seed values: --json)"


def test_summary_lines_read_flat_summaries_with_std_keys() -> None:
    from polemos.bench import summary_lines

    record = {
        "benchmark": "mixtures",
        "summary": {"modes": 8.0, "modes_std": 0.0, "kl": 0.00201234, "kl_std": 0.0008, "num_modes": 8},
        "per_seed": [{"seed": 0, "modes": 8, "counts": [1, 2]}],
        "protocol": {"reduced": False},
    }
    lines = summary_lines(record)
    assert lines[:4] == ["mixtures", "modes: 8 ± 0", "kl: 0.002012 ± 0.0008", "num_modes: 8"]
    assert lines[lines.index("per_seed:") + 1].split() == ["seed", "modes"]  # lists (counts) left to --json


def test_option_lines_list_defaults_flags_and_the_comments_in_the_code() -> None:
    from polemos.bench import option_lines

    def fake(
        seeds: int = 3,
        quick: bool = False,
        budget: float | None = None,  # training seconds
        threads: int = 2,  # torch CPU threads
        **model_options: float,  # model overrides
    ) -> dict:
        return {}

    assert option_lines("fake", fake)[1:] == [
        "options (polemos bench fake --seeds N --quick -o KEY=VALUE ...):",
        "  --budget VALUE (default None)  # training seconds",
        "  -o threads=2  # torch CPU threads",
        "  -o KEY=VALUE (model_options)  # model overrides",
    ]


def test_bench_options_flag_lists_a_registered_benchmarks_options(capsys) -> None:
    from polemos.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "sp500-facts", "--options"])
    out = capsys.readouterr().out
    assert exit_info.value.code in (0, None)
    assert "  -o train_end=None  # out of sample: fit on closes up to this date" in out
