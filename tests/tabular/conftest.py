"""Small tables and a tiny model configuration so tabular tests stay fast."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

# a small network: the tests check behaviour, not quality
TINY = {
    "noise_dim": 16,
    "generator_hidden": (32, 32),
    "discriminator_hidden": (32, 32),
    "batch_size": 100,
    "pac": 10,
    "calibration_rows": 4_000,
}


def make_mixed_frame() -> pd.DataFrame:
    """400 rows with every supported column kind and some missing values."""
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "x": rng.normal(10.0, 2.0, n),
            "age": rng.integers(18, 91, n),
            "color": rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1]),
            "flag": rng.random(n) < 0.3,
            "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "const": 7,
            "city": rng.choice(["Paris", "Lyon", "Berlin"], n),
        }
    )
    frame["country"] = frame["city"].map({"Paris": "FR", "Lyon": "FR", "Berlin": "DE"})
    frame.loc[rng.random(n) < 0.1, "x"] = np.nan
    frame.loc[rng.random(n) < 0.2, "color"] = None
    return frame


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """A fresh copy of :func:`make_mixed_frame` per test."""
    return make_mixed_frame()


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Iterator[None]:
    """scikit-learn's OpenMP pools (HistGradientBoosting) crawl on shared cores; tests use one thread."""
    with threadpool_limits(limits=1):
        yield
