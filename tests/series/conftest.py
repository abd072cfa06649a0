"""Shared data for the series tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest


def t_prices(length: int = 300, seed: int = 0) -> pd.DataFrame:
    """A price series whose log returns are 0.01 x Student-t(4): fat tails, no volatility clustering."""
    rng = np.random.default_rng(seed)
    returns = 0.01 * rng.standard_t(4, size=length)
    return pd.DataFrame({"close": 100.0 * np.exp(np.cumsum(returns))})


@pytest.fixture
def prices() -> Callable[..., pd.DataFrame]:
    """:func:`t_prices`, as a fixture."""
    return t_prices
