"""The README's promise: `-o KEY=VALUE` options of tabular and series fits are listed in their configs' docstrings."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from polemos.series import SeriesGANConfig
from polemos.tabular import TabularConfig


@pytest.mark.parametrize("config", [TabularConfig, SeriesGANConfig])
def test_every_option_is_described_in_the_docstring(config) -> None:
    attributes = inspect.getdoc(config).split("Attributes:", 1)[1]
    described = {line.strip().split(":", 1)[0] for line in attributes.splitlines() if ":" in line}
    missing = [field.name for field in dataclasses.fields(config) if field.name not in described]
    assert not missing, missing
