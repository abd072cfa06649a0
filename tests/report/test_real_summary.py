"""Reports of saved tabular and series models compared with their real_summary.json (and without it)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from polemos.report import write_report


def section_body(page: str, anchor: str) -> str:
    """The HTML of one ``<section id=anchor>``."""
    match = re.search(rf'<section id="{anchor}".*?</section>', page, flags=re.DOTALL)
    assert match is not None, f"no section {anchor}"
    return match.group(0)


@pytest.fixture(scope="module")
def tabular_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pandas as pd

    from polemos.tabular.synthesizer import IdentifierColumnWarning, TabularGAN

    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n).round(),
            "score": rng.normal(0, 1, n),
            "city": rng.choice(["a", "b"], n),
            "user": [f"user-{index:03d}" for index in range(n)],  # ID-like: every value once
        }
    )
    out = tmp_path_factory.mktemp("tabular") / "table_run"
    model = TabularGAN(verbose=False, batch_size=40, noise_dim=16, generator_hidden=(32,), discriminator_hidden=(32,))
    with pytest.warns(IdentifierColumnWarning, match="'user'"):
        model.fit(frame, epochs=1)
    model.save(out)
    return out


def test_tabular_report_compares_with_the_real_summary(tabular_run: Path) -> None:
    page = write_report(tabular_run).read_text(encoding="utf-8")
    table = section_body(page, "table")
    assert '<div id="table-real-vs-synthetic">' in table and '<div id="table-correlation-difference">' in table
    assert 'alt="per-column distributions"' in table and 'alt="correlation difference"' in table
    assert "real training table (grey" in table and "|association(real) - association(synthetic)|" in table
    assert table.count("<img ") == 3  # distributions, correlation difference, synthetic correlations
    assert 'class="note"' not in page
    # the ID column's values are not in the plots' summary (model.json, shown in the config section, has them)
    assert "user-0" not in table


def test_tabular_report_without_a_summary_still_works(tabular_run: Path, tmp_path: Path) -> None:
    old = shutil.copytree(tabular_run, tmp_path / "old_save")
    (old / "real_summary.json").unlink()
    (old / "report.html").unlink(missing_ok=True)
    page = write_report(old).read_text(encoding="utf-8")
    table = section_body(page, "table")
    assert "table-real-vs-synthetic" not in table and "table-correlation-difference" not in table
    assert 'alt="per-column distributions"' in table and 'alt="synthetic correlations"' in table
    assert table.count("<img ") == 2
    assert "no real_summary.json" in table


@pytest.fixture(scope="module")
def series_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from polemos.series.model import SeriesGAN

    torch.manual_seed(0)
    series = np.cumsum(np.random.default_rng(0).normal(size=(200, 2)), axis=0)
    out = tmp_path_factory.mktemp("series") / "series_run"
    SeriesGAN(hidden=8, layers=1, discriminator_channels=8, batch_size=16).fit(series, window=12, steps=3).save(out)
    return out


def test_series_report_compares_with_the_real_summary(series_run: Path) -> None:
    page = write_report(series_run).read_text(encoding="utf-8")
    series = section_body(page, "series")
    assert '<div id="series-real-vs-generated">' in series and '<div id="series-autocorrelations">' in series
    assert 'alt="real and generated paths"' in series and 'alt="real and generated autocorrelations"' in series
    assert "8 real training windows" in series and "up to lag 10" in series  # window 12: lags min(20, 12 - 2)
    assert series.count("<img ") == 2
    assert 'class="note"' not in page


def test_series_report_without_a_summary_still_works(series_run: Path, tmp_path: Path) -> None:
    old = shutil.copytree(series_run, tmp_path / "old_save")
    (old / "real_summary.json").unlink()
    (old / "report.html").unlink(missing_ok=True)
    page = write_report(old).read_text(encoding="utf-8")
    series = section_body(page, "series")
    assert 'alt="generated paths and autocorrelations"' in series and "series-real-vs-generated" not in series
    assert series.count("<img ") == 1
    assert "no real_summary.json" in series
