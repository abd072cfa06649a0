"""`benchmarks/series_scenarios_ensemble.py` (the ensemble exploration in docs §7b) still runs and scores."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("arch")


def test_a_short_run_scores_the_single_models_and_their_pool(capsys, benchmark_script: Any) -> None:
    benchmark_script("series_scenarios_ensemble").main(["--seeds", "0", "1", "--steps", "3", "--scenarios", "4"])
    record = json.loads(capsys.readouterr().out)
    assert [entry["seed"] for entry in record["seeds"]] == [0, 1]
    for name in ("held-out", "test"):
        assert len(record["single"][name]) == 2 and 0 < record[f"ensemble {name}"]["energy_score"] < 100
    assert len(record["ensemble minus GJR-GARCH(1,1)-t (test)"]) == 2
