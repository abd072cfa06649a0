"""Statistics by name, collected once."""

from __future__ import annotations

import pytest
import torch

from polemos.stats import StatsCollector, report


def test_report_outside_a_collector_is_a_no_op() -> None:
    report("Loss/G", 1.0)


def test_collect_averages_and_resets() -> None:
    with StatsCollector() as collector:
        report("Loss/D/r1", torch.tensor(1.0))
        report("Loss/D/r1", torch.tensor([2.0, 4.0]))  # a tensor counts once, by its mean
        report("Loss/G", 5.0)
        assert collector.collect() == pytest.approx({"Loss/D/r1": 2.0, "Loss/G": 5.0})
        assert collector.collect() == {}


def test_all_reduce_is_applied() -> None:
    with StatsCollector(all_reduce=lambda tensor: tensor * 0 + 9) as collector:
        report("x", 1.0)
        assert collector.collect() == {"x": 9.0}
