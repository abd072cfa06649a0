"""Shared data for the series tests."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

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


def load_benchmark_script(name: str) -> ModuleType:
    """The module ``benchmarks/NAME.py`` (scripts are not a package), imported fresh."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def benchmark_script() -> Callable[[str], ModuleType]:
    """:func:`load_benchmark_script`, as a fixture (the test folders are not packages)."""
    return load_benchmark_script
