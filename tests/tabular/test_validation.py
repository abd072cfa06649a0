from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from polemos.errors import PolemosError
from polemos.tabular.validation import (
    IDENTIFIER_MIN_ROWS,
    check_cells,
    check_column_names,
    check_finite,
    identifier_columns,
    identifier_note,
)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame(np.zeros((3, 2))), "column names must be text; got 0, 1: set frame.columns = [...]"),
        (
            pd.DataFrame(np.zeros((3, 2)), columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
            "the table has multi-level column names (('a', 'x'), ('a', 'y')); flatten them to text",
        ),
        (pd.DataFrame(np.zeros((3, 2)), columns=["a", "a"]), "duplicate column name(s) 'a'; rename the columns"),
    ],
)
def test_column_names_must_be_unique_single_level_text(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(PolemosError) as caught:
        check_column_names(frame)
    assert message in str(caught.value)


def test_text_column_names_pass() -> None:
    check_column_names(pd.DataFrame({"a": [1], "b": ["x"]}))


@pytest.mark.parametrize(("cell", "kind"), [([1, 2], "list"), ({"k": 1}, "dict"), (np.zeros(2), "ndarray")])
def test_cells_must_hold_single_values(cell: object, kind: str) -> None:
    frame = pd.DataFrame({"a": ["x", "y", "z"], "b": ["u", "v", "w"]}).astype(object)
    frame.at[1, "b"] = cell
    expected = rf"column 'b' of the real table holds {kind} values \(the first in data row 2\)"
    with pytest.raises(PolemosError, match=expected):
        check_cells(frame, "real")
    check_cells(frame.drop(columns=["b"]))


def test_infinite_numbers_are_named_with_count_and_first_row() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, np.nan, np.inf, -np.inf], "c": list("wxyz")})
    with pytest.raises(PolemosError) as caught:
        check_finite(frame)
    assert "column 'b' has 2 infinite values (the first, inf, in data row 3); replace them" in str(caught.value)
    assert "NaN counts as missing" in str(caught.value)
    with pytest.raises(PolemosError, match="column 'b' of the synthetic table has 2 infinite values"):
        check_finite(frame, "synthetic")
    check_finite(frame, columns=["a", "c"])  # only the columns asked for
    check_finite(frame.assign(b=[1.0, np.nan, 2.0, 3.0]))  # NaN is missing, not an error


def test_numbers_whose_squares_overflow_are_refused_before_they_empty_a_column() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, -1e300, 4.0], "b": [1e150, -1e150, np.nan, 0.0]})
    # fitted, such a column generated only NaN
    with pytest.raises(
        PolemosError, match=r"column 'a' holds -1e\+300 \(data row 3\), beyond 1e\+150 in size.*rescale"
    ):
        check_finite(frame)
    check_finite(frame, columns=["b"])  # up to 1e150 the statistics hold


def test_a_fit_on_a_column_of_huge_numbers_is_one_line() -> None:
    from polemos.tabular import TabularGAN

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "k": rng.choice(["a", "b"], 60)})
    frame.loc[3, "x"] = 1e300
    with pytest.raises(PolemosError, match="column 'x' holds 1e\\+300 \\(data row 4\\)"):
        TabularGAN(verbose=False).fit(frame, epochs=1)


def test_identifier_columns_need_distinct_values_in_nearly_every_row_of_enough_rows() -> None:
    n = IDENTIFIER_MIN_ROWS
    frame = pd.DataFrame(
        {
            "id": [f"ID{i}" for i in range(n)],
            "mostly": [f"v{i}" for i in range(n - 5)] + ["v0"] * 5,  # 90% distinct: still identifier-like
            "category": ["a", "b"] * (n // 2),
        }
    )
    assert identifier_columns(frame, ["id", "mostly", "category"]) == [("id", n, n), ("mostly", n - 5, n)]
    assert identifier_columns(frame.head(n - 1), ["id"]) == []  # too few rows to tell
    note = identifier_note([("id", 300, 300)])
    assert note.startswith("column 'id' has 300 distinct values in 300 rows (an identifier")
    assert "synthetic rows copy its real values; drop it before fitting, or list it in --discrete" in note
    assert "columns 'id' (3 distinct values in 3 rows), 'date' (3 distinct" in identifier_note(
        [("id", 3, 3), ("date", 3, 3)]
    )
