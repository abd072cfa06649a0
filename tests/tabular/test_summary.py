"""Tests of polemos.tabular.summary and of real_summary.json written by TabularGAN.save."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from polemos.tabular import TabularGAN
from polemos.tabular.summary import ColumnSummary, TableSummary, association_matrix, summarize_table
from polemos.tabular.synthesizer import IdentifierColumnWarning

from .conftest import TINY, make_mixed_frame


def test_numeric_histogram_and_missing_count() -> None:
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, np.nan] * 4, "n": [1, 2, 2, 3, 3] * 4})
    summary = summarize_table(frame, {"x": "continuous", "n": "integer"})
    x, n = summary.column("x"), summary.column("n")
    assert x.kind == "numeric" and x.missing_count == 4 and math.isclose(x.missing_rate, 0.2)
    assert len(x.edges) == 31 and x.edges[0] == 0.0 and x.edges[-1] == 3.0 and sum(x.counts) == 16
    assert n.edges == (0.5, 1.5, 2.5, 3.5) and n.counts == (4, 8, 8)  # narrow integers: one bin per value


def test_categories_below_the_minimum_count_only_count_as_other() -> None:
    values = ["a"] * 50 + ["b"] * 30 + ["c"] * 5 + [None] * 15
    summary = summarize_table(pd.DataFrame({"c": values}), {"c": "categorical"})
    column = summary.column("c")
    assert column.categories == ("a", "b") and column.counts == (50, 30)
    assert column.other_count == 5 and column.missing_count == 15 and column.rows == 100


def test_association_closed_forms() -> None:
    x = np.arange(40, dtype=np.float64)
    city = np.array(["p", "l", "b", "q"] * 10)
    frame = pd.DataFrame(
        {
            "x": x,
            "minus_x": -2.0 * x + 1.0,  # Pearson -1
            "city": city,
            "country": np.where(np.isin(city, ["p", "l"]), "fr", "de"),  # a function of city: Cramer's V 1
            "group": np.repeat(["u", "v"], 20),  # x = 0..19 vs 20..39
        }
    )
    kinds = {"x": "continuous", "minus_x": "continuous"}
    columns = [
        ColumnSummary("x", "numeric", "continuous", 40, 0, (0.0, 39.0), (40,)),
        ColumnSummary("minus_x", "numeric", "continuous", 40, 0, (-77.0, 1.0), (40,)),
        ColumnSummary("city", "categorical", "categorical", 40, 0, (), (10, 10, 10, 10), ("p", "l", "b", "q")),
        ColumnSummary("country", "categorical", "categorical", 40, 0, (), (20, 20), ("fr", "de")),
        ColumnSummary("group", "categorical", "categorical", 40, 0, (), (20, 20), ("u", "v")),
    ]
    matrix = association_matrix(frame, columns)
    assert matrix[0, 1] == pytest.approx(-1.0) and matrix[2, 3] == pytest.approx(1.0)
    # eta^2 of x by group: between = 40 * 10^2 = 4000, total = 40 * (40^2 - 1) / 12 = 5330
    assert matrix[0, 4] == pytest.approx(math.sqrt(4000 / 5330))
    # city x group: each city 5 times in each group, independent -> V = 0
    assert matrix[2, 4] == pytest.approx(0.0, abs=1e-12)
    assert np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 1.0)
    assert summarize_table(frame, kinds).association_columns == ("x", "minus_x", "city", "country", "group")


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, TabularGAN]:
    frame = make_mixed_frame()
    frame["user"] = [f"id-{index:05d}-x" for index in range(len(frame))]  # 400 distinct values
    # the ID-like column is on purpose: fit notes it as one (IdentifierColumnWarning)
    with pytest.warns(IdentifierColumnWarning, match="column 'user' has 400 distinct values"):
        model = TabularGAN(verbose=False, fixed_combinations=[("city", "country")], **TINY).fit(frame, epochs=1)
    return model.save(tmp_path_factory.mktemp("summary") / "model"), frame, model


def test_save_writes_a_row_free_summary(saved: tuple[Path, pd.DataFrame, TabularGAN]) -> None:
    directory, frame, model = saved
    text = (directory / "real_summary.json").read_text()
    assert not any(value in text for value in frame["user"])  # no value of the ID-like column
    x = frame["x"].dropna()
    inner = x[(x > x.min()) & (x < x.max())]  # the range ends are histogram edges (model.json holds them too)
    assert not any(repr(value) in text for value in inner)
    assert len(text) < 20_000
    state = json.loads(text)
    assert [column["name"] for column in state["columns"]] == list(frame.columns)
    user = next(column for column in state["columns"] if column["name"] == "user")
    assert user["categories"] == [] and user["other_count"] == 400
    color = next(column for column in state["columns"] if column["name"] == "color")
    expected = frame["color"].value_counts()
    assert color["categories"] == list(expected.index) and color["counts"] == expected.tolist()
    assert color["missing_count"] == int(frame["color"].isna().sum())
    when = next(column for column in state["columns"] if column["name"] == "when")
    assert when["kind"] == "numeric" and sum(when["counts"]) == len(frame)
    loaded = TabularGAN.load(directory)
    assert loaded.real_summary is not None and loaded.real_summary.state() == model.real_summary.state()


def test_load_without_a_summary(saved: tuple[Path, pd.DataFrame, TabularGAN], tmp_path: Path) -> None:
    directory, _, model = saved
    old = tmp_path / "old"
    old.mkdir()
    for name in ("generator.safetensors", "model.json"):
        (old / name).write_bytes((directory / name).read_bytes())
    loaded = TabularGAN.load(old)
    assert loaded.real_summary is None
    pd.testing.assert_frame_equal(loaded.sample(100, seed=2), model.sample(100, seed=2))
    loaded.save(old)  # re-saving a model without a summary writes none
    assert not (old / "real_summary.json").exists()


def test_summary_round_trips_through_json() -> None:
    frame = make_mixed_frame()
    summary = summarize_table(frame, {"x": "continuous", "age": "integer", "when": "datetime"})
    back = TableSummary.from_state(json.loads(json.dumps(summary.state())))
    assert back.state() == summary.state()
    assert back.association.shape == (len(back.association_columns),) * 2
