from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from polemos.errors import PolemosError
from polemos.tabular.evaluate import (
    column_pair_trends,
    column_shapes,
    distance_to_closest_record,
    evaluate,
    ml_efficacy,
)


def test_column_shapes_hand_computed() -> None:
    real = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "b", "b"]})
    same = column_shapes(real, real)
    assert same == {"v": 1.0, "c": 1.0}
    synthetic = pd.DataFrame({"v": [11.0, 12.0, 13.0, 14.0], "c": ["a", "a", "a", "b"]})
    scores = column_shapes(real, synthetic)
    assert scores["v"] == pytest.approx(0.0)  # disjoint supports: KS = 1
    assert scores["c"] == pytest.approx(0.75)  # TVD = (0.25 + 0.25) / 2
    half = pd.DataFrame({"v": [1.0, 2.0, 13.0, 14.0], "c": ["a", "a", "b", "b"]})
    assert column_shapes(real, half)["v"] == pytest.approx(0.5)  # KS = 0.5


def test_column_pair_trends_hand_computed() -> None:
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 4.0, 6.0, 8.0], "c": ["a", "a", "b", "b"]})
    anti = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [8.0, 6.0, 4.0, 2.0], "c": ["a", "a", "b", "b"]})
    scores = column_pair_trends(real, anti)
    assert scores["x / y"] == pytest.approx(0.0)  # r = 1 vs r = -1
    assert column_pair_trends(real, real)["x / c"] == pytest.approx(1.0)
    # x in bins {0, 3, 6, 9} (10 bins over [1, 4]); flipping c swaps the joint cells: TVD = 1
    flipped = real.assign(c=["b", "b", "a", "a"])
    assert column_pair_trends(real, flipped)["x / c"] == pytest.approx(0.0)


def test_ml_efficacy_on_a_separable_problem() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    frame = pd.DataFrame({"x": x, "noise": rng.normal(size=600), "y": np.where(x > 1.0, "rich", "poor")})
    scores = ml_efficacy(frame.iloc[:400], frame.iloc[400:], "y")
    assert scores["positive_label"] == "rich"  # the minority class
    assert scores["f1"] > 0.9 and scores["auc"] > 0.98
    one_class = frame.iloc[:400].assign(y="poor")
    assert ml_efficacy(one_class, frame.iloc[400:], "y")["f1"] == 0.0
    with pytest.raises(PolemosError, match="does not exist"):
        ml_efficacy(frame, frame, "nope")


def test_ml_efficacy_scores_synthetic_classes_the_test_set_lacks() -> None:
    # a binary test target and a synthetic "unknown" class raised sklearn's "Target is multiclass" ValueError
    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    frame = pd.DataFrame({"x": x, "y": np.where(x > 1.0, "rich", "poor")})
    unknown_only = frame.iloc[:400].assign(y="unknown")
    assert ml_efficacy(unknown_only, frame.iloc[400:], "y")["f1"] == 0.0
    mixed = frame.iloc[:400].copy()
    mixed.loc[mixed.index[:100], "y"] = "unknown"
    scores = ml_efficacy(mixed, frame.iloc[400:], "y")
    assert 0.0 <= scores["f1"] <= 1.0 and scores["classes"] == ["poor", "rich"]
    # a one-class test set is named as such ("in the real data" blamed REAL when the holdout had one class)
    with pytest.raises(PolemosError, match="single class in the real rows the classifier is tested on"):
        ml_efficacy(frame.iloc[:400], frame.iloc[400:].assign(y="poor"), "y")


def test_dcr_detects_copies() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=800), "c": rng.choice(list("abcd"), 800)})
    train, holdout = frame.iloc[:400], frame.iloc[400:]
    copied = distance_to_closest_record(train, train, holdout)
    assert copied["share_closer_to_train"] == pytest.approx(1.0)
    assert copied["exact_copy_share"] == pytest.approx(1.0)
    assert copied["median_dcr_synthetic_to_train"] == 0.0
    unseen = distance_to_closest_record(train, holdout, holdout)
    assert unseen["share_closer_to_train"] == pytest.approx(0.0)
    # fresh draws from the same population: close to one half
    fresh = pd.DataFrame({"x": rng.normal(size=400), "c": rng.choice(list("abcd"), 400)})
    assert 0.35 < distance_to_closest_record(train, fresh, holdout)["share_closer_to_train"] < 0.65


def test_evaluate_collects_everything() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=300),
            "flag": rng.random(300) < 0.5,
            "when": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 30, 300), unit="D"),
        }
    )
    frame["y"] = np.where(frame["x"] > 0, "pos", "neg")
    result = evaluate(frame, frame, target="y", use_sdmetrics=False)
    assert result["quality"] == pytest.approx(1.0)
    assert result["ml_efficacy"]["auc"] > 0.99
    assert set(result["privacy"]) >= {"median_dcr_synthetic_to_train", "exact_copy_share"}
    with pytest.raises(PolemosError, match="lacks column"):
        evaluate(frame, frame.drop(columns=["x"]))


def _small_table(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {"age": rng.integers(18, 80, rows), "income": rng.normal(size=rows), "label": rng.choice(["a", "b"], rows)}
    )


def test_evaluate_refuses_a_numeric_target_unless_declared_discrete() -> None:
    frame = _small_table()
    with pytest.raises(PolemosError, match="target column 'income' is numeric; .* choose a categorical --target"):
        evaluate(frame, frame, target="income", use_sdmetrics=False)
    # declared discrete, its values are classes
    frame["level"] = frame["age"] % 2
    result = evaluate(frame, frame, target="level", discrete_columns=["level"], use_sdmetrics=False)
    assert result["ml_efficacy"]["classes"] == ["0", "1"]
    # a continuous column declared discrete has a class per row: refused, not scored F1 0 / AUC nan
    with pytest.raises(PolemosError, match="target column 'income' has 60 distinct values in 60 rows"):
        evaluate(frame, frame, target="income", discrete_columns=["income"], use_sdmetrics=False)


def test_evaluate_names_text_in_a_numeric_synthetic_column() -> None:
    real = _small_table()
    synthetic = real.astype({"age": object})
    synthetic.loc[2, "age"] = "old"
    with pytest.raises(
        PolemosError,
        match=r"column 'age' of the synthetic table .* 1 non-numeric value\(s\), the first 'old' in data row 3",
    ):
        evaluate(real, synthetic, use_sdmetrics=False)


def test_evaluate_checks_the_holdout_columns() -> None:
    real = _small_table()
    with pytest.raises(PolemosError, match=r"the holdout table lacks column\(s\) \['label'\]"):
        evaluate(real, real, holdout=real.drop(columns=["label"]), use_sdmetrics=False)


@pytest.mark.parametrize("role", ["real", "synthetic", "holdout"])
def test_evaluate_refuses_infinite_values_in_any_table(role: str) -> None:
    # inf in the real table gave quality nan (exit code 0), in the synthetic one a scikit-learn ValueError
    rng = np.random.default_rng(0)
    tables = {
        name: pd.DataFrame({"v": rng.normal(size=40), "c": rng.choice(["a", "b"], 40)})
        for name in ("real", "synthetic", "holdout")
    }
    tables[role].loc[5, "v"] = -np.inf
    with pytest.raises(PolemosError) as caught:
        evaluate(tables["real"], tables["synthetic"], holdout=tables["holdout"], use_sdmetrics=False)
    assert f"column 'v' of the {role} table has 1 infinite value (the first, -inf, in data row 6)" in str(caught.value)
    if role != "holdout":  # the score functions check their tables too
        with pytest.raises(PolemosError, match=f"of the {role} table has 1 infinite value"):
            column_shapes(tables["real"], tables["synthetic"])


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["x", "x", "y"], "the real table has duplicate column name(s) 'x'; rename the columns"),  # AttributeError
        (pd.MultiIndex.from_tuples([("a", "b"), ("a", "c"), ("d", "e")]), "the real table has multi-level column"),
    ],
)
def test_column_names_that_cannot_be_matched_are_one_line(columns, message) -> None:
    rng = np.random.default_rng(0)
    real = pd.DataFrame(rng.normal(size=(50, 3)), columns=columns)
    # multi-level names scored a quality of 1.0 for unrelated tables
    with pytest.raises(PolemosError, match=re.escape(message)):
        evaluate(real, pd.DataFrame(rng.normal(size=(50, 3)), columns=columns))
    assert evaluate(pd.DataFrame(real.to_numpy()), pd.DataFrame(real.to_numpy()))["quality"] > 0.9  # 0, 1, 2 work
