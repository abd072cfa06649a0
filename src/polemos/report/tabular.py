"""Tabular runs (folders written by ``TabularGAN.save`` / ``polemos tabular fit``).

The folder holds the model, not the training table, so "real" here is what preprocessing fitted on the real
table: for numeric columns the mixture ``sum_k w_k N(mean + std * mu_k, (std * sigma_k)^2)`` stored in
``model.json``. Synthetic rows are drawn from the saved generator with a fixed seed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from polemos.report.page import Section, escape, figure_html, format_number, note_html, table_html
from polemos.report.plots import figure_to_png, new_figure
from polemos.report.run import RunContents

SYNTHETIC_ROWS = 2000  # rows drawn for the distributions
MAX_COLUMNS = 12  # columns drawn at most (the first ones of the table)
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


def tabular_sections(run: RunContents) -> list[Section]:
    """Fit summary, per-column distributions and correlations of a saved TabularGAN."""
    model = run.model
    parts = []
    fit = model.get("report") or {}
    if fit:
        rows = [[escape(key), escape(format_number(value))] for key, value in fit.items()]
        parts.append(table_html(("fit", "value"), rows))
    try:
        from polemos.tabular.synthesizer import TabularGAN

        frame = TabularGAN.load(run.run_dir).sample(SYNTHETIC_ROWS, seed=0)
    except Exception as error:  # a model of another version: the summary still shows
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        parts.append(note_html(f"The model could not be loaded to draw samples ({reason})."))
        return [Section("table", "Table", "".join(parts))]
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
