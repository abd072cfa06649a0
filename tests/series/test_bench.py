"""Smoke tests of the series benchmarks with a tiny, clearly reduced protocol (structure, not quality)."""

from __future__ import annotations

import numpy as np
import pytest

from polemos.bench import load_benchmarks
from polemos.errors import PolemosError
from polemos.series import bench, data

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def test_benchmarks_are_registered() -> None:
    registry = load_benchmarks()
    assert {"stocks", "sines", "sp500-facts"} <= set(registry.names())


def test_stocks_record_has_protocol_and_results(shared_data, capsys) -> None:
    record = bench.run_stocks(
        seeds=1,
        data_path=shared_data / "stocks" / "stock_data.csv",
        time_budget=0.2,
        discriminative_iterations=3,
        predictive_iterations=3,
        threads=1,
        **TINY,
    )
    assert record["protocol"]["reduced"] is True
    assert record["protocol"]["windows"] == [3661, 24, 6]
    assert 0.0 <= record["results"]["discriminative"]["mean"] <= 0.5
    assert len(record["results"]["predictive"]["values"]) == 1
    progress = capsys.readouterr().err.splitlines()  # one line before and one after each seed, on stderr
    assert progress[0] == "stocks: seed 0: training for 0 s"
    assert progress[1].startswith("stocks: seed 0: ") and "discriminative" in progress[1]


def test_sp500_facts_record_compares_baselines(capsys) -> None:
    pytest.importorskip("arch")
    record = bench.run_sp500_facts(seeds=1, paths=4, steps=300, window=32, time_budget=0.2, threads=1, **TINY)
    methods = record["results"]["methods"]
    assert set(methods) == {
        "SeriesGAN", "GARCH(1,1)-normal", "GJR-GARCH(1,1)-t", "iid bootstrap", "block bootstrap",
    }  # fmt: skip
    # resampling real returns reproduces the one-day distribution closely (BENCHMARKS.md §6 warning)
    assert methods["iid bootstrap"]["emd_1"]["mean"] < methods["GARCH(1,1)-normal"]["emd_1"]["mean"] + 1e-3
    assert record["protocol"]["reduced"] is True and record["protocol"]["max_lag"] == 250
    # the kept generator is chosen on paths as long as the scored ones
    assert record["protocol"]["model"]["select_length"] == 300
    # the long-lag memory is trained by the facts penalty on the slow-noise inputs
    assert record["protocol"]["model"]["facts_weight"] == 1.0 and record["protocol"]["model"]["slow_noise_timescales"]
    # and its critic reads the magnitudes of the returns in data units
    assert record["protocol"]["model"]["critic_tails"] is True
    steps = record["results"]["training"][0]["steps"]
    progress = capsys.readouterr().err.splitlines()  # one line before and one after each seed, on stderr
    assert progress[0] == "sp500-facts: seed 0: training for 0.2 s"
    assert progress[1].startswith(f"sp500-facts: seed 0: trained {steps} steps in ")


def test_sp500_facts_out_of_sample_scores_the_later_returns(monkeypatch) -> None:
    pytest.importorskip("arch")
    from polemos.series import metrics

    scored: list[np.ndarray] = []
    stylized_facts = metrics.stylized_facts
    monkeypatch.setattr(
        metrics, "stylized_facts", lambda real, *a, **k: scored.append(real) or stylized_facts(real, *a, **k)
    )
    record = bench.run_sp500_facts(
        seeds=1, paths=4, steps=300, window=32, time_budget=0.2, threads=1, train_end="2015-12-31", **TINY
    )
    protocol = record["protocol"]
    # 1,679 training returns up to 2015-12-31; the 754 after it are scored (2,433 in all)
    assert protocol["returns"] == 1679 and protocol["scored_returns"] == 754
    assert protocol["train_end"] == "2015-12-31" and "out of sample" in protocol["scored_on"]
    # every method is scored against the last 754 returns of the full series
    later = data.log_returns(bench.load_sp500_prices())[-754:]
    assert len(scored) == 5 and all(np.array_equal(real, later) for real in scored)


@pytest.mark.parametrize("train_end", ["not a date", "2009-06-01"])
def test_sp500_facts_rejects_a_bad_split(train_end) -> None:
    pytest.importorskip("arch")
    with pytest.raises(PolemosError, match="train_end"):
        bench.run_sp500_facts(seeds=1, paths=4, steps=300, time_budget=0.2, threads=1, train_end=train_end, **TINY)


def test_sp500_facts_trains_a_fixed_number_of_steps(capsys) -> None:
    pytest.importorskip("arch")
    options = {**TINY, "select_every": 2}
    record = bench.run_sp500_facts(seeds=1, paths=4, steps=300, window=32, threads=1, train_steps=3, **options)
    # no time budget cuts the run short: exactly 3 steps, and the record says so
    assert record["results"]["training"][0]["steps"] == 3
    assert record["protocol"]["training_steps"] == 3 and record["protocol"]["training_budget_seconds"] is None
    assert capsys.readouterr().err.startswith("sp500-facts: seed 0: training for 3 steps\n")


def test_sp500_facts_first_seed_repeats_that_seed_of_a_longer_run() -> None:
    pytest.importorskip("arch")
    common = {"paths": 4, "steps": 300, "window": 32, "threads": 1, "train_steps": 3, **TINY}
    both = bench.run_sp500_facts(seeds=2, **common)["results"]
    second = bench.run_sp500_facts(seeds=1, first_seed=1, **common)
    assert second["protocol"]["first_seed"] == 1
    assert [t["seed"] for t in second["results"]["training"]] == [1]
    for method, row in second["results"]["methods"].items():
        for key in ("acf_abs", "acf_squared", "leverage", "emd_20"):
            assert row[key]["values"] == (both["methods"][method][key]["values"][1],), (method, key)


@pytest.mark.parametrize("first_seed", [-1, 2.5])
def test_sp500_facts_rejects_a_bad_first_seed(first_seed) -> None:
    with pytest.raises(PolemosError, match="first_seed"):
        bench.run_sp500_facts(seeds=1, paths=4, steps=300, threads=1, first_seed=first_seed, **TINY)


@pytest.mark.parametrize(
    ("train_steps", "time_budget", "budget", "quick", "limits"),
    [
        (None, None, None, False, (2000, None)),  # the default protocol: 2,000 steps, however long they take
        (None, None, None, True, (bench._NO_STEP_LIMIT, 60.0)),  # a quick smoke run: 60 s
        (None, 600.0, None, False, (bench._NO_STEP_LIMIT, 600.0)),  # the former protocol: 600 s, however many steps fit
        (None, None, 30.0, False, (bench._NO_STEP_LIMIT, 30.0)),  # `polemos bench sp500-facts --budget 30`
        (500, 600.0, None, False, (500, 600.0)),  # both limits: whichever comes first
    ],
)
def test_sp500_facts_training_limits(train_steps, time_budget, budget, quick, limits) -> None:
    assert bench._step_limits(train_steps, time_budget, budget, quick, 2000, 60.0) == limits


@pytest.mark.parametrize("train_steps", [0, 2.5, "many"])
def test_sp500_facts_rejects_a_bad_step_count(train_steps) -> None:
    with pytest.raises(PolemosError, match="train_steps must be a positive whole number"):
        bench.run_sp500_facts(seeds=1, paths=4, steps=300, threads=1, train_steps=train_steps, **TINY)
