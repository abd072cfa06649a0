"""Checks of the tables ``TabularGAN.fit`` and ``evaluate`` read: one-line errors for what they cannot use.

* Column names: text, unique, one level (``pd.DataFrame(ndarray)`` names columns 0, 1, ..., which fit, sample,
  conditions and the saved model could not agree on).
* Cells: single values, not lists, dicts, sets, tuples or arrays.
* Numbers: finite and at most :data:`MAX_MAGNITUDE` in size; ``inf`` or ``1e300`` broke the standardization of
  its column (empty generated values) and the scores.
* Identifier-like columns (a note, not an error): a text column with a distinct value in (nearly) every row is
  modelled as a category, so synthetic rows copy its real values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from polemos.errors import PolemosError

__all__ = [
    "IDENTIFIER_DISTINCT_SHARE",
    "IDENTIFIER_MIN_ROWS",
    "MAX_MAGNITUDE",
    "check_cells",
    "check_column_names",
    "check_finite",
    "identifier_columns",
    "identifier_note",
]

# a column looks like an identifier when its distinct values are at least this share of its non-missing values ...
IDENTIFIER_DISTINCT_SHARE = 0.9
# ... and it has at least this many non-missing values (a few rows are distinct by chance)
IDENTIFIER_MIN_ROWS = 50
_CONTAINERS = (list, dict, set, frozenset, tuple, np.ndarray)
# above this size a number's square overflows float64 (1.3e154) in the standardization and the scores: every
# generated value of its column came out NaN
MAX_MAGNITUDE = 1e150


def _of(role: str | None) -> str:
    """`` of the synthetic table`` for error messages naming which of several tables is wrong."""
    return f" of the {role} table" if role else ""


def _shown(names: Sequence[object]) -> str:
    """The first few names, for a message."""
    return ", ".join(repr(name) for name in names[:3]) + (", ..." if len(names) > 3 else "")


def check_column_names(frame: pd.DataFrame, role: str | None = None, text: bool = True) -> None:
    """Fails with one line unless the column names are single-level, unique and (with ``text``) text.

    Args:
        frame: The table.
        role: Which table it is (``"synthetic"``), named in the message; ``None`` for the only one.
        text: Require text names (a model saves them; scoring two tables only matches them).

    Raises:
        PolemosError: For multi-level, non-text or duplicate column names.
    """
    table = f"the {role} table" if role else "the table"
    if isinstance(frame.columns, pd.MultiIndex):
        raise PolemosError(
            f"{table} has multi-level column names ({_shown(list(frame.columns))}); flatten them to text, e.g. "
            "frame.columns = ['_'.join(map(str, name)) for name in frame.columns]"
        )
    not_text = [name for name in frame.columns if not isinstance(name, str)] if text else []
    if not_text:
        raise PolemosError(
            f"column names must be text; got {_shown(not_text)}: set frame.columns = [...] to text names "
            "(e.g. frame.columns = frame.columns.astype(str))"
        )
    duplicated = list(dict.fromkeys(frame.columns[frame.columns.duplicated()]))
    if duplicated:
        raise PolemosError(
            f"{table} has duplicate column name(s) {_shown(duplicated)}; rename the columns so each is unique"
        )


def check_cells(frame: pd.DataFrame, role: str | None = None) -> None:
    """Fails with one line when a column holds lists, dicts, sets, tuples or arrays instead of single values.

    Args:
        frame: The table (with unique column names).
        role: Which table it is (``"synthetic"``), named in the message; ``None`` for the only one.

    Raises:
        PolemosError: Naming the first such column, the kind of value and its first row.
    """
    for name in frame.columns:
        series = frame[name]
        if not ptypes.is_object_dtype(series.dtype):  # numbers, text, dates and categories hold single values
            continue
        containers = series.map(lambda value: isinstance(value, _CONTAINERS)).to_numpy(dtype=bool)
        if containers.any():
            position = int(np.argmax(containers))
            kind = type(series.iloc[position]).__name__
            raise PolemosError(
                f"column {name!r}{_of(role)} holds {kind} values (the first in data row {position + 1}), not single "
                "numbers or text; flatten it into one column per item, or drop it"
            )


def check_finite(frame: pd.DataFrame, role: str | None = None, columns: Iterable[object] | None = None) -> None:
    """Fails with one line when a numeric column holds ``inf``, ``-inf`` or a number beyond :data:`MAX_MAGNITUDE`.

    NaN is fine: it counts as missing.

    Args:
        frame: The table (with unique column names).
        role: Which table it is (``"real"``), named in the message; ``None`` for the only one.
        columns: The columns to check; ``None`` checks all.

    Raises:
        PolemosError: Naming the column and the first infinite (with their count) or oversized value's row.
    """
    for name in frame.columns if columns is None else columns:
        series = frame[name]
        if not ptypes.is_numeric_dtype(series.dtype) or ptypes.is_bool_dtype(series.dtype):
            continue
        values = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
        infinite = np.isinf(values)
        if infinite.any():
            count = int(infinite.sum())
            position = int(np.argmax(infinite))
            plural = "s" if count > 1 else ""
            raise PolemosError(
                f"column {name!r}{_of(role)} has {count} infinite value{plural} (the first, {values[position]}, in "
                f"data row {position + 1}); replace them with finite numbers or leave those cells empty (NaN counts "
                "as missing), or drop those rows"
            )
        with np.errstate(invalid="ignore"):
            huge = np.abs(values) > MAX_MAGNITUDE
        if huge.any():
            position = int(np.argmax(huge))
            raise PolemosError(
                f"column {name!r}{_of(role)} holds {values[position]:.3g} (data row {position + 1}), beyond "
                f"{MAX_MAGNITUDE:.0e} in size, where the column's statistics overflow; rescale the column (e.g. "
                "divide it by a power of ten) or drop such rows"
            )


def identifier_columns(frame: pd.DataFrame, columns: Iterable[str]) -> list[tuple[str, int, int]]:
    """The columns among ``columns`` that look like identifiers, free text or time stamps stored as text.

    A column qualifies when it has at least :data:`IDENTIFIER_MIN_ROWS` non-missing values and its distinct
    values are at least :data:`IDENTIFIER_DISTINCT_SHARE` of them: modelled as a category, such a column can only
    be generated by copying real values.

    Args:
        frame: The training table.
        columns: The columns modelled as categories (the ones a user did not declare discrete deliberately).

    Returns:
        ``(name, distinct values, non-missing values)`` of each such column, in the order of ``columns``.
    """
    found = []
    for name in columns:
        values = frame[name].dropna()
        if len(values) < IDENTIFIER_MIN_ROWS:
            continue
        distinct = int(values.nunique())
        if distinct >= IDENTIFIER_DISTINCT_SHARE * len(values):
            found.append((name, distinct, len(values)))
    return found


def identifier_note(found: Sequence[tuple[str, int, int]]) -> str:
    """One line naming the identifier-like columns of :func:`identifier_columns` and what to do about them."""
    if len(found) == 1:
        name, distinct, rows = found[0]
        subject = f"column {name!r} has {distinct} distinct values in {rows} rows (an identifier, free text or "
        subject += "time stamps as text?)"
        its, it = "its", "it"
    else:
        listed = ", ".join(f"{name!r} ({distinct} distinct values in {rows} rows)" for name, distinct, rows in found)
        subject = f"columns {listed} look like identifiers, free text or time stamps as text"
        its, it = "their", "them"
    return (
        f"{subject}: synthetic rows copy {its} real values; drop {it} before fitting, or list {it} in --discrete "
        f"(discrete_columns) to keep {it} deliberately"
    )
