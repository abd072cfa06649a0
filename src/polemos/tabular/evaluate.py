"""Scores of a synthetic table against the real one: shapes, pair trends, ML efficacy and a privacy check.

* Column shapes: ``1 - KS`` statistic for numeric (and datetime) columns, ``1 - TVD`` of category frequencies
  for the others (missing values are left out, as in SDMetrics' KSComplement / TVComplement).
* Column pair trends: ``1 - |r_real - r_synthetic| / 2`` (Pearson) for two numeric columns, ``1 - TVD`` of the
  joint frequencies otherwise (numeric columns cut into 10 equal-width bins over the real range).
* Quality: the mean of the two averages above.
* ML efficacy (train on synthetic, test on real): scikit-learn ``HistGradientBoostingClassifier``; F1 of the
  minority class of the real test set and ROC AUC (macro F1 and one-vs-rest AUC for more than two classes).
* Privacy, distance to closest record (DCR): the share of synthetic rows closer to a training row than to a
  holdout row, with equal-size training and holdout samples: about 0.5 when the generator does not copy its
  training rows, near 1.0 when it memorizes them. Distances are mean absolute differences over columns,
  numeric columns divided by the real range, categories counted 0 (same) or 1 (different).
* The official SDMetrics ``QualityReport`` is added when ``sdmetrics`` is installed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from polemos.errors import PolemosError
from polemos.tabular.validation import check_column_names, check_finite

__all__ = [
    "column_pair_trends",
    "column_shapes",
    "distance_to_closest_record",
    "evaluate",
    "ml_efficacy",
    "sdmetrics_quality",
]


def _is_numeric(series: pd.Series) -> bool:
    return (
        ptypes.is_numeric_dtype(series.dtype) and not ptypes.is_bool_dtype(series.dtype)
    ) or ptypes.is_datetime64_any_dtype(series.dtype)


def _numeric_values(series: pd.Series) -> np.ndarray:
    if ptypes.is_datetime64_any_dtype(series.dtype):
        values = series.astype("datetime64[ns]") if series.dt.tz is None else series.dt.tz_localize(None)
        result = values.astype("datetime64[ns]").to_numpy().astype("int64").astype(np.float64)
        result[series.isna().to_numpy()] = np.nan
        return result
    return pd.to_numeric(series, errors="coerce").astype(np.float64).to_numpy(na_value=np.nan)


def _kinds(real: pd.DataFrame, discrete_columns: Sequence[str] | None) -> dict[str, str]:
    declared = set(discrete_columns or ())
    return {
        name: "categorical" if name in declared or not _is_numeric(real[name]) else "numeric" for name in real.columns
    }


def _check_columns(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    # a duplicated name failed with an AttributeError; multi-level names scored 1.0 for unrelated tables
    check_column_names(real, "real", text=False)
    check_column_names(synthetic, "synthetic", text=False)
    missing = [name for name in real.columns if name not in synthetic.columns]
    if missing:
        raise PolemosError(
            f"the synthetic table lacks column(s) {missing[:5]}; generate it from a model fitted on this table"
        )
    if len(real) == 0 or len(synthetic) == 0:
        raise PolemosError("cannot evaluate an empty table; give tables with rows")
    # inf made the scores NaN (real table) or failed inside scikit-learn (synthetic table)
    check_finite(real, "real")
    check_finite(synthetic, "synthetic", real.columns)


def _check_numbers(real: pd.DataFrame, other: pd.DataFrame, role: str, kinds: dict[str, str]) -> None:
    """Fails when a column that is numeric in the real table holds text in ``other`` (it would score as missing)."""
    for name, kind in kinds.items():
        if kind != "numeric" or _is_numeric(other[name]):
            continue
        column = other[name]
        text = column.notna() & pd.to_numeric(column, errors="coerce").isna()
        if ptypes.is_datetime64_any_dtype(real[name].dtype):
            text = column.notna() & pd.to_datetime(column, errors="coerce", format="mixed").isna()
        if text.any():
            position = int(np.argmax(text.to_numpy()))
            raise PolemosError(
                f"column {name!r} of the {role} table is numeric in the real table but has {int(text.sum())} "
                f"non-numeric value(s), the first {column.iloc[position]!r} in data row {position + 1}; "
                "fix or drop those rows"
            )


def _tvd_complement(real: pd.Series, synthetic: pd.Series) -> float:
    real_freq = real.dropna().astype(str).value_counts(normalize=True)
    synthetic_freq = synthetic.dropna().astype(str).value_counts(normalize=True)
    if real_freq.empty or synthetic_freq.empty:
        return float(real_freq.empty and synthetic_freq.empty)
    union = real_freq.index.union(synthetic_freq.index)
    difference = real_freq.reindex(union, fill_value=0) - synthetic_freq.reindex(union, fill_value=0)
    return float(1.0 - 0.5 * difference.abs().sum())  # 1 - TVD


def column_shapes(
    real: pd.DataFrame, synthetic: pd.DataFrame, discrete_columns: Sequence[str] | None = None
) -> dict[str, float]:
    """Per-column similarity of marginals in [0, 1]: ``1 - KS`` (numeric) or ``1 - TVD`` (categorical)."""
    from scipy.stats import ks_2samp

    _check_columns(real, synthetic)
    scores: dict[str, float] = {}
    for name, kind in _kinds(real, discrete_columns).items():
        if kind == "numeric":
            real_values = _numeric_values(real[name])
            synthetic_values = _numeric_values(synthetic[name])
            real_values = real_values[~np.isnan(real_values)]
            synthetic_values = synthetic_values[~np.isnan(synthetic_values)]
            if real_values.size == 0 or synthetic_values.size == 0:
                scores[name] = float(real_values.size == synthetic_values.size)
                continue
            scores[name] = float(1.0 - ks_2samp(real_values, synthetic_values).statistic)
        else:
            scores[name] = _tvd_complement(real[name], synthetic[name])
    return scores


def _binned(series: pd.Series, kind: str, edges: np.ndarray | None) -> pd.Series:
    if kind == "categorical":
        return series.astype(str).where(series.notna(), "<missing>")
    values = _numeric_values(series)
    assert edges is not None
    bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    return pd.Series(np.where(np.isnan(values), "<missing>", bins.astype(str)), index=series.index)


def column_pair_trends(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    discrete_columns: Sequence[str] | None = None,
    bins: int = 10,
) -> dict[str, float]:
    """Per-pair similarity in [0, 1]: correlation similarity (numeric pairs) or contingency similarity."""
    _check_columns(real, synthetic)
    kinds = _kinds(real, discrete_columns)
    edges: dict[str, np.ndarray] = {}
    for name, kind in kinds.items():
        if kind == "numeric":
            values = _numeric_values(real[name])
            low, high = np.nanmin(values), np.nanmax(values)
            edges[name] = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    scores: dict[str, float] = {}
    for first, second in itertools.combinations(real.columns, 2):
        key = f"{first} / {second}"
        if kinds[first] == "numeric" and kinds[second] == "numeric":
            real_r = _correlation(real[first], real[second])
            synthetic_r = _correlation(synthetic[first], synthetic[second])
            scores[key] = float(1.0 - abs(real_r - synthetic_r) / 2.0)
        else:
            real_joint = (
                _binned(real[first], kinds[first], edges.get(first))
                + "\x1f"
                + _binned(real[second], kinds[second], edges.get(second))
            )
            synthetic_joint = (
                _binned(synthetic[first], kinds[first], edges.get(first))
                + "\x1f"
                + _binned(synthetic[second], kinds[second], edges.get(second))
            )
            scores[key] = _tvd_complement(real_joint, synthetic_joint)
    return scores


def _correlation(first: pd.Series, second: pd.Series) -> float:
    x, y = _numeric_values(first), _numeric_values(second)
    both = ~(np.isnan(x) | np.isnan(y))
    if both.sum() < 2 or np.std(x[both]) == 0 or np.std(y[both]) == 0:
        return 0.0
    return float(np.corrcoef(x[both], y[both])[0, 1])


def _features(frames: list[pd.DataFrame], kinds: dict[str, str]) -> list[pd.DataFrame]:
    """Aligned model inputs for several frames: numbers as floats, categories as shared categoricals."""
    encoded: list[dict[str, Any]] = [{} for _ in frames]
    for name, kind in kinds.items():
        if kind == "numeric":
            for position, frame in enumerate(frames):
                encoded[position][name] = _numeric_values(frame[name])
            continue
        texts = [frame[name].astype(str).where(frame[name].notna(), None) for frame in frames]
        categories = sorted(set().union(*(set(text.dropna()) for text in texts)))
        for position, text in enumerate(texts):
            codes = pd.Categorical(text, categories=categories)
            if len(categories) > 250:  # too many for native categorical splits: use the codes as numbers
                encoded[position][name] = np.where(codes.codes < 0, np.nan, codes.codes).astype(np.float64)
            else:
                encoded[position][name] = codes
    return [pd.DataFrame(columns, index=frame.index) for columns, frame in zip(encoded, frames, strict=True)]


def ml_efficacy(
    train: pd.DataFrame,
    test: pd.DataFrame,
    target: str,
    discrete_columns: Sequence[str] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Trains a HistGradientBoosting classifier on ``train`` and scores it on ``test``.

    Returns:
        ``{"f1", "auc", "accuracy", "positive_label", "classes"}``; F1 of the minority class of ``test`` for a
        binary target, macro F1 otherwise.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    if target not in test.columns or target not in train.columns:
        raise PolemosError(f"target column {target!r} does not exist; valid columns: {', '.join(test.columns)}")
    test = test[test[target].notna()]
    train = train[train[target].notna()]
    kinds = _kinds(test.drop(columns=[target]), discrete_columns)
    train_x, test_x = _features([train, test], kinds)
    train_y = train[target].astype(str).to_numpy()
    test_y = test[target].astype(str).to_numpy()
    classes = sorted(set(test_y))
    if len(classes) < 2:
        raise PolemosError(
            f"target {target!r} has a single class in the real rows the classifier is tested on (the holdout table "
            "when one is given, else the real table); choose another target, or a holdout with several classes"
        )
    counts = pd.Series(test_y).value_counts()
    positive = str(counts.index[-1])  # minority class
    if len(set(train_y)) < 2:
        # a generator that produced a single class: the classifier predicts it everywhere
        only = train_y[0]
        predicted = np.full(len(test_y), only)
        # as booleans: a synthetic class the test set lacks would make the labels "multiclass" for f1_score
        f1 = f1_score(test_y == positive, predicted == positive, zero_division=0) if len(classes) == 2 else 0.0
        return {
            "f1": float(f1),
            "auc": 0.5,
            "accuracy": float(accuracy_score(test_y, predicted)),
            "positive_label": positive,
            "classes": classes,
        }
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    model.fit(train_x, train_y)
    predicted = model.predict(test_x)
    probabilities = model.predict_proba(test_x)
    if len(classes) == 2:
        f1 = f1_score(test_y == positive, predicted == positive, zero_division=0)
        if positive in model.classes_:
            column = list(model.classes_).index(positive)
            auc = roc_auc_score(test_y == positive, probabilities[:, column])
        else:
            auc = 0.5
    else:
        f1 = f1_score(test_y, predicted, average="macro", zero_division=0)
        known = [c for c in model.classes_ if c in classes]
        rows = np.isin(test_y, known)
        try:
            auc = roc_auc_score(
                test_y[rows],
                probabilities[rows][:, [list(model.classes_).index(c) for c in known]],
                multi_class="ovr",
                labels=known,
            )
        except ValueError:
            auc = float("nan")
    return {
        "f1": float(f1),
        "auc": float(auc),
        "accuracy": float(accuracy_score(test_y, predicted)),
        "positive_label": positive,
        "classes": classes,
    }


def _distance_matrix_features(
    frames: list[pd.DataFrame], reference: pd.DataFrame, kinds: dict[str, str]
) -> list[np.ndarray]:
    """Rows as vectors whose L1 distance / columns is the mean per-column difference described above."""
    blocks: list[list[np.ndarray]] = [[] for _ in frames]
    for name, kind in kinds.items():
        if kind == "numeric":
            values = _numeric_values(reference[name])
            low, high = np.nanmin(values), np.nanmax(values)
            span = high - low if high > low else 1.0
            for position, frame in enumerate(frames):
                scaled = (_numeric_values(frame[name]) - low) / span
                blocks[position].append(np.nan_to_num(scaled, nan=-1.0)[:, None])  # missing: 1+ away from values
        else:
            texts = [frame[name].astype(str).where(frame[name].notna(), "<missing>") for frame in frames]
            categories = sorted(set().union(*(set(text) for text in texts)))
            for position, text in enumerate(texts):
                codes = pd.Categorical(text, categories=categories).codes
                one_hot = np.zeros((len(text), len(categories)), dtype=np.float32)
                one_hot[np.arange(len(text)), codes] = 0.5  # |0.5 - 0| + |0 - 0.5| = 1 for a mismatch
                blocks[position].append(one_hot)
    return [np.concatenate(block, axis=1).astype(np.float32) for block in blocks]


def distance_to_closest_record(
    train: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    discrete_columns: Sequence[str] | None = None,
    max_rows: int = 2_000,
    seed: int = 0,
) -> dict[str, float]:
    """Distance-to-closest-record privacy check (see the module docstring).

    Args:
        train: Rows the generator was trained on.
        synthetic: Generated rows.
        holdout: Real rows the generator never saw; without it only the distances are reported.
        discrete_columns: Columns to treat as categorical.
        max_rows: Each table is subsampled to at most this many rows (cost is quadratic).
        seed: Seed of the subsampling.
    """
    from sklearn.neighbors import NearestNeighbors

    kinds = _kinds(train, discrete_columns)
    rng = np.random.default_rng(seed)

    def subsample(frame: pd.DataFrame, size: int) -> pd.DataFrame:
        return frame.iloc[rng.choice(len(frame), size=min(size, len(frame)), replace=False)]

    reference_size = min(max_rows, len(train), len(holdout) if holdout is not None else max_rows)
    train_sample = subsample(train, reference_size)
    synthetic_sample = subsample(synthetic, max_rows)
    frames = [train_sample, synthetic_sample] + ([subsample(holdout, reference_size)] if holdout is not None else [])
    vectors = _distance_matrix_features(frames, train, kinds)
    width = len(kinds)
    to_train = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(vectors[0])
    synthetic_to_train = to_train.kneighbors(vectors[1])[0][:, 0] / width
    result = {
        "median_dcr_synthetic_to_train": float(np.median(synthetic_to_train)),
        "exact_copy_share": float(np.mean(synthetic_to_train < 1e-9)),
        "rows_compared": float(len(synthetic_sample)),
    }
    if holdout is not None:
        to_holdout = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(vectors[2])
        synthetic_to_holdout = to_holdout.kneighbors(vectors[1])[0][:, 0] / width
        # ties count half, so a generator that reproduces the population (not the rows) scores 0.5
        closer = np.mean(synthetic_to_train < synthetic_to_holdout) + 0.5 * np.mean(
            synthetic_to_train == synthetic_to_holdout
        )
        result["share_closer_to_train"] = float(closer)
        result["median_dcr_synthetic_to_holdout"] = float(np.median(synthetic_to_holdout))
    return result


def sdmetrics_quality(
    real: pd.DataFrame, synthetic: pd.DataFrame, discrete_columns: Sequence[str] | None = None
) -> dict[str, Any] | None:
    """The SDMetrics ``QualityReport`` score and properties, or ``None`` when sdmetrics is not installed."""
    try:
        import sdmetrics
        from sdmetrics.reports.single_table import QualityReport
    except ImportError:
        return None
    columns: dict[str, dict[str, str]] = {}
    for name, kind in _kinds(real, discrete_columns).items():
        if ptypes.is_datetime64_any_dtype(real[name].dtype):
            columns[name] = {"sdtype": "datetime"}
        elif ptypes.is_bool_dtype(real[name].dtype):
            columns[name] = {"sdtype": "boolean"}
        else:
            columns[name] = {"sdtype": "numerical" if kind == "numeric" else "categorical"}
    report = QualityReport()
    report.generate(real, synthetic[list(real.columns)], {"columns": columns}, verbose=False)
    properties = report.get_properties()
    return {
        "version": sdmetrics.__version__,
        "score": float(report.get_score()),
        "properties": {str(row["Property"]): float(row["Score"]) for _, row in properties.iterrows()},
    }


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    target: str | None = None,
    holdout: pd.DataFrame | None = None,
    discrete_columns: Sequence[str] | None = None,
    use_sdmetrics: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """All scores of ``synthetic`` against ``real`` as a JSON-serializable dictionary.

    Args:
        real: The real table (the one the generator was trained on).
        synthetic: The generated table, with the same columns.
        target: Column for ML efficacy; without it that score is skipped.
        holdout: Real rows not used in training: the ML efficacy test set (``real`` otherwise) and the DCR
            reference.
        discrete_columns: Columns to treat as categorical (text, categorical and boolean columns always are).
        use_sdmetrics: Add the SDMetrics QualityReport when sdmetrics is installed.
        seed: Seed of the classifier and subsampling.

    Raises:
        PolemosError: For missing columns, empty tables, text or infinite values in numeric columns, or a target
            that is numeric or has a class per row.
    """
    _check_columns(real, synthetic)
    kinds = _kinds(real, discrete_columns)
    _check_numbers(real, synthetic, "synthetic", kinds)
    if holdout is not None:
        missing = [name for name in real.columns if name not in holdout.columns]
        if missing:
            raise PolemosError(
                f"the holdout table lacks column(s) {missing[:5]}; give held-out rows of the same table as REAL"
            )
        _check_numbers(real, holdout, "holdout", kinds)
        check_finite(holdout, "holdout", real.columns)
    if target is not None and target in real.columns and kinds[target] == "numeric":
        raise PolemosError(
            f"target column {target!r} is numeric; ML efficacy trains a classifier, so choose a categorical "
            f"--target (target=...), or list {target!r} in --discrete (discrete_columns) to treat its values as classes"
        )
    if target is not None and target in real.columns:
        classes = real[target].nunique()
        if classes > max(2, len(real) // 2):  # a class per row or two: a regression target, not classes
            raise PolemosError(
                f"target column {target!r} has {classes} distinct values in {len(real)} rows, too many classes for "
                "the ML-efficacy classifier; choose a categorical --target (target=...)"
            )
    shapes = column_shapes(real, synthetic, discrete_columns)
    trends = column_pair_trends(real, synthetic, discrete_columns)
    shapes_mean = float(np.mean(list(shapes.values())))
    trends_mean = float(np.mean(list(trends.values()))) if trends else 1.0
    result: dict[str, Any] = {
        "quality": (shapes_mean + trends_mean) / 2.0,
        "column_shapes": shapes_mean,
        "column_pair_trends": trends_mean,
        "column_shapes_by_column": shapes,
        "column_pair_trends_by_pair": trends,
        "rows": {
            "real": len(real),
            "synthetic": len(synthetic),
            "holdout": None if holdout is None else len(holdout),
        },
    }
    if target is not None:
        test = holdout if holdout is not None else real
        result["ml_efficacy"] = ml_efficacy(synthetic, test, target, discrete_columns, seed)
        result["ml_efficacy"]["test_set"] = "holdout" if holdout is not None else "real"
    result["privacy"] = distance_to_closest_record(real, synthetic, holdout, discrete_columns, seed=seed)
    if use_sdmetrics:
        result["sdmetrics"] = sdmetrics_quality(real, synthetic, discrete_columns)
    return result
