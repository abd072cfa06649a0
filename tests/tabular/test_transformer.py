from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from polemos.errors import PolemosError
from polemos.tabular.layout import ColumnSpan, cond_spans
from polemos.tabular.transformer import Bounds, TableTransformer


def test_layout_is_declared_per_column(mixed_frame: pd.DataFrame) -> None:
    transformer = TableTransformer(fixed_combinations=[["city", "country"]]).fit(mixed_frame, None)
    kinds = {model.name: model.kind for model in transformer.models}
    assert kinds == {
        "x": "continuous",
        "age": "integer",
        "color": "categorical",
        "flag": "boolean",
        "when": "datetime",
        "const": "constant",
        "city|country": "combination",
    }
    spans = {(span.column, span.kind): span for span in transformer.layout}
    # 3 colours + a missing slot; booleans 2 slots; 3 observed (city, country) pairs; constant: nothing
    assert spans[("color", "category")].width == 4
    assert spans[("flag", "category")].width == 2
    assert spans[("city|country", "category")].width == 3
    assert not any(span.column == "const" for span in transformer.layout)
    # the continuous column with missing values has one extra mode slot
    x_model = transformer.model("x")
    assert spans[("x", "mode")].width == x_model.n_modes + 1
    assert spans[("x", "scalar")] == ColumnSpan("x", "scalar", 0, 1, "tanh")
    # spans tile the encoded matrix without gaps
    position = 0
    for span in transformer.layout:
        assert span.start == position
        position = span.end
    assert position == transformer.width
    assert [span.column for span in cond_spans(transformer.layout)] == ["color", "flag", "city|country"]


def test_round_trip_keeps_values_dtypes_and_missing(mixed_frame: pd.DataFrame) -> None:
    transformer = TableTransformer().fit(mixed_frame, None)
    encoded = transformer.transform(mixed_frame)
    assert encoded.dtype == np.float32
    # every one-hot block has exactly one 1 per row
    for span in transformer.layout:
        if span.activation == "softmax":
            np.testing.assert_array_equal(encoded[:, span.start : span.end].sum(axis=1), 1.0)
    decoded = transformer.inverse_transform(encoded)
    assert list(decoded.columns) == list(mixed_frame.columns)
    assert decoded.dtypes.equals(mixed_frame.dtypes)
    for name in ["age", "color", "flag", "when", "const", "city", "country"]:
        pd.testing.assert_series_equal(decoded[name], mixed_frame[name], check_names=False)
    np.testing.assert_array_equal(decoded["x"].isna(), mixed_frame["x"].isna())
    np.testing.assert_allclose(decoded["x"].dropna(), mixed_frame["x"].dropna(), rtol=0, atol=1e-4)


def test_mixture_finds_two_separated_modes() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(-5, 0.1, 500), rng.normal(5, 0.1, 500)])
    frame = pd.DataFrame({"v": values})
    transformer = TableTransformer().fit(frame, None)
    model = transformer.model("v")
    assert model.n_modes == 2
    # means in original units at -5 and +5, equal weights
    np.testing.assert_allclose(np.asarray(model.mode_means) * model.std + model.mean, [-5, 5], atol=0.05)
    np.testing.assert_allclose(model.mode_weights, [0.5, 0.5], atol=0.02)
    encoded = transformer.transform(frame)
    modes = encoded[:, 1:3].argmax(axis=1)
    np.testing.assert_array_equal(modes, (values > 0).astype(int))


def test_high_cardinality_is_capped_and_stays_observed() -> None:
    rng = np.random.default_rng(2)
    categories = np.array([f"id{i}" for i in range(10_000)])
    frame = pd.DataFrame({"id": rng.choice(categories, 20_000)})
    transformer = TableTransformer(max_categories=50).fit(frame, None)
    assert transformer.width == 51  # 50 most frequent + "other"
    encoded = transformer.transform(frame)
    decoded = transformer.inverse_transform(encoded, seed=3)
    assert set(decoded["id"]) <= set(frame["id"])
    assert decoded["id"].nunique() > 1000  # the "other" slot draws from the whole tail


def test_bounds_clip_and_round() -> None:
    frame = pd.DataFrame({"v": np.linspace(0.0, 10.0, 101)})
    transformer = TableTransformer(bounds={"v": Bounds(min=2.5, max=7.5, integer=True)}).fit(frame, None)
    encoded = np.zeros((3, transformer.width), dtype=np.float32)
    encoded[:, 1] = 1.0  # first mode
    encoded[:, 0] = [-1.0, 0.0, 1.0]
    decoded = transformer.inverse_transform(encoded)["v"]
    assert decoded.between(3.0, 7.0).all()
    np.testing.assert_array_equal(decoded, np.round(decoded))


def test_state_round_trip(mixed_frame: pd.DataFrame) -> None:
    import json

    transformer = TableTransformer(fixed_combinations=[["city", "country"]]).fit(mixed_frame, None)
    restored = TableTransformer.from_state(json.loads(json.dumps(transformer.state())))
    assert restored.layout == transformer.layout
    encoded = transformer.transform(mixed_frame)
    pd.testing.assert_frame_equal(restored.inverse_transform(encoded), transformer.inverse_transform(encoded))


@pytest.mark.parametrize(
    ("frame", "discrete", "message"),
    [
        (pd.DataFrame(), None, "empty"),
        (pd.DataFrame({"a": [1.0, 2.0]}).iloc[:0], None, "empty"),
        (pd.DataFrame({"a": [1, 2], "b": [None, None]}), None, "only missing"),
        (pd.DataFrame({"a": [1, 2]}), ["nope"], "does not exist"),
        (pd.DataFrame({"a": pd.Series([1, "x", 2.5], dtype=object)}), None, "mixes numbers and text"),
        (pd.DataFrame({"a": ["1", "2", "3", "oops"]}), None, "mixes numbers and text"),
    ],
)
def test_bad_input_raises_one_line_error(frame: pd.DataFrame, discrete: list[str] | None, message: str) -> None:
    with pytest.raises(PolemosError, match=message) as error:
        TableTransformer().fit(frame, discrete)
    assert "\n" not in str(error.value)


def test_declared_discrete_accepts_a_mixed_column() -> None:
    frame = pd.DataFrame({"a": ["1", "2", "3", "3+"]})
    transformer = TableTransformer().fit(frame, ["a"])
    assert transformer.model("a").kind == "categorical"


def test_quantile_map_hand_computed() -> None:
    from polemos.tabular.transformer import quantile_map

    mapped = quantile_map(np.array([0.5, 1.5, -1.0, 3.0]), np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0, 20.0]))
    np.testing.assert_allclose(mapped, [5.0, 15.0, 0.0, 20.0])
    # a spike: source quantiles 0, 0, 0, 1, 2 at levels 0, .25, .5, .75, 1; the value 0 takes level .25
    source = np.array([0.0, 0.0, 0.0, 1.0, 2.0])
    target = np.array([0.0, 4.0, 8.0, 12.0, 16.0])
    np.testing.assert_allclose(quantile_map(np.array([0.0, 1.5]), source, target), [4.0, 14.0])
