"""Reports of saved tabular and series models: their own sections, not the image trainer's."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from polemos.report import write_report
from polemos.report.series import autocorrelation
from polemos.report.tabular import mixture_density


def test_mixture_density_closed_form() -> None:
    column = {"mean": 10.0, "std": 2.0, "mode_means": [0.5], "mode_stds": [1.0], "mode_weights": [1.0]}
    # one mode: N(10 + 2 * 0.5, (2 * 1)^2) = N(11, 4); peak 1 / (2 sqrt(2 pi)), one sigma away x exp(-1/2)
    density = mixture_density(column, np.array([11.0, 13.0]))
    peak = 1 / (2 * math.sqrt(2 * math.pi))
    np.testing.assert_allclose(density, [peak, peak * math.exp(-0.5)])
    assert mixture_density({"mean": 0.0, "std": 1.0}, np.array([0.0])) is None


def test_autocorrelation_closed_form() -> None:
    alternating = np.array([[1.0, -1.0] * 5])  # mean 0, sum x^2 = 10, lag-k products sum to (-1)^k (10 - k)
    np.testing.assert_allclose(autocorrelation(alternating, 3), [1.0, -0.9, 0.8, -0.7])
    with_nan = np.array([[1.0, -1.0, 1.0, -1.0, np.nan, np.nan]])  # NaN tail of a short sequence ignored
    np.testing.assert_allclose(autocorrelation(with_nan, 1), [1.0, -0.75])


def test_series_model_report(tmp_path: Path) -> None:
    import torch

    from polemos.series.model import SeriesGAN

    torch.manual_seed(0)
    series = np.cumsum(np.random.default_rng(0).normal(size=(200, 2)), axis=0)
    gan = SeriesGAN(hidden=8, discriminator_channels=8, batch_size=16)
    gan.fit(series, window=12, steps=3).save(tmp_path / "series_run")
    page = write_report(tmp_path / "series_run").read_text(encoding="utf-8")
    assert "<dd>series</dd>" in page and "<dd>saved model</dd>" in page and "<dd>3</dd>" in page
    assert re.findall(r'<section id="([a-z]+)"', page) == ["config", "series"]
    # with real_summary.json the generated-only figure becomes real vs generated (test_real_summary.py)
    assert 'alt="real and generated paths"' in page and 'alt="real and generated autocorrelations"' in page
    assert 'class="note"' not in page


@pytest.fixture(scope="module")
def tabular_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pandas as pd

    from polemos.tabular.synthesizer import TabularGAN

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"age": rng.normal(40, 10, 80).round(), "score": rng.normal(0, 1, 80), "city": rng.choice(["a", "b"], 80)}
    )
    out = tmp_path_factory.mktemp("tabular") / "table_run"
    TabularGAN(verbose=False, batch_size=40).fit(frame, epochs=1).save(out)
    return out


def test_tabular_model_report(tabular_run: Path) -> None:
    page = write_report(tabular_run).read_text(encoding="utf-8")
    assert "<dd>tabular</dd>" in page and "<dd>saved model</dd>" in page
    assert re.findall(r'<section id="([a-z]+)"', page) == ["config", "table"]
    assert 'alt="per-column distributions"' in page and 'alt="synthetic correlations"' in page
    assert "<td>training rows</td><td>80</td>" in page and "<td>stopped by</td><td>epochs</td>" in page
    assert 'class="note"' not in page


def test_tabular_report_shows_settings_not_fitted_internals(tabular_run: Path) -> None:
    page = write_report(tabular_run).read_text(encoding="utf-8")
    configuration = page.split('id="config"', 1)[1].split("</section>", 1)[0]
    # the model's settings (tabular folders have no config.json), as a table of readable values
    assert "<summary>Model settings (model.json config)</summary>" in configuration
    assert "<td>batch_size</td><td>40</td>" in configuration and "<td>target</td><td>none</td>" in configuration
    assert "<td>betas</td><td>[0.5, 0.9]</td>" in configuration and "<td>seed</td><td>0</td>" in configuration
    # the transformer state (mixture modes, calibration quantiles) and the slot frequencies are left out
    assert "transformer, slot_frequencies) left out" in configuration
    assert "&quot;models&quot;" not in configuration and "&quot;slot_frequencies&quot;" not in configuration
    assert len(configuration) < 10_000
    assert "<dt>data</dt><dd>not recorded</dd>" in page  # TabularGAN.save does not record the source


def test_tabular_fit_summary_is_readable(tabular_run: Path, tmp_path: Path) -> None:
    import json
    import shutil

    run_dir = Path(shutil.copytree(tabular_run, tmp_path / "budget_run"))
    model = json.loads((run_dir / "model.json").read_text())
    model["report"].update(
        preprocessing_seconds=1.1013, training_seconds=16.2049, epochs=582.1234, stopped_by="time_budget", steps=12345
    )
    model["data_source"] = "adult.csv"  # a folder that records its source shows it in the header
    (run_dir / "model.json").write_text(json.dumps(model))
    page = write_report(run_dir).read_text(encoding="utf-8")
    table = page.split('id="table"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td></tr>", table)
    assert rows == [
        ("preprocessing", "1.1 s"),
        ("training", "16.2 s"),
        ("steps", "12,345"),
        ("epochs", "582.1"),
        ("stopped by", "time budget"),
        ("training rows", "80"),
    ]
    assert "<dt>data</dt><dd>adult.csv</dd>" in page
