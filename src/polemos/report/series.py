"""Series runs (folders written by ``SeriesGAN.save`` / ``polemos series fit``): sample paths and ACFs.

The folder holds the model, not the training series, so the plots show generated sequences (fixed seed);
compare with the real data with ``polemos series eval``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polemos.report.page import Section, escape, figure_html, format_number, note_html, table_html
from polemos.report.plots import figure_to_png, new_figure
from polemos.report.run import RunContents

SEQUENCES = 64  # sequences drawn for the plots
PATHS_SHOWN = 12  # paths drawn per feature
MAX_FEATURES = 4  # features plotted at most


def is_series_config(config: dict[str, Any]) -> bool:
    """True for the ``config.json`` of a saved SeriesGAN."""
    return "meta" in config and "summary" in config and "config" in config


def autocorrelation(paths: np.ndarray, max_lag: int) -> np.ndarray:
    """Mean over paths of the sample autocorrelation at lags 0..max_lag (NaN steps ignored per path).

    ``acf(k) = sum_t (x_t - m)(x_{t+k} - m) / sum_t (x_t - m)^2`` for each path, then averaged.
    """
    values = []
    for path in paths:
        path = path[np.isfinite(path)]
        if path.size <= max_lag + 1:
            continue
        centred = path - path.mean()
        denominator = float(np.sum(centred**2))
        if denominator <= 0:
            continue
        values.append([float(np.sum(centred[: len(centred) - lag] * centred[lag:])) / denominator
                       for lag in range(max_lag + 1)])  # fmt: skip
    return np.mean(values, axis=0) if values else np.full(max_lag + 1, np.nan)


def series_png(samples: np.ndarray, names: list[str]) -> bytes:
    """Per feature: a few sample paths (left) and the mean ACF of the sequences and of their squares (right)."""
    from matplotlib.ticker import MaxNLocator

    features = min(samples.shape[2], MAX_FEATURES)
    figure = new_figure(10.4, 2.8 * features)
    axes_grid = figure.subplots(features, 2, squeeze=False)
    max_lag = max(1, min(20, samples.shape[1] - 2))
    for feature in range(features):
        name = names[feature] if feature < len(names) else f"feature {feature}"
        paths_axes, acf_axes = axes_grid[feature]
        for path in samples[:PATHS_SHOWN, :, feature]:
            paths_axes.plot(path, linewidth=0.9, alpha=0.8)
        paths_axes.set_title(f"{name}: {PATHS_SHOWN} generated paths", fontsize=9)
        paths_axes.set_xlabel("step", fontsize=8)
        lags = np.arange(max_lag + 1)
        acf_axes.bar(lags - 0.2, autocorrelation(samples[:, :, feature], max_lag), width=0.4, label="x")
        squared = samples[:, :, feature] ** 2
        acf_axes.bar(lags + 0.2, autocorrelation(squared, max_lag), width=0.4, label="x²")
        acf_axes.axhline(0.0, color="#888888", linewidth=0.8)
        acf_axes.set_title(f"{name}: mean autocorrelation", fontsize=9)
        acf_axes.set_xlabel("lag", fontsize=8)
        acf_axes.legend(fontsize=7)
        for axes in (paths_axes, acf_axes):
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return figure_to_png(figure)


def series_sections(run: RunContents) -> list[Section]:
    """Training summary, generated paths and autocorrelations of a saved SeriesGAN."""
    parts = []
    summary = run.config.get("summary") or {}
    if summary:
        rows = [[escape(key), escape(format_number(value))] for key, value in summary.items() if key != "notes"]
        parts.append(table_html(("training", "value"), rows))
    try:
        from polemos.series.model import SeriesGAN

        gan = SeriesGAN.load(run.run_dir)
        samples = np.asarray(gan.sample(SEQUENCES, seed=0), dtype=np.float64)
    except Exception as error:  # another version's model: the summary still shows
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        parts.append(note_html(f"The model could not be loaded to draw samples ({reason})."))
        return [Section("series", "Series", "".join(parts))]
    names = [str(name) for name in (run.config.get("meta", {}).get("columns") or [])]
    parts.append(
        figure_html(
            series_png(samples, names),
            f"{SEQUENCES} generated sequences (seed 0), in data units. The run folder does not hold the real "
            "series: compare with it using <code>polemos series eval</code>.",
            "generated paths and autocorrelations",
        )
    )
    return [Section("series", "Series", "".join(parts))]
