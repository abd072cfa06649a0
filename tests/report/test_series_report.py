"""Series model reports: the unit and mode of what is plotted, scenarios of context models, readable training
values."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from polemos.report import write_report


def section_body(page: str, anchor: str) -> str:
    """The HTML of one ``<section id=anchor>``."""
    match = re.search(rf'<section id="{anchor}".*?</section>', page, flags=re.DOTALL)
    assert match is not None, f"no section {anchor}"
    return match.group(0)


def prices() -> pd.DataFrame:
    """Two price columns from a geometric random walk (200 steps)."""
    returns = np.random.default_rng(0).normal(0.0, 0.01, size=(200, 2))
    return pd.DataFrame(100.0 * np.exp(np.cumsum(returns, axis=0)), columns=["AAA", "BBB"])


def fit_and_save(out: Path, **fit_options) -> Path:
    """A tiny SeriesGAN fitted for 3 steps on :func:`prices`, saved to ``out``."""
    import torch

    from polemos.series.model import SeriesGAN

    torch.manual_seed(0)
    gan = SeriesGAN(hidden=8, layers=1, discriminator_channels=8, batch_size=16)
    return gan.fit(prices(), steps=3, **fit_options).save(out)


@pytest.fixture(scope="module")
def returns_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fit_and_save(tmp_path_factory.mktemp("series") / "returns_run", window=12, returns=True)


@pytest.fixture(scope="module")
def levels_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fit_and_save(tmp_path_factory.mktemp("series") / "levels_run", window=12)


@pytest.fixture(scope="module")
def context_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fit_and_save(tmp_path_factory.mktemp("series") / "context_run", window=10, returns=True, context_length=4)


def test_returns_report_states_log_returns_and_volatility_clustering(returns_run: Path) -> None:
    page = write_report(returns_run).read_text(encoding="utf-8")
    series = section_body(page, "series")
    assert "in log returns of AAA, BBB, on the same y range" in series
    assert "in data units" not in series
    assert "volatility clustering" in series
    assert "<dt>mode</dt><dd>log returns</dd>" in page


def test_levels_report_states_values_without_the_returns_hint(levels_run: Path) -> None:
    page = write_report(levels_run).read_text(encoding="utf-8")
    series = section_body(page, "series")
    assert "in values of AAA, BBB, on the same y range" in series
    assert "volatility clustering" not in series  # |x| of price levels follows the level, not clustering
    assert "<dt>mode</dt><dd>levels</dd>" in page


def test_levels_report_without_a_summary_states_values(levels_run: Path, tmp_path: Path) -> None:
    old = shutil.copytree(levels_run, tmp_path / "old_save")
    (old / "real_summary.json").unlink()
    series = section_body(write_report(old).read_text(encoding="utf-8"), "series")
    assert "64 generated sequences (seed 0), in values of AAA, BBB." in series


def test_training_values_are_readable_and_the_selection_is_a_table(returns_run: Path, tmp_path: Path) -> None:
    page = write_report(returns_run).read_text(encoding="utf-8")
    series = section_body(page, "series")
    labels = re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td></tr>", series)
    assert labels == [
        "steps",
        "training seconds",
        "training windows",
        "D loss at the end",
        "G loss at the end",
        "whole fit seconds",
    ]
    assert re.search(r"<td>training seconds</td><td>\d+\.\d</td>", series)  # one decimal
    assert re.search(r"<td>whole fit seconds</td><td>\d+\.\d</td>", series)
    # an unselected fit has no selected step nor selection history: no rows for them
    assert "None" not in series and "[]" not in series and "selection" not in series and "_" not in "".join(labels)
    # a fit with select_every: step / score table, the kept step marked (as saved: lists in config.json)
    selected = shutil.copytree(returns_run, tmp_path / "selected")
    record = json.loads((selected / "config.json").read_text())
    record["summary"].update(selected_step=20, selection=[[10, 1.83332], [20, 1.83238]])
    (selected / "config.json").write_text(json.dumps(record))
    series = section_body(write_report(selected).read_text(encoding="utf-8"), "series")
    assert "[[" not in series and "selected_step" not in series
    assert "<th>step</th><th>selection score (lower is better)</th>" in series
    assert "<tr><td>10</td><td>1.8333</td></tr><tr><td>20 (kept)</td><td>1.8324</td></tr>" in series
    assert "kept the generator of step 20" in series


def test_configuration_dump_rounds_the_scaling(levels_run: Path) -> None:
    page = write_report(levels_run).read_text(encoding="utf-8")
    configuration = section_body(page, "config")
    record = json.loads((levels_run / "config.json").read_text())
    minimum = record["meta"]["scaling"]["minimum"][0]
    assert len(repr(minimum)) > 10  # a float of many digits in the file
    assert f"{minimum:.6g}" in configuration and repr(minimum) not in configuration
    assert "<details><summary>Resolved config (config.json)</summary>" in configuration  # collapsed


def test_series_data_source_is_read_from_config_json(returns_run: Path, tmp_path: Path) -> None:
    assert "<dt>data</dt><dd>not recorded</dd>" in write_report(returns_run).read_text(encoding="utf-8")
    recorded = shutil.copytree(returns_run, tmp_path / "recorded")
    record = json.loads((recorded / "config.json").read_text())
    record["data_source"] = "prices.csv"  # where the series CLI records it
    (recorded / "config.json").write_text(json.dumps(record))
    assert "<dt>data</dt><dd>prices.csv</dd>" in write_report(recorded).read_text(encoding="utf-8")


def test_context_model_report_draws_scenarios_from_the_real_windows(context_run: Path) -> None:
    page = write_report(context_run).read_text(encoding="utf-8")
    series = section_body(page, "series")
    assert "<dt>mode</dt><dd>log returns, continues 4 steps of context</dd>" in page
    assert 'class="note"' not in page and "could not be loaded" not in page
    assert '<div id="series-scenarios">' in series and 'alt="real and generated scenarios"' in series
    assert "the first 4 steps of 4 real training windows" in series and "in log returns of AAA, BBB" in series
    assert 'alt="real and generated autocorrelations"' in series
    assert "64 generated continuations of 6 steps of the real contexts" in series and "up to lag 4" in series
    assert series.count("<img ") == 2


def test_context_model_without_real_windows_points_to_series_sample(context_run: Path, tmp_path: Path) -> None:
    old = shutil.copytree(context_run, tmp_path / "old_save")
    (old / "real_summary.json").unlink()
    series = section_body(write_report(old).read_text(encoding="utf-8"), "series")
    assert "scenario plots need contexts and this folder has no real_summary.json" in series
    assert "polemos series sample" in series and "--context FILE.csv" in series
    assert "could not be loaded" not in series and series.count("<img ") == 0
