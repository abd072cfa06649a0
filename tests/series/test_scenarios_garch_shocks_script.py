"""`benchmarks/series_scenarios_garch_shocks.py` (the GAN-shock exploration in docs §7b) still runs and scores."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("arch")


@pytest.fixture
def script(benchmark_script: Any) -> Any:
    return benchmark_script("series_scenarios_garch_shocks")


def test_a_short_run_scores_both_methods_on_both_origin_sets(capsys, script) -> None:
    script.main(["--seeds", "0", "--steps", "3", "--scenarios", "4"])
    record = json.loads(capsys.readouterr().out)
    assert record["seed"] == 0 and record["steps"] <= 3
    for name, origins in (("held-out", 56), ("test", 100)):
        assert record[f"{name}: hybrid minus GJR-GARCH(1,1)-t"]["origins"] == origins
        for method in ("hybrid", "GJR-GARCH(1,1)-t"):
            assert 0 < record[f"{name}: {method}"]["energy_score"] < 100
