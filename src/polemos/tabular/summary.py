"""Compact, row-free statistics of a training table, saved as ``real_summary.json`` next to a TabularGAN.

The HTML report compares the synthetic table with these statistics, so a saved model can be judged without
the real table. Nothing here stores a row: numeric columns keep a histogram (``HISTOGRAM_BINS`` bins over the
observed range, which ``model.json`` already holds) and a missing rate; categorical columns keep the counts of
their most frequent categories that at least ``MIN_CATEGORY_COUNT`` rows share (rarer ones, e.g. every value
of an ID column, only count towards "other"); and one matrix of pairwise associations.

Associations (:func:`association_matrix`, the same function for the real and the synthetic table, so their
difference is meaningful): Pearson correlation between two numeric columns (in [-1, 1]), the correlation ratio
``eta = sqrt(sum_g n_g (mean_g - mean)^2 / sum_i (x_i - mean)^2)`` between a numeric and a categorical column,
and Cramér's V ``sqrt(chi2 / n / (min(r, c) - 1))`` between two categorical columns (both in [0, 1]).
Categorical columns are coded by the summary's kept categories plus "other" and "missing" codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ColumnSummary", "TableSummary", "association_matrix", "numeric_values", "summarize_table"]

SUMMARY_FORMAT_VERSION = 1
SUMMARY_FILE = "real_summary.json"
HISTOGRAM_BINS = 30  # bins of a numeric column's histogram (integers with a narrower range: one bin per value)
MAX_CATEGORIES = 30  # categories kept per categorical column
MIN_CATEGORY_COUNT = 10  # a category shared by fewer rows is only counted in "other" (no rare values leak)
MAX_ASSOCIATION_COLUMNS = 30  # columns of the association matrix (the first ones of the table)
MAX_ASSOCIATION_ROWS = 20_000  # rows (a seeded random subset) used for the associations
NUMERIC_SOURCE_KINDS = ("continuous", "integer", "datetime")


@dataclass(frozen=True)
class ColumnSummary:
    """Statistics of one source column.

    Attributes:
        name: Column name.
        kind: ``"numeric"`` or ``"categorical"``.
        source_kind: The transformer's kind (``continuous``, ``integer``, ``datetime``, ``categorical``,
            ``boolean``, ``constant``, ``combination``).
        rows: Rows of the table.
        missing_count: Rows where the column is missing.
        edges: Numeric: ``len(counts) + 1`` bin edges in float units (datetimes: nanoseconds since the epoch).
        counts: Numeric: rows per bin; categorical: rows per kept category.
        categories: Categorical: the kept categories as text (``str(value)``), most frequent first.
        other_count: Categorical: non-missing rows of the categories not kept.
    """

    name: str
    kind: str
    source_kind: str
    rows: int
    missing_count: int
    edges: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    other_count: int = 0

    @property
    def missing_rate(self) -> float:
        """Share of rows where the column is missing."""
        return self.missing_count / self.rows if self.rows else 0.0

    def state(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "kind": self.kind,
            "source_kind": self.source_kind,
            "rows": self.rows,
            "missing_count": self.missing_count,
            "edges": list(self.edges),
            "counts": list(self.counts),
            "categories": list(self.categories),
            "other_count": self.other_count,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ColumnSummary:
        """Inverse of :meth:`state`."""
        return cls(
            name=str(state["name"]),
            kind=str(state["kind"]),
            source_kind=str(state.get("source_kind", state["kind"])),
            rows=int(state["rows"]),
            missing_count=int(state.get("missing_count", 0)),
            edges=tuple(float(edge) for edge in state.get("edges", ())),
            counts=tuple(int(count) for count in state.get("counts", ())),
            categories=tuple(str(category) for category in state.get("categories", ())),
            other_count=int(state.get("other_count", 0)),
        )


@dataclass(frozen=True)
class TableSummary:
    """Row-free statistics of a training table.

    Attributes:
        rows: Rows of the table.
        columns: One summary per source column, in table order.
        association_columns: Names of the rows/columns of ``association`` (the first
            ``MAX_ASSOCIATION_COLUMNS`` columns that vary).
        association: Square matrix of pairwise associations (see the module docstring); NaN where undefined.
    """

    rows: int
    columns: tuple[ColumnSummary, ...]
    association_columns: tuple[str, ...]
    association: np.ndarray

    def column(self, name: str) -> ColumnSummary | None:
        """The summary of column ``name``, or None."""
        return next((column for column in self.columns if column.name == name), None)

    def state(self) -> dict[str, Any]:
        """JSON-ready fields (NaN associations as ``None``)."""
        return {
            "format_version": SUMMARY_FORMAT_VERSION,
            "rows": self.rows,
            "columns": [column.state() for column in self.columns],
            "association_columns": list(self.association_columns),
            "association": [[None if np.isnan(value) else float(value) for value in row] for row in self.association],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> TableSummary:
        """Inverse of :meth:`state`."""
        names = tuple(str(name) for name in state.get("association_columns", ()))
        matrix = np.array(
            [[np.nan if value is None else float(value) for value in row] for row in state.get("association", ())],
            dtype=np.float64,
        ).reshape(len(names), len(names))
        return cls(
            rows=int(state["rows"]),
            columns=tuple(ColumnSummary.from_state(column) for column in state["columns"]),
            association_columns=names,
            association=matrix,
        )


def numeric_values(series: pd.Series, source_kind: str) -> np.ndarray:
    """A numeric or datetime column as float64 (datetimes: nanoseconds since the epoch, UTC), NaN where missing."""
    if source_kind == "datetime":
        values = pd.to_datetime(series, errors="coerce")
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        as_ns = values.astype("datetime64[ns]").to_numpy().astype("int64").astype(np.float64)
        as_ns[values.isna().to_numpy()] = np.nan
        return as_ns
    return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def category_text(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(text of each non-missing value, missing mask): categories are compared as ``str(value)``."""
    missing = series.isna().to_numpy()
    text = series[~missing].astype(object).map(str).to_numpy(dtype=object)
    return text, missing


def histogram_edges(observed: np.ndarray, source_kind: str) -> np.ndarray:
    """Bin edges over the observed range: one bin per value for integers spanning fewer than the bin count."""
    low, high = float(observed.min()), float(observed.max())
    if source_kind == "integer" and high - low + 1 <= HISTOGRAM_BINS:
        return np.arange(low - 0.5, high + 1.0, 1.0)
    if high == low:
        return np.array([low - 0.5, high + 0.5])
    return np.linspace(low, high, HISTOGRAM_BINS + 1)


def summarize_column(series: pd.Series, name: str, source_kind: str) -> ColumnSummary:
    """Histogram (numeric) or frequent-category counts (categorical) of one column."""
    rows = len(series)
    if source_kind in NUMERIC_SOURCE_KINDS:
        values = numeric_values(series, source_kind)
        finite = np.isfinite(values)
        observed = values[finite]
        if observed.size == 0:
            return ColumnSummary(name, "numeric", source_kind, rows, int((~finite).sum()))
        edges = histogram_edges(observed, source_kind)
        counts, _ = np.histogram(observed, bins=edges)
        return ColumnSummary(
            name, "numeric", source_kind, rows, int((~finite).sum()), tuple(edges.tolist()), tuple(counts.tolist())
        )
    text, missing = category_text(series)
    counts = pd.Series(text, dtype=object).value_counts()
    # most frequent first, ties by text (deterministic); categories shared by few rows stay in "other"
    ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
    kept = [(str(value), int(count)) for value, count in ordered if count >= MIN_CATEGORY_COUNT][:MAX_CATEGORIES]
    kept_total = sum(count for _, count in kept)
    return ColumnSummary(
        name=name,
        kind="categorical",
        source_kind=source_kind,
        rows=rows,
        missing_count=int(missing.sum()),
        counts=tuple(count for _, count in kept),
        categories=tuple(value for value, _ in kept),
        other_count=int(len(text) - kept_total),
    )


def _column_codes(series: pd.Series, column: ColumnSummary) -> np.ndarray:
    """Numeric: float values (NaN missing); categorical: int codes (kept categories, then other, then missing)."""
    if column.kind == "numeric":
        return numeric_values(series, column.source_kind)
    index = {category: code for code, category in enumerate(column.categories)}
    other, missing_code = len(column.categories), len(column.categories) + 1
    codes = np.full(len(series), missing_code, dtype=np.int64)
    text, missing = category_text(series)
    codes[~missing] = np.fromiter((index.get(value, other) for value in text), dtype=np.int64, count=len(text))
    return codes


def _pearson(first: np.ndarray, second: np.ndarray) -> float:
    both = np.isfinite(first) & np.isfinite(second)
    if both.sum() < 3:
        return float("nan")
    x, y = first[both] - first[both].mean(), second[both] - second[both].mean()
    denominator = float(np.sqrt(np.sum(x * x) * np.sum(y * y)))
    return float(np.sum(x * y) / denominator) if denominator > 0 else float("nan")


def _correlation_ratio(values: np.ndarray, codes: np.ndarray) -> float:
    """eta = sqrt(between-group sum of squares / total sum of squares) of ``values`` grouped by ``codes``."""
    finite = np.isfinite(values)
    x, groups = values[finite], codes[finite]
    if x.size < 3:
        return float("nan")
    total = float(np.sum((x - x.mean()) ** 2))
    if total <= 0:
        return float("nan")
    sizes = np.bincount(groups)
    sums = np.bincount(groups, weights=x)
    present = sizes > 0
    group_means = sums[present] / sizes[present]
    between = float(np.sum(sizes[present] * (group_means - x.mean()) ** 2))
    return float(np.sqrt(min(between / total, 1.0)))


def _cramers_v(first: np.ndarray, second: np.ndarray) -> float:
    """Cramér's V of two code arrays (no bias correction), over the categories present in both."""
    width = int(second.max()) + 1
    table = np.bincount(first * width + second, minlength=(int(first.max()) + 1) * width).reshape(-1, width)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0].astype(np.float64)
    smaller = min(table.shape) - 1
    if smaller <= 0:
        return float("nan")
    total = table.sum()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / total
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    return float(np.sqrt(min(chi2 / total / smaller, 1.0)))


def association_matrix(
    frame: pd.DataFrame,  # the table (real or synthetic) with the summarised columns
    columns: Sequence[ColumnSummary],  # summaries giving each column's kind and kept categories
    max_rows: int = MAX_ASSOCIATION_ROWS,  # rows used at most (a random subset beyond)
    seed: int = 0,  # seed of the subset
) -> np.ndarray:
    """Pairwise associations (Pearson, correlation ratio or Cramér's V, see the module docstring); diagonal 1."""
    if len(frame) > max_rows:
        picked = np.sort(np.random.default_rng(seed).choice(len(frame), size=max_rows, replace=False))
        frame = frame.iloc[picked]
    codes = [_column_codes(frame[column.name], column) for column in columns]
    count = len(columns)
    matrix = np.eye(count)
    for row in range(count):
        for col in range(row + 1, count):
            kinds = (columns[row].kind, columns[col].kind)
            if kinds == ("numeric", "numeric"):
                value = _pearson(codes[row], codes[col])
            elif kinds == ("numeric", "categorical"):
                value = _correlation_ratio(codes[row], codes[col])
            elif kinds == ("categorical", "numeric"):
                value = _correlation_ratio(codes[col], codes[row])
            else:
                value = _cramers_v(codes[row], codes[col])
            matrix[row, col] = matrix[col, row] = value
    return matrix


def summarize_table(
    frame: pd.DataFrame,  # the training table
    source_kinds: Mapping[str, str],  # column name -> the transformer's kind (see ColumnSummary.source_kind)
    seed: int = 0,  # seed of the row subset used for the associations
) -> TableSummary:
    """Row-free statistics of ``frame``: per-column histograms or category counts and the association matrix."""
    frame = frame.set_axis([str(name) for name in frame.columns], axis=1)
    columns = tuple(
        summarize_column(frame[name], name, source_kinds.get(name, "categorical")) for name in frame.columns
    )
    varying = [
        column
        for column in columns
        if (column.kind == "numeric" and len(column.counts) > 1)
        or (column.kind == "categorical" and len(column.categories) + (column.other_count > 0) > 1)
    ][:MAX_ASSOCIATION_COLUMNS]
    return TableSummary(
        rows=len(frame),
        columns=columns,
        association_columns=tuple(column.name for column in varying),
        association=association_matrix(frame, varying, seed=seed),
    )
