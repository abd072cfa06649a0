"""Series runs (folders written by ``SeriesGAN.save`` / ``polemos series fit``): sample paths and ACFs.

The folder holds the model and ``real_summary.json`` (:mod:`polemos.series.summary`): a few real training
windows, the real mean autocorrelations of x, |x| and x^2 and per-feature histograms. The page shows real vs
generated paths side by side and real vs generated autocorrelations and marginals (generated sequences drawn
with a fixed seed). Folders saved before that file existed show generated sequences only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polemos.report.page import Section, escape, figure_html, format_number, note_html, table_html
from polemos.report.plots import figure_to_png, new_figure
from polemos.report.run import RunContents
from polemos.series.summary import ACF_TRANSFORMS, SeriesSummary, mean_autocorrelation, transform_values

REAL_COLOUR = "#555555"  # real statistics: dark grey
GENERATED_COLOUR = "#2f6fb3"  # generated sequences: blue
TRANSFORM_LABELS = {"x": "x", "abs": "|x|", "squared": "x²"}
TRANSFORM_STYLES = {"x": "-", "abs": "--", "squared": ":"}

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


def paths_png(samples: np.ndarray, summary: SeriesSummary, names: list[str]) -> bytes:
    """Per feature: the real windows of the summary (left) and as many generated sequences (right), same y range."""
    from matplotlib.ticker import MaxNLocator

    features = min(samples.shape[2], summary.paths.shape[2], MAX_FEATURES)
    shown = max(1, summary.paths.shape[0])
    figure = new_figure(10.4, 2.6 * features)
    axes_grid = figure.subplots(features, 2, squeeze=False, sharex=True)
    for feature in range(features):
        name = names[feature] if feature < len(names) else f"feature {feature}"
        real_axes, generated_axes = axes_grid[feature]
        real_paths = summary.paths[:, :, feature]
        generated_paths = samples[:shown, :, feature]
        for path in real_paths:
            real_axes.plot(path, linewidth=0.9, alpha=0.85)
        for path in generated_paths:
            generated_axes.plot(path, linewidth=0.9, alpha=0.85)
        both = np.concatenate([real_paths[np.isfinite(real_paths)], generated_paths[np.isfinite(generated_paths)]])
        if both.size:
            low, high = float(both.min()), float(both.max())
            margin = 0.05 * (high - low) or 0.5
            for axes in (real_axes, generated_axes):
                axes.set_ylim(low - margin, high + margin)
        real_axes.set_title(f"{name}: {len(real_paths)} real windows", fontsize=9)
        generated_axes.set_title(f"{name}: {len(generated_paths)} generated sequences", fontsize=9)
        for axes in (real_axes, generated_axes):
            axes.set_xlabel("step", fontsize=8)
            axes.tick_params(labelsize=7)
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return figure_to_png(figure)


def acf_png(samples: np.ndarray, summary: SeriesSummary, names: list[str]) -> bytes:
    """Per feature: real vs generated mean autocorrelations of x, |x|, x² (left) and marginal histograms (right)."""
    from matplotlib.ticker import MaxNLocator

    features = min(samples.shape[2], len(summary.columns), MAX_FEATURES)
    figure = new_figure(10.4, 2.8 * features)
    axes_grid = figure.subplots(features, 2, squeeze=False)
    lags = np.arange(summary.max_lag + 1)
    for feature in range(features):
        name = names[feature] if feature < len(names) else f"feature {feature}"
        acf_axes, histogram_axes = axes_grid[feature]
        for transform in ACF_TRANSFORMS:
            label, style = TRANSFORM_LABELS[transform], TRANSFORM_STYLES[transform]
            real = summary.acf[transform][feature]
            generated = mean_autocorrelation(transform_values(samples[:, :, feature], transform), summary.max_lag)
            acf_axes.plot(lags, real, style, color=REAL_COLOUR, marker="o", markersize=2.5, label=f"real {label}")
            acf_axes.plot(lags, generated, style, color=GENERATED_COLOUR, marker="o", markersize=2.5,
                          label=f"generated {label}")  # fmt: skip
        acf_axes.axhline(0.0, color="#888888", linewidth=0.8)
        acf_axes.set_title(f"{name}: mean autocorrelation", fontsize=9)
        acf_axes.set_xlabel("lag", fontsize=8)
        acf_axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        acf_axes.legend(fontsize=6, ncol=2)
        edges = np.asarray(summary.edges[feature]) if feature < len(summary.edges) else np.zeros(0)
        if edges.size >= 2:
            real_counts = np.asarray(summary.counts[feature], dtype=np.float64)
            generated = samples[:, :, feature]
            generated = generated[np.isfinite(generated)]
            generated_counts, _ = np.histogram(generated, bins=edges)
            histogram_axes.stairs(real_counts / max(real_counts.sum(), 1.0), edges, fill=True, color=REAL_COLOUR,
                                  alpha=0.4, label="real")  # fmt: skip
            histogram_axes.stairs(generated_counts / max(generated.size, 1), edges, color=GENERATED_COLOUR,
                                  linewidth=1.4, label="generated")  # fmt: skip
            outside = 1.0 - generated_counts.sum() / max(generated.size, 1)
            suffix = f" ({outside:.1%} generated outside)" if outside > 0.005 else ""
            histogram_axes.set_title(f"{name}: marginal{suffix}", fontsize=9)
            histogram_axes.legend(fontsize=7)
        else:
            histogram_axes.set_visible(False)
        for axes in (acf_axes, histogram_axes):
            axes.tick_params(labelsize=7)
    return figure_to_png(figure)


def summary_parts(samples: np.ndarray, summary: SeriesSummary, names: list[str]) -> list[str]:
    """Real vs generated paths and autocorrelations, each in a ``div`` with an id."""
    paths_caption = (
        f"Real vs generated sequences: {summary.paths.shape[0]} real training windows (evenly spaced over the "
        f"{summary.windows:,} windows, from <code>real_summary.json</code>) and as many generated sequences "
        "(seed 0), in data units, on the same y range."
    )
    acf_caption = (
        f"Real vs generated mean autocorrelation of x, |x| and x² up to lag {summary.max_lag} (grey: real "
        f"training windows, blue: {SEQUENCES} generated sequences, seed 0). Slowly decaying |x| and x² "
        "autocorrelations are volatility clustering. Right: marginal distribution of all steps on the real "
        "histogram's bins."
    )
    paths = figure_html(paths_png(samples, summary, names), paths_caption, "real and generated paths")
    acf = figure_html(acf_png(samples, summary, names), acf_caption, "real and generated autocorrelations")
    return [f'<div id="series-real-vs-generated">{paths}</div>', f'<div id="series-autocorrelations">{acf}</div>']


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
    summary = getattr(gan, "real_summary", None)
    if summary is not None:
        parts.extend(summary_parts(samples, summary, names or list(summary.columns)))
        return [Section("series", "Series", "".join(parts))]
    parts.append(
        note_html(
            "This model folder has no real_summary.json (saved by an older polemos), so the real series cannot "
            "be shown; re-fit and save the model to compare with them."
        )
    )
    parts.append(
        figure_html(
            series_png(samples, names),
            f"{SEQUENCES} generated sequences (seed 0), in data units. The run folder does not hold the real "
            "series: compare with it using <code>polemos series eval</code>.",
            "generated paths and autocorrelations",
        )
    )
    return [Section("series", "Series", "".join(parts))]
