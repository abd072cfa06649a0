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


def _decimal_frame(rows: int = 500) -> pd.DataFrame:
    """``hours`` with 1 decimal and ``gain`` with 2, parsed from text as a CSV gives them; ``noise`` continuous."""
    rng = np.random.default_rng(4)
    return pd.DataFrame(
        {
            "hours": [float(f"{value:.1f}") for value in rng.uniform(1.0, 99.0, rows)],
            "gain": [float(f"{value:.2f}") for value in rng.exponential(3_000.0, rows)],
            "noise": rng.normal(0.0, 1.0, rows),
            "age": rng.integers(18, 91, rows),
        }
    )


def _decode_random(transformer: TableTransformer, name: str, rows: int = 2_000) -> np.ndarray:
    """Decoded values of column ``name`` from random scalars and modes (as an untrained generator gives)."""
    rng = np.random.default_rng(5)
    model = transformer.model(name)
    scalar, modes = rng.uniform(-1.0, 1.0, rows), rng.integers(0, model.n_modes, rows)
    return transformer.decode_numeric(model, scalar, modes).to_numpy()


def test_decimal_columns_are_decoded_with_the_decimals_of_the_real_values() -> None:
    # synthetic hours printed as 48.20305906484113 although the real ones have one decimal
    transformer = TableTransformer().fit(_decimal_frame(), None)
    assert {name: transformer.model(name).decimals for name in ["hours", "gain", "noise", "age"]} == {
        "hours": 1,
        "gain": 2,
        "noise": None,
        "age": 0,
    }
    for name, decimals in [("hours", 1), ("gain", 2)]:
        values = _decode_random(transformer, name)
        written = [repr(float(value)).split(".")[1] for value in values]  # what a CSV shows after the point
        assert max(len(digits) for digits in written) == decimals
    assert max(len(repr(float(value))) for value in _decode_random(transformer, "noise")) > 10  # full precision kept


@pytest.mark.parametrize(
    ("values", "decimals"),
    [
        ([0.1 + 0.2, 1.25, -3.5], 2),  # float noise of arithmetic does not add decimals
        ([2.0, -7.0, 0.0], 0),
        ([0.000001, 12.5], 6),
        ([0.0000001, 12.5], None),  # more decimals than MAX_DECIMALS: continuous
        ([1 / 3, 2.5], None),
        ([1e300, 2.5], 1),  # huge values do not overflow the check
    ],
)
def test_count_decimals(values: list[float], decimals: int | None) -> None:
    from polemos.tabular.transformer import _count_decimals

    assert _count_decimals(np.asarray(values)) == decimals


def test_bounds_on_a_decimal_column_hold_after_rounding() -> None:
    frame = _decimal_frame()
    transformer = TableTransformer(bounds={"gain": Bounds(min=2.555, max=3_000.001)}).fit(frame, None)
    model = transformer.model("gain")
    assert (model.lower, model.upper) == (2.56, 3_000.0)  # the ends moved onto the 2-decimal grid
    values = _decode_random(transformer, "gain")
    assert ((values >= 2.56) & (values <= 3_000.0)).all()
    np.testing.assert_array_equal(values, np.round(values, 2))
    with pytest.raises(PolemosError, match="the bounds of column 'gain' hold no value with 2 decimals; widen"):
        TableTransformer(bounds={"gain": Bounds(min=10.001, max=10.009)}).fit(frame, None)
    with pytest.raises(PolemosError, match="the bounds of column 'age' hold no whole number; widen min/max"):
        TableTransformer(bounds={"age": Bounds(min=20.2, max=20.8)}).fit(frame, None)


def test_a_state_saved_before_decimals_existed_decodes_as_before() -> None:
    import json

    transformer = TableTransformer().fit(_decimal_frame(), None)
    state = json.loads(json.dumps(transformer.state()))
    for model in state["models"]:  # an older model: no decimals field, and decimal columns were not rounded
        model.pop("decimals")
        if model["kind"] == "continuous":
            model["round_to"] = None
    restored = TableTransformer.from_state(state)
    assert restored.model("hours").decimals is None
    hours = _decode_random(restored, "hours")
    assert not np.array_equal(hours, np.round(hours, 1))  # full precision, as that model was fitted
    np.testing.assert_array_equal(_decode_random(restored, "age"), _decode_random(transformer, "age"))
