"""Series runs (folders written by ``SeriesGAN.save`` / ``polemos series fit``): sample paths and ACFs.

The folder holds the model and ``real_summary.json`` (:mod:`polemos.series.summary`): a few real training
windows, the real mean autocorrelations of x, |x| and x^2 and per-feature histograms. The page shows real vs
generated paths side by side and real vs generated autocorrelations and marginals (generated sequences drawn
with a fixed seed). Folders saved before that file existed show generated sequences only.

A context (scenario) model continues the first ``context_length`` steps of a window: its contexts are the first
steps of the real windows kept in ``real_summary.json``, and the page shows the generated continuations beside
the real ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from polemos.report.page import Section, escape, figure_html, format_number, note_html, table_html
from polemos.report.plots import figure_to_png, new_figure
from polemos.report.run import RunContents
from polemos.series.summary import ACF_TRANSFORMS, SeriesSummary, acf_max_lag, mean_autocorrelation, transform_values

REAL_COLOUR = "#555555"  # real statistics: dark grey
GENERATED_COLOUR = "#2f6fb3"  # generated sequences: blue
TRANSFORM_LABELS = {"x": "x", "abs": "|x|", "squared": "x²"}
TRANSFORM_STYLES = {"x": "-", "abs": "--", "squared": ":"}

SEQUENCES = 64  # sequences drawn for the plots
PATHS_SHOWN = 12  # paths drawn per feature
MAX_FEATURES = 4  # features plotted at most
CONTEXTS_SHOWN = 4  # real contexts drawn with their continuations (columns of the scenario figure)
CONTINUATIONS_SHOWN = 12  # generated continuations drawn per context

TRAINING_LABELS = {  # TrainingSummary field -> label on the page
    "steps": "steps",
    "seconds": "training seconds",
    "fit_seconds": "whole fit seconds",
    "windows": "training windows",
    "final_d_loss": "D loss at the end",
    "final_g_loss": "G loss at the end",
    "selected_step": "kept generator of step",
}
HIDDEN_TRAINING_FIELDS = ("notes", "selection")  # notes are in the metadata; the selection has its own table


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
    """Per feature: real vs generated mean autocorrelations of x, |x|, x² (left) and marginal histograms (right).

    The lags stop at :func:`acf_max_lag` of the shorter of the real windows and the generated sequences.
    """
    from matplotlib.ticker import MaxNLocator

    features = min(samples.shape[2], len(summary.columns), MAX_FEATURES)
    figure = new_figure(10.4, 2.8 * features)
    axes_grid = figure.subplots(features, 2, squeeze=False)
    max_lag = min(summary.max_lag, acf_max_lag(samples.shape[1]))  # a context model's continuations are shorter
    lags = np.arange(max_lag + 1)
    for feature in range(features):
        name = names[feature] if feature < len(names) else f"feature {feature}"
        acf_axes, histogram_axes = axes_grid[feature]
        for transform in ACF_TRANSFORMS:
            label, style = TRANSFORM_LABELS[transform], TRANSFORM_STYLES[transform]
            real = summary.acf[transform][feature][: max_lag + 1]
            generated = mean_autocorrelation(transform_values(samples[:, :, feature], transform), max_lag)
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


def unit_text(meta: dict[str, Any], names: list[str]) -> str:
    """What the plotted numbers are: "log returns of AAA, BBB" (returns models) or "values of AAA, BBB"."""
    kind = "log returns" if meta.get("returns") else "values"
    return f"{kind} of {', '.join(names)}" if names else kind


def acf_caption(meta: dict[str, Any], max_lag: int, generated: str) -> str:
    """Caption of the autocorrelation and marginal figure; the volatility-clustering hint for returns only."""
    caption = (
        f"Real vs generated mean autocorrelation of x, |x| and x² up to lag {max_lag} (grey: real training "
        f"windows, blue: {generated})."
    )
    if meta.get("returns"):  # clustering is a fact of returns; levels' |x| and x² follow the level itself
        caption += " Slowly decaying |x| and x² autocorrelations are volatility clustering."
    return caption + " Right: marginal distribution of all steps on the real histogram's bins."


def summary_parts(samples: np.ndarray, summary: SeriesSummary, names: list[str], meta: dict[str, Any]) -> list[str]:
    """Real vs generated paths and autocorrelations, each in a ``div`` with an id."""
    paths_caption = (
        f"Real vs generated sequences: {summary.paths.shape[0]} real training windows (evenly spaced over the "
        f"{summary.windows:,} windows, from <code>real_summary.json</code>) and as many generated sequences "
        f"(seed 0), in {escape(unit_text(meta, names))}, on the same y range."
    )
    generated = f"{SEQUENCES} generated sequences, seed 0"
    caption = escape(acf_caption(meta, summary.max_lag, generated))
    paths = figure_html(paths_png(samples, summary, names), paths_caption, "real and generated paths")
    acf = figure_html(acf_png(samples, summary, names), caption, "real and generated autocorrelations")
    return [f'<div id="series-real-vs-generated">{paths}</div>', f'<div id="series-autocorrelations">{acf}</div>']


def real_contexts(summary: SeriesSummary | None, context_length: int) -> np.ndarray | None:
    """The kept real windows ``(K, T', F)`` whose first ``context_length`` steps can be continued (finite, with at
    least one real step after them), or None when ``real_summary.json`` keeps none."""
    if summary is None or summary.paths.ndim != 3 or summary.paths.shape[1] <= context_length:
        return None
    windows = summary.paths[np.isfinite(summary.paths[:, :context_length]).all(axis=(1, 2))]
    return windows if len(windows) else None


def scenarios_png(windows: np.ndarray, continuations: np.ndarray, context_length: int, names: list[str]) -> bytes:
    """Per feature (rows) and real context (columns): the context, the real continuation and generated ones.

    ``continuations`` is ``(K, M, H, F)``: ``M`` generated continuations of each of the ``K`` contexts.
    """
    from matplotlib.ticker import MaxNLocator

    contexts = min(len(windows), CONTEXTS_SHOWN)
    features = min(windows.shape[2], MAX_FEATURES)
    figure = new_figure(3.2 * contexts, 2.6 * features)
    axes_grid = figure.subplots(features, contexts, squeeze=False, sharex=True)
    real_steps = np.arange(windows.shape[1])
    generated_steps = context_length + np.arange(continuations.shape[2])
    for feature in range(features):
        name = names[feature] if feature < len(names) else f"feature {feature}"
        for column in range(contexts):
            axes = axes_grid[feature][column]
            for path_index, path in enumerate(continuations[column, :CONTINUATIONS_SHOWN, :, feature]):
                axes.plot(generated_steps, path, color=GENERATED_COLOUR, linewidth=0.8, alpha=0.45,
                          label="generated" if path_index == 0 else None)  # fmt: skip
            window = windows[column, :, feature]
            axes.plot(real_steps[:context_length], window[:context_length], color="black", linewidth=1.4,
                      label="context")  # fmt: skip
            axes.plot(real_steps[context_length:], window[context_length:], color=REAL_COLOUR, linewidth=1.6,
                      label="real continuation")  # fmt: skip
            axes.axvline(context_length - 0.5, color="#888888", linewidth=0.8, linestyle=":")
            axes.set_title(f"{name}: context {column + 1}", fontsize=9)
            axes.set_xlabel("step", fontsize=8)
            axes.tick_params(labelsize=7)
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            if feature == 0 and column == 0:
                axes.legend(fontsize=6)
    return figure_to_png(figure)


def scenario_parts(gan: Any, summary: SeriesSummary | None, names: list[str], model_dir: Path) -> list[str]:
    """Context models: generated continuations of real contexts beside the real continuations, and their
    autocorrelations and marginals against the real windows; a note when the folder keeps no real window."""
    meta = gan.meta
    context_length = int(meta["context_length"])
    windows = real_contexts(summary, context_length)
    if summary is None or windows is None:
        reason = (
            "this folder has no real_summary.json"
            if summary is None
            else f"the real windows kept in real_summary.json are not longer than the {context_length}-step context"
        )
        return [
            note_html(
                f"This model continues a context of {context_length} steps; scenario plots need contexts and "
                f"{reason}. Draw scenarios with `polemos series sample {model_dir} --out scenarios.csv "
                "--context FILE.csv`, FILE.csv's last rows being the steps to continue."
            )
        ]
    per_context = max(1, SEQUENCES // len(windows))
    contexts = np.repeat(windows[:, :context_length], per_context, axis=0)
    generated = np.asarray(gan.sample(len(contexts), context=contexts, seed=0), dtype=np.float64)
    continuations = generated.reshape(len(windows), per_context, *generated.shape[1:])
    unit = escape(unit_text(meta, names))
    scenario_caption = (
        f"Scenarios: the first {context_length} steps of {min(len(windows), CONTEXTS_SHOWN)} real training windows "
        f"(black, from <code>real_summary.json</code>) as contexts, their real continuation (grey) and "
        f"{min(per_context, CONTINUATIONS_SHOWN)} generated continuations each (blue, seed 0), in {unit}."
    )
    generated_text = f"{len(contexts)} generated continuations of {generated.shape[1]} steps of the real contexts"
    caption = escape(acf_caption(meta, min(summary.max_lag, acf_max_lag(generated.shape[1])), generated_text))
    scenarios = figure_html(
        scenarios_png(windows, continuations, context_length, names), scenario_caption, "real and generated scenarios"
    )
    acf = figure_html(acf_png(generated, summary, names), caption, "real and generated autocorrelations")
    return [f'<div id="series-scenarios">{scenarios}</div>', f'<div id="series-autocorrelations">{acf}</div>']


def step_text(step: Any) -> str:
    """A step with thousands separators (other values as :func:`format_number` shows them)."""
    return f"{step:,}" if isinstance(step, int) and not isinstance(step, bool) else format_number(step)


def training_parts(summary: dict[str, Any]) -> list[str]:
    """The fit summary as readable (label, value) rows without empty values, and the generator selection
    history as a step / score table with the kept step marked."""
    rows = []
    selection = [entry for entry in summary.get("selection") or [] if isinstance(entry, list | tuple)]
    selection = [entry for entry in selection if len(entry) >= 2]  # [step, score] of each check
    for key, value in summary.items():
        if key in HIDDEN_TRAINING_FIELDS or value is None or value in ([], {}, ""):
            continue
        if key == "selected_step" and selection:
            continue  # marked in the selection table
        if key in ("seconds", "fit_seconds") and isinstance(value, int | float):
            text = f"{value:.1f}"
        else:
            text = step_text(value)
        rows.append([escape(TRAINING_LABELS.get(key, key.replace("_", " "))), escape(text)])
    parts = [table_html(("training", "value"), rows)] if rows else []
    if selection:
        kept = summary.get("selected_step")
        selection_rows = [
            [
                escape(step_text(step) + (" (kept)" if step == kept else "")),
                # five digits: neighbouring checks often differ in the fourth
                escape(f"{score:.5g}" if isinstance(score, int | float) else "—"),
            ]
            for step, score, *_ in selection
        ]
        table = table_html(("step", "selection score (lower is better)"), selection_rows, "selection")
        opened = " open" if len(selection) <= 20 else ""  # a long history stays folded
        parts.append(
            f"<details{opened}><summary>Generator selection: {len(selection)} checks, kept the generator of "
            f"step {escape(step_text(kept))}</summary>{table}</details>"
        )
    return parts


def series_sections(run: RunContents) -> list[Section]:
    """Training summary, generated paths (or scenarios of a context model) and autocorrelations of a saved
    SeriesGAN."""
    parts = []
    training = run.config.get("summary") or {}
    if isinstance(training, dict) and training:
        parts.extend(training_parts(training))
    try:
        from polemos.series.model import SeriesGAN

        gan = SeriesGAN.load(run.run_dir)
        summary = getattr(gan, "real_summary", None)
        names = [str(name) for name in (gan.meta.get("columns") or (summary.columns if summary else ()))]
        if gan.meta.get("context_length"):  # only continuations of a context can be drawn
            parts.extend(scenario_parts(gan, summary, names, run.run_dir))
            return [Section("series", "Series", "".join(parts))]
        samples = np.asarray(gan.sample(SEQUENCES, seed=0), dtype=np.float64)
    except Exception as error:  # another version's model: the summary still shows
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        parts.append(note_html(f"The model could not be loaded to draw samples ({reason})."))
        return [Section("series", "Series", "".join(parts))]
    meta = gan.meta
    if summary is not None:
        parts.extend(summary_parts(samples, summary, names, meta))
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
            f"{SEQUENCES} generated sequences (seed 0), in {escape(unit_text(meta, names))}. The run folder does "
            "not hold the real series: compare with it using <code>polemos series eval</code>.",
            "generated paths and autocorrelations",
        )
    )
    return [Section("series", "Series", "".join(parts))]
