"""Training curves drawn with matplotlib's Agg canvas into PNG bytes (no pyplot, no global figure state)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from polemos.report.run import HealthEvent

# Alarm kinds get fixed colours so the same kind looks the same on every plot.
EVENT_COLOURS = {
    "nan": "#d62728",
    "rollback": "#9467bd",
    "d_overfit": "#ff7f0e",
    "mode_collapse": "#8c564b",
}
DEFAULT_EVENT_COLOUR = "#e377c2"


@dataclass(frozen=True)
class Curve:
    """One line of a plot.

    Attributes:
        label: Legend text (the statistic's name).
        steps: Generator steps.
        values: Values at those steps; non-finite values are dropped and counted.
    """

    label: str
    steps: Sequence[int]
    values: Sequence[float]


@dataclass(frozen=True)
class Panel:
    """One axes of a figure.

    Attributes:
        title: Axes title.
        curves: Lines drawn.
        ylabel: Y axis label.
        log_scale: Log y axis (used only when every shown value is positive).
        reference_lines: Horizontal dashed lines (e.g. 0 for logits).
        y_limits: Fixed y range, or None for automatic.
        threshold_lines: Horizontal dashed lines with a legend label, as (level, label) (e.g. an alarm
            threshold).
    """

    title: str
    curves: Sequence[Curve]
    ylabel: str = ""
    log_scale: bool = False
    reference_lines: Sequence[float] = ()
    y_limits: tuple[float, float] | None = None
    threshold_lines: Sequence[tuple[float, str]] = ()


def figure_to_png(figure: Any, dpi: int = 96) -> bytes:
    """Encodes a matplotlib figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def new_figure(width: float, height: float) -> Any:
    """A figure bound to the Agg canvas, independent of pyplot's global state and the user's backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")  # titles and labels never overlap
    FigureCanvasAgg(figure)
    return figure


def plot_panels(
    panels: Sequence[Panel],  # one axes each, side by side
    events: Sequence[HealthEvent] = (),  # alarms drawn as vertical lines on every panel
    panel_width: float = 5.2,  # inches per panel
    height: float = 3.2,  # inches per row of panels
    per_row: int | None = None,  # panels per row; None: all in one row
) -> bytes:
    """Draws panels of curves over steps, with health alarms as vertical lines, into PNG bytes."""
    from matplotlib.ticker import MaxNLocator

    columns = min(per_row or len(panels), len(panels))
    rows = math.ceil(len(panels) / columns)
    figure = new_figure(panel_width * columns, height * rows)
    axes_list = [axes for row in figure.subplots(rows, columns, squeeze=False) for axes in row]
    for axes in axes_list[len(panels) :]:
        axes.set_visible(False)  # the empty cells of a last row that is not full
    for axes, panel in zip(axes_list, panels, strict=False):
        dropped = 0
        shown: list[float] = []
        for curve in panel.curves:
            pairs = [(s, v) for s, v in zip(curve.steps, curve.values, strict=True) if math.isfinite(v)]
            dropped += len(curve.values) - len(pairs)
            if not pairs:
                continue
            steps, values = zip(*pairs, strict=True)
            shown.extend(values)
            axes.plot(steps, values, label=curve.label, linewidth=1.4, marker="." if len(steps) < 30 else None)
        for level in panel.reference_lines:
            axes.axhline(level, color="#888888", linewidth=0.8, linestyle="--")
        for level, label in panel.threshold_lines:
            axes.axhline(level, color="#444444", linewidth=1.1, linestyle="--", label=label)
        _draw_events(axes, events)
        if panel.log_scale and shown and min(shown) > 0:
            axes.set_yscale("log")
        if panel.y_limits is not None:
            axes.set_ylim(*panel.y_limits)
        title = panel.title if not dropped else f"{panel.title} ({dropped} non-finite values not drawn)"
        axes.set_title(title, fontsize=10)
        axes.set_xlabel("step")
        if panel.ylabel:
            axes.set_ylabel(panel.ylabel)
        axes.grid(alpha=0.3)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
        if axes.get_legend_handles_labels()[0]:
            axes.legend(fontsize=8, loc="best")
    return figure_to_png(figure)  # bbox_inches="tight" trims the margins: no separate tight_layout pass


def _draw_events(axes: Any, events: Sequence[HealthEvent]) -> None:
    labelled: set[str] = set()
    for event in events:
        colour = EVENT_COLOURS.get(event.kind, DEFAULT_EVENT_COLOUR)
        label = f"alarm: {event.kind}" if event.kind not in labelled else None
        labelled.add(event.kind)
        axes.axvline(event.step, color=colour, linewidth=1.0, linestyle=":", label=label, alpha=0.9)


def metric_histories(records: Sequence[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """(step, value) points of each metric, sorted by step, in order of the metric's first record."""
    by_metric: dict[str, list[tuple[int, float]]] = {}
    for record in records:
        step, value = record.get("step"), record.get("value")
        if isinstance(step, int | float) and isinstance(value, int | float):
            by_metric.setdefault(str(record.get("metric")), []).append((int(step), float(value)))
    return {name: sorted(points) for name, points in by_metric.items()}


def has_history(points: Sequence[tuple[int, float]]) -> bool:
    """True when the points span at least two steps (repeated evaluations at one step are not a history)."""
    return len({step for step, _ in points}) > 1


def plot_metric_history(records: Sequence[dict[str, Any]]) -> bytes | None:
    """Evaluation values over steps, one panel per metric with at least two steps (at most four a row); None
    when no metric has two steps to connect."""
    histories = {name: points for name, points in metric_histories(records).items() if has_history(points)}
    if not histories:
        return None
    panels = [
        Panel(
            title=name,
            curves=[Curve(name, [s for s, _ in points], [v for _, v in points])],
            ylabel="value",
        )
        for name, points in histories.items()
    ]
    rows = math.ceil(len(panels) / 4)
    return plot_panels(panels, panel_width=4.0, per_row=math.ceil(len(panels) / rows))  # rows filled evenly
