"""Tabular runs (folders written by ``TabularGAN.save`` / ``polemos tabular fit``).

The folder holds the model, not the training table. "Real" is ``real_summary.json``, the row-free statistics
of the training table that ``fit`` computes (:mod:`polemos.tabular.summary`): per-column histograms and category
counts, and a matrix of pairwise associations. Synthetic rows are drawn from the saved generator with a fixed
seed and summarised the same way, so the page shows real vs synthetic marginals and ``|assoc(real) -
assoc(synthetic)|``. Folders saved before that file existed fall back to what preprocessing fitted: for numeric
columns the mixture ``sum_k w_k N(mean + std * mu_k, (std * sigma_k)^2)`` stored in ``model.json``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from polemos.report.page import Section, escape, figure_html, format_number, format_seconds, note_html, table_html
from polemos.report.plots import figure_to_png, new_figure
from polemos.report.run import RunContents
from polemos.tabular.summary import (
    MIN_CATEGORY_COUNT,
    ColumnSummary,
    TableSummary,
    association_matrix,
    category_text,
    numeric_values,
)

REAL_COLOUR = "#7f7f7f"  # real statistics: grey
SYNTHETIC_COLOUR = "#2f6fb3"  # synthetic rows: blue

SYNTHETIC_ROWS = 2000  # rows drawn for the distributions
MAX_COLUMNS = 12  # columns drawn at most without a real summary (the first ones of the table)
MAX_SUMMARY_COLUMNS = 24  # columns drawn at most against the real summary
MAX_CATEGORIES = 12  # bars per categorical column
NUMERIC_KINDS = ("continuous", "integer")


def is_tabular_model(model: dict[str, Any]) -> bool:
    """True for the ``model.json`` of a saved TabularGAN."""
    return "transformer" in model and "format_version" in model


def mixture_density(column: dict[str, Any], grid: np.ndarray) -> np.ndarray | None:
    """Density on ``grid`` of the mixture fitted to the real column, in data units (None without modes)."""
    means, stds, weights = column.get("mode_means"), column.get("mode_stds"), column.get("mode_weights")
    if not means or not stds or not weights:
        return None
    center, scale = float(column.get("mean", 0.0)), float(column.get("std", 1.0))
    density = np.zeros_like(grid, dtype=np.float64)
    for mode_mean, mode_std, weight in zip(means, stds, weights, strict=False):
        sigma = max(abs(scale * mode_std), 1e-12)
        mu = center + scale * mode_mean
        density += weight * np.exp(-0.5 * ((grid - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    return density


def distributions_png(frame: Any, columns: list[dict[str, Any]]) -> bytes:
    """One small panel per column: synthetic histogram (numeric, with the fitted real mixture) or bars."""
    count = len(columns)
    per_row = 4
    rows = math.ceil(count / per_row)
    figure = new_figure(3.4 * min(count, per_row), 2.6 * rows)
    axes_grid = figure.subplots(rows, min(count, per_row), squeeze=False)
    for index, column in enumerate(columns):
        axes = axes_grid[index // per_row][index % per_row]
        name = column["members"][0] if column.get("members") else column["name"]
        values = frame[name]
        if column["kind"] in NUMERIC_KINDS:
            numbers = np.asarray(values.dropna(), dtype=np.float64)
            if numbers.size:
                axes.hist(numbers, bins=40, density=True, alpha=0.6, color="#2f6fb3", label="synthetic")
                grid = np.linspace(numbers.min(), numbers.max(), 200)
                density = mixture_density(column, grid)
                if density is not None:
                    axes.plot(grid, density, color="#d62728", linewidth=1.3, label="real (fitted mixture)")
        else:
            shares = values.astype(str).value_counts(normalize=True).head(MAX_CATEGORIES)
            axes.bar(range(len(shares)), shares.to_numpy(), color="#2f6fb3", alpha=0.7, label="synthetic")
            axes.set_xticks(range(len(shares)))
            axes.set_xticklabels([label[:10] for label in shares.index], rotation=45, ha="right", fontsize=7)
        axes.set_title(f"{name} ({column['kind']})", fontsize=9)
        axes.tick_params(labelsize=7)
        if index == 0:
            axes.legend(fontsize=7)
    for index in range(count, rows * min(count, per_row)):
        axes_grid[index // per_row][index % per_row].set_visible(False)
    return figure_to_png(figure)


def correlation_png(frame: Any) -> bytes | None:
    """Pearson correlations between the synthetic numeric columns (None with fewer than two)."""
    numeric = frame.select_dtypes(include="number")
    if numeric.shape[1] < 2:
        return None
    correlation = numeric.corr().to_numpy()
    names = list(numeric.columns)
    size = min(1.0 + 0.45 * len(names), 9.0)
    figure = new_figure(size + 1.2, size)
    axes = figure.subplots()
    image = axes.imshow(correlation, vmin=-1, vmax=1, cmap="RdBu_r")
    axes.set_xticks(range(len(names)))
    axes.set_xticklabels([str(name)[:12] for name in names], rotation=60, ha="right", fontsize=7)
    axes.set_yticks(range(len(names)))
    axes.set_yticklabels([str(name)[:12] for name in names], fontsize=7)
    axes.set_title("Synthetic correlations (Pearson)", fontsize=10)
    figure.colorbar(image, ax=axes, fraction=0.046)
    return figure_to_png(figure)


def category_shares(column: ColumnSummary, shown: int) -> tuple[list[str], np.ndarray]:
    """Labels and real shares of rows: the ``shown`` most frequent kept categories, "other", "(missing)"."""
    rows = max(column.rows, 1)
    labels = list(column.categories[:shown])
    counts = list(column.counts[:shown])
    other = column.other_count + sum(column.counts[shown:])
    if other:
        labels.append("(other)")
        counts.append(other)
    if column.missing_count:
        labels.append("(missing)")
        counts.append(column.missing_count)
    return labels, np.asarray(counts, dtype=np.float64) / rows


def synthetic_category_shares(values: Any, labels: list[str]) -> np.ndarray:
    """Synthetic shares of rows over ``labels`` (values outside the named ones count as "other")."""
    text, missing = category_text(values)
    named = [label for label in labels if label not in ("(other)", "(missing)")]
    counts = {label: 0 for label in labels}
    texts = np.asarray(text, dtype=object)
    for label in named:
        counts[label] = int(np.sum(texts == label))
    if "(other)" in counts:
        counts["(other)"] = int(len(texts) - sum(counts[label] for label in named))
    if "(missing)" in counts:
        counts["(missing)"] = int(missing.sum())
    return np.asarray([counts[label] for label in labels], dtype=np.float64) / max(len(values), 1)


def real_vs_synthetic_png(frame: Any, columns: list[ColumnSummary]) -> bytes:
    """One panel per column: real vs synthetic histogram on the real bins (numeric) or side-by-side bars."""
    count = len(columns)
    per_row = 4
    rows = math.ceil(count / per_row)
    figure = new_figure(3.4 * min(count, per_row), 2.7 * rows)
    axes_grid = figure.subplots(rows, min(count, per_row), squeeze=False)
    for index, column in enumerate(columns):
        axes = axes_grid[index // per_row][index % per_row]
        values = frame[column.name]
        title = f"{column.name} ({column.source_kind})"
        if column.kind == "numeric":
            edges = np.asarray(column.edges)
            real_counts = np.asarray(column.counts, dtype=np.float64)
            real_share = real_counts / max(real_counts.sum(), 1.0)  # shares of non-missing values per bin
            synthetic = numeric_values(values, column.source_kind)
            synthetic = synthetic[np.isfinite(synthetic)]
            synthetic_counts, _ = np.histogram(synthetic, bins=edges)
            synthetic_share = synthetic_counts / max(synthetic.size, 1)
            if column.source_kind == "datetime":
                edges = edges / 86_400e9  # matplotlib dates: days since 1970-01-01
                axes.xaxis_date()
            axes.stairs(real_share, edges, fill=True, color=REAL_COLOUR, alpha=0.45, label="real")
            axes.stairs(synthetic_share, edges, color=SYNTHETIC_COLOUR, linewidth=1.4, label="synthetic")
            synthetic_missing = float(np.mean(values.isna())) if len(values) else 0.0
            if column.missing_count or synthetic_missing:
                title += f"\nmissing: real {column.missing_rate:.1%}, synthetic {synthetic_missing:.1%}"
        else:
            labels, real_share = category_shares(column, MAX_CATEGORIES)
            synthetic_share = synthetic_category_shares(values, labels)
            positions = np.arange(len(labels))
            axes.bar(positions - 0.2, real_share, width=0.4, color=REAL_COLOUR, alpha=0.8, label="real")
            axes.bar(positions + 0.2, synthetic_share, width=0.4, color=SYNTHETIC_COLOUR, label="synthetic")
            axes.set_xticks(positions)
            axes.set_xticklabels([label[:10] for label in labels], rotation=45, ha="right", fontsize=7)
        axes.set_title(title, fontsize=9)
        axes.tick_params(labelsize=7)
        if index == 0:
            axes.legend(fontsize=7)
    for index in range(count, rows * min(count, per_row)):
        axes_grid[index // per_row][index % per_row].set_visible(False)
    return figure_to_png(figure)


def association_difference(summary: TableSummary, frame: Any) -> tuple[list[str], np.ndarray]:
    """Column names and ``|assoc(real) - assoc(synthetic)|`` over the summary's association columns present."""
    present = [index for index, name in enumerate(summary.association_columns) if name in frame.columns]
    columns = [summary.column(summary.association_columns[index]) for index in present]
    real = summary.association[np.ix_(present, present)]
    synthetic = association_matrix(frame, [column for column in columns if column is not None])
    return [summary.association_columns[index] for index in present], np.abs(real - synthetic)


def association_difference_png(names: list[str], difference: np.ndarray) -> bytes:
    """Heatmap of the absolute association differences, values written in the cells when few."""
    size = min(1.6 + 0.45 * len(names), 11.0)
    figure = new_figure(size + 1.2, size)
    axes = figure.subplots()
    image = axes.imshow(np.ma.masked_invalid(difference), vmin=0.0, vmax=1.0, cmap="Reds")
    axes.set_xticks(range(len(names)))
    axes.set_xticklabels([str(name)[:12] for name in names], rotation=60, ha="right", fontsize=7)
    axes.set_yticks(range(len(names)))
    axes.set_yticklabels([str(name)[:12] for name in names], fontsize=7)
    if len(names) <= 16:
        for row in range(len(names)):
            for col in range(len(names)):
                value = difference[row, col]
                if row != col and np.isfinite(value):
                    colour = "white" if value > 0.5 else "black"
                    axes.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=6, color=colour)
    axes.set_title("|association(real) - association(synthetic)|", fontsize=10)
    figure.colorbar(image, ax=axes, fraction=0.046)
    return figure_to_png(figure)


def summary_parts(frame: Any, summary: TableSummary) -> list[str]:
    """Real-vs-synthetic marginals and the association-difference heatmap, each in a ``div`` with an id."""
    parts = []
    columns = [
        column
        for column in summary.columns
        if column.name in frame.columns
        and ((column.kind == "numeric" and column.counts) or (column.kind == "categorical" and column.rows))
    ][:MAX_SUMMARY_COLUMNS]
    shown = "" if len(columns) == len(summary.columns) else f" (the first {len(columns)} columns)"
    if columns:
        caption = (
            f"Per-column distributions{shown}: real training table (grey, from <code>real_summary.json</code>, "
            f"{summary.rows:,} rows) vs {SYNTHETIC_ROWS:,} synthetic rows (blue, seed 0). Numeric columns: share "
            "of non-missing values per bin of the real histogram. Categorical columns: share of rows per "
            f"category; categories of fewer than {MIN_CATEGORY_COUNT} real rows are counted in (other)."
        )
        figure = figure_html(real_vs_synthetic_png(frame, columns), caption, "per-column distributions")
        parts.append(f'<div id="table-real-vs-synthetic">{figure}</div>')
    if len(summary.association_columns) >= 2:
        names, difference = association_difference(summary, frame)
        if len(names) >= 2:
            off_diagonal = difference[~np.eye(len(names), dtype=bool)]
            finite = off_diagonal[np.isfinite(off_diagonal)]
            mean_text = f"mean {finite.mean():.3f}, max {finite.max():.3f}" if finite.size else "undefined"
            caption = (
                "Correlation difference: |association(real) - association(synthetic)| for each pair of columns "
                f"({mean_text}; 0 = the pair's dependence is reproduced). Association: Pearson correlation "
                "between numeric columns, correlation ratio (eta) between a numeric and a categorical column, "
                "Cramér's V between categorical columns; real values are from the whole training table, "
                f"synthetic ones from {SYNTHETIC_ROWS:,} rows (sampling noise about "
                f"{1 / math.sqrt(SYNTHETIC_ROWS):.2f}). Colours are capped at 1."
            )
            figure = figure_html(association_difference_png(names, difference), caption, "correlation difference")
            parts.append(f'<div id="table-correlation-difference">{figure}</div>')
    return parts


FIT_LABELS = {  # FitReport field -> label on the page
    "preprocessing_seconds": "preprocessing",
    "training_seconds": "training",
    "stopped_by": "stopped by",
    "rows": "training rows",
}


def fit_facts(fit: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of a saved fit summary: readable labels, durations in seconds, underscores spelled out."""
    facts = []
    for key, value in fit.items():
        label = FIT_LABELS.get(key, key.replace("_", " "))
        if key.endswith("_seconds") and isinstance(value, int | float):
            text = format_seconds(value)
        elif isinstance(value, str):
            text = value.replace("_", " ")  # "time_budget" -> "time budget"
        elif isinstance(value, int) and not isinstance(value, bool):
            text = f"{value:,}"
        else:
            text = format_number(value)
        facts.append((label, text))
    return facts


def tabular_sections(run: RunContents) -> list[Section]:
    """Fit summary, per-column distributions and correlations of a saved TabularGAN."""
    model = run.model
    parts = []
    fit = model.get("report") or {}
    if fit:
        rows = [[escape(label), escape(value)] for label, value in fit_facts(fit)]
        parts.append(table_html(("fit", "value"), rows))
    try:
        from polemos.tabular.synthesizer import TabularGAN

        gan = TabularGAN.load(run.run_dir)
        frame = gan.sample(SYNTHETIC_ROWS, seed=0)
    except Exception as error:  # a model of another version: the summary still shows
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        parts.append(note_html(f"The model could not be loaded to draw samples ({reason})."))
        return [Section("table", "Table", "".join(parts))]
    summary = getattr(gan, "real_summary", None)
    if summary is not None:
        parts.extend(summary_parts(frame, summary))
        correlation = correlation_png(frame)
        if correlation is not None:
            parts.append(
                figure_html(
                    correlation,
                    "Pearson correlations between the synthetic numeric columns.",
                    "synthetic correlations",
                )
            )
        return [Section("table", "Table", "".join(parts))]
    parts.append(
        note_html(
            "This model folder has no real_summary.json (saved by an older polemos), so the real table's "
            "distributions cannot be shown; re-fit and save the model to compare with them."
        )
    )
    columns = [
        column
        for column in model["transformer"].get("models", [])
        if column.get("kind") in (*NUMERIC_KINDS, "categorical", "boolean")
        and (column.get("members") or [column.get("name")])[0] in frame.columns
    ][:MAX_COLUMNS]
    if columns:
        parts.append(
            figure_html(
                distributions_png(frame, columns),
                f"Per-column distributions of {SYNTHETIC_ROWS:,} synthetic rows (seed 0); red: the mixture that "
                "preprocessing fitted to the real column. The run folder does not hold the real table, so "
                "categorical columns show synthetic shares only.",
                "per-column distributions",
            )
        )
    correlation = correlation_png(frame)
    if correlation is not None:
        parts.append(
            figure_html(
                correlation,
                "Correlations between synthetic numeric columns. A real-minus-synthetic difference map needs "
                "the real table: compare with <code>polemos tabular eval</code>.",
                "synthetic correlations",
            )
        )
    return [Section("table", "Table", "".join(parts))]
