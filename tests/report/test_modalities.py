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
    assert "<td>rows</td><td>80</td>" in page
    assert 'class="note"' not in page
