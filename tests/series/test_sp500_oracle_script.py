"""`benchmarks/series_sp500_oracle.py` (the perfect-model simulation in docs §7) still runs and scores sensibly."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

pytest.importorskip("arch")


@pytest.fixture
def script(benchmark_script: Any) -> Any:
    return benchmark_script("series_sp500_oracle")


def test_a_series_scores_zero_against_its_own_curves_and_more_against_another(script) -> None:
    oracle = script
    rng = np.random.default_rng(0)
    series, other = rng.standard_t(5, size=(2, 600))
    assert oracle.distances(oracle.curves(series), oracle.curves(series)) == {
        "acf_abs": 0.0,
        "acf_squared": 0.0,
        "leverage": 0.0,
    }
    assert all(value > 0.1 for value in oracle.distances(oracle.curves(series), oracle.curves(other)).values())


def test_a_small_run_writes_every_method_and_share(tmp_path, capsys, script) -> None:
    out = tmp_path / "oracle.json"
    script.main(["--worlds", "2", "--paths", "4", "--length", "400", "--out", str(out)])
    record = json.loads(out.read_text())
    assert record == json.loads(capsys.readouterr().out)
    assert set(record["scores"]) == {"true process", "block bootstrap", "GJR-GARCH-t refitted"}
    for method in record["scores"].values():
        assert all(np.isfinite(score["mean"]) and score["mean"] > 0 for score in method.values())
    shares = record["share_of_worlds_true_process_below_block_bootstrap"]
    assert set(shares) == {"acf_abs", "acf_squared", "leverage"} and set(shares.values()) <= {0.0, 0.5, 1.0}
    assert record["protocol"]["series_length"] == 2433 and record["protocol"]["worlds"] == 2


def test_out_of_sample_scores_the_held_out_end_only(tmp_path, script) -> None:
    out = tmp_path / "oracle.json"
    script.main(["--worlds", "1", "--paths", "4", "--length", "400", "--holdout", "754", "--out", str(out)])
    record = json.loads(out.read_text())
    assert record["protocol"]["holdout"] == 754
    in_sample = tmp_path / "in_sample.json"
    script.main(["--worlds", "1", "--paths", "4", "--length", "400", "--out", str(in_sample)])
    # the same world and paths, scored against 754 returns instead of 2,433: different curves, different scores
    assert json.loads(in_sample.read_text())["scores"]["true process"] != record["scores"]["true process"]
    with pytest.raises(SystemExit):
        script.main(["--holdout", "10"])
