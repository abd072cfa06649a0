"""`benchmarks/series_sp500_acf_bands.py` (the lag-band diagnosis in docs §7) still runs and splits distances right."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

pytest.importorskip("arch")


@pytest.fixture
def script(benchmark_script: Any) -> Any:
    return benchmark_script("series_sp500_acf_bands")


def test_band_distances_by_hand(script) -> None:
    real = np.zeros(250)
    curve = np.zeros(250)
    curve[0], curve[5], curve[100] = 0.3, -0.4, 0.12  # lags 1, 6 and 101
    bands = script.band_distances(real, curve)
    assert bands["1-5"] == {"l2": pytest.approx(0.3), "mean_difference": pytest.approx(0.06)}
    assert bands["6-20"] == {"l2": pytest.approx(0.4), "mean_difference": pytest.approx(-0.4 / 15)}
    assert bands["21-64"] == {"l2": 0.0, "mean_difference": 0.0}
    assert bands["65-250"] == {"l2": pytest.approx(0.12), "mean_difference": pytest.approx(0.12 / 186)}


def test_a_tiny_run_writes_both_methods(tmp_path, capsys, script) -> None:
    out = tmp_path / "bands.json"
    options = ["train_steps=2", "select_paths=2", "select_length=300", "facts_weight=0", "burn_in=0"]
    script.main(
        ["--train-end", "2014-12-31", "--paths", "3", "--length", "300", "--out", str(out)]
        + [part for option in options for part in ("-o", option)]
    )
    record = json.loads(out.read_text())
    assert record == json.loads(capsys.readouterr().out)
    assert record["scored_returns"] == 1006 and record["max_lag"] == 250
    seed = record["seeds"]["0"]
    assert set(seed) == {"kept_step", "SeriesGAN", "GJR-GARCH(1,1)-t"}
    assert set(seed["SeriesGAN"]) == {"total", "lags_1_5", "1-5", "6-20", "21-64", "65-250"}
