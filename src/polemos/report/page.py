"""The self-contained HTML page: sections built from a :class:`RunContents`, images inlined as data URIs.

Nothing on the page refers to the network: styles and the one script are inline, fonts are the system's,
every image is a ``data:image/png;base64`` URI. The inline script also records, in a hidden element, how many
images decoded and which script errors occurred, so a headless browser can check the page
(``tests/report/test_browser.py``).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polemos.metrics.better import BETTER
from polemos.report.run import RunContents, SampleGrid

MAX_SAMPLE_GRIDS = 40  # grids embedded at most, evenly spaced over training (first and last always)
SAMPLE_BYTES_BUDGET = 40 * 2**20  # total PNG bytes of embedded grids; fewer grids are shown above it
MIN_DISPLAY_WIDTH = 384  # small grids are enlarged by a whole factor to at least this many CSS pixels
INTERPOLATION_PAIRS = 4  # rows of the interpolation grid
INTERPOLATION_STEPS = 8  # columns: positions between the two latents, ends included


@dataclass(frozen=True)
class Section:
    """One part of the page.

    Attributes:
        anchor: HTML id, also the navigation link target.
        title: Heading.
        body: HTML content (already escaped).
    """

    anchor: str
    title: str
    body: str


# ------------------------------------------------------------------------------------------------- helpers
def escape(value: Any) -> str:
    """HTML-escapes any value's ``str``."""
    return html.escape(str(value), quote=True)


def png_data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI, so the page needs no other file."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels of PNG bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as picture:
        return picture.size


def display_width(pixel_width: int) -> int:
    """Width to show a pixel-art grid at: enlarged by a whole factor up to ``MIN_DISPLAY_WIDTH``, crisp."""
    return pixel_width * max(1, math.ceil(MIN_DISPLAY_WIDTH / max(pixel_width, 1)))


def figure_html(png: bytes, caption: str, alt: str, css_class: str = "plot") -> str:
    """An inline PNG with a caption."""
    return (
        f'<figure class="{css_class}"><img src="{png_data_uri(png)}" alt="{escape(alt)}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def format_seconds(seconds: float | None) -> str:
    """``1 h 02 min 03 s`` style duration, or an em dash when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{seconds:.1f} s"


def format_number(value: Any) -> str:
    """Four significant digits for floats, as-is for the rest."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)


def table_html(headers: Sequence[str], rows: Sequence[Sequence[str]], css_class: str = "") -> str:
    """A table from escaped cell HTML."""
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def note_html(text: str) -> str:
    """A highlighted note (text is escaped)."""
    return f'<p class="note">{escape(text)}</p>'


def pick_evenly(count: int, wanted: int) -> list[int]:
    """``wanted`` indices of ``range(count)`` spread evenly, first and last included (all when fewer)."""
    if count <= wanted:
        return list(range(count))
    if wanted <= 1:
        return [count - 1]
    return sorted({round(i * (count - 1) / (wanted - 1)) for i in range(wanted)})


# ------------------------------------------------------------------------------------------------- sections
def data_source(run: RunContents) -> str:
    """The training data's source, or "not recorded" when the folder does not say (models saved without it).

    Read from ``config.json`` data.source (image and points runs), ``model.json`` data_source (tabular models)
    or the top-level data_source of a series model's ``config.json``.
    """
    data = run.config.get("data")
    candidates = (
        data.get("source") if isinstance(data, dict) else None,
        run.model.get("data_source"),
        run.config.get("data_source") if run.modality == "series" else None,
    )
    return next((str(source) for source in candidates if source not in (None, "")), "not recorded")


def series_mode(run: RunContents) -> str | None:
    """A series model's mode from its saved meta: "log returns" or "levels", with the context it continues
    ("log returns, continues 8 steps of context"); None for other folders."""
    meta = run.config.get("meta") if run.modality == "series" else None
    if not isinstance(meta, dict):
        return None
    mode = "log returns" if meta.get("returns") else "levels"
    context_length = meta.get("context_length")
    if isinstance(context_length, int) and context_length > 0:
        mode += f", continues {context_length} steps of context"
    return mode


def _stopped_status(run: RunContents) -> str:
    """Why a trainer run ended before its last step, as its last export (model.json) records it."""
    stopped_by = run.model.get("stopped_by") if isinstance(run.model, dict) else None
    if stopped_by == "early_stop":
        return "stopped early (eval.metric stopped improving)"
    if stopped_by == "time":
        train = run.config.get("train") if isinstance(run.config.get("train"), dict) else {}
        limit = train.get("max_time")
        setting = f" (train.max_time = {limit:g} s)" if isinstance(limit, int | float) else ""
        return f"stopped by its time limit{setting}"
    return "in progress, or interrupted before its last step"


def header_html(run: RunContents, generated_at: str) -> str:
    """Run name and a one-line summary: modality, steps, wall time, status."""
    last_step, target = run.last_step, run.target_steps
    steps_text = "—" if last_step is None else f"{last_step:,}"
    if target is not None:
        steps_text += f" of {target:,}"
    if not run.is_trainer_run:
        status = "saved model"
    elif last_step is None:
        status = "no progress logged yet"
    elif target is not None and last_step >= target:
        status = "finished"
    else:
        status = _stopped_status(run)
    facts = [("modality", run.modality)]
    mode = series_mode(run)
    if mode is not None:
        facts.append(("mode", mode))
    facts += [
        ("data", data_source(run)),
        ("steps", steps_text),
        ("wall time", format_seconds(run.wall_seconds)),
        ("status", status),
        ("alarms", str(len(run.events))),
    ]
    items = "".join(f"<div><dt>{escape(name)}</dt><dd>{escape(value)}</dd></div>" for name, value in facts)
    return (
        f"<header><h1>{escape(run.run_dir.resolve().name)}</h1>"
        f'<p class="path">{escape(run.run_dir.resolve())} · report written {escape(generated_at)}</p>'
        f'<dl class="facts">{items}</dl></header>'
    )


def _clip(text: str, limit: int = 100_000) -> str:
    """At most ``limit`` characters, with a marker when cut (a table model's state can be large)."""
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit:,} more characters)"


MODEL_INTERNALS = ("transformer", "slot_frequencies")  # fitted preprocessing state of a tabular model, not settings


JSON_SIGNIFICANT_DIGITS = 6  # floats of the configuration dumps (scaling minima and maxima have 17)


def rounded_floats(value: Any, digits: int = JSON_SIGNIFICANT_DIGITS) -> Any:
    """``value`` with every float (in nested lists and dicts too) rounded to ``digits`` significant digits."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}") if math.isfinite(value) else value
    if isinstance(value, list | tuple):
        return [rounded_floats(item, digits) for item in value]
    if isinstance(value, dict):
        return {key: rounded_floats(item, digits) for key, item in value.items()}
    return value


def json_dump(value: Any) -> str:
    """Indented JSON of a configuration, floats to ``JSON_SIGNIFICANT_DIGITS`` digits, clipped when long."""
    return _clip(json.dumps(rounded_floats(value), indent=2))


def setting_text(value: Any) -> str:
    """A setting's value as short text: ``none``, numbers to four significant digits, lists in brackets."""
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(setting_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value)
    return format_number(value)


def config_section(run: RunContents) -> Section:
    """The resolved config (or a saved model's settings) and the generator metadata without fitted internals."""
    parts = []
    if run.config:
        parts.append(
            "<details><summary>Resolved config (config.json)</summary>"
            f"<pre>{escape(json_dump(run.config))}</pre></details>"
        )
    elif isinstance(run.model.get("config"), dict):  # a saved tabular model keeps its settings in model.json
        rows = [[escape(name), escape(setting_text(value))] for name, value in run.model["config"].items()]
        parts.append(
            "<details open><summary>Model settings (model.json config)</summary>"
            f"{table_html(('setting', 'value'), rows, 'settings')}</details>"
        )
    if run.model:
        hidden = {"config", *MODEL_INTERNALS}
        if run.modality == "tabular":
            hidden.add("report")  # the fit summary has its own table in the Table section
        shown = {key: value for key, value in run.model.items() if key not in hidden}
        left_out = [key for key in MODEL_INTERNALS if key in run.model]
        summary = "Generator metadata (model.json)"
        if left_out:
            summary += f"; fitted preprocessing state ({', '.join(left_out)}) left out"
        parts.append(f"<details><summary>{escape(summary)}</summary><pre>{escape(json_dump(shown))}</pre></details>")
    if not parts:
        parts.append(note_html("No config.json or model.json in this folder yet."))
    return Section("config", "Configuration", "".join(parts))


def choose_samples(samples: Sequence[SampleGrid]) -> tuple[list[SampleGrid], list[bytes]]:
    """Evenly spaced grids under the count and byte budgets, with their bytes (unreadable files dropped)."""
    wanted = MAX_SAMPLE_GRIDS
    while True:
        chosen = [samples[index] for index in pick_evenly(len(samples), wanted)]
        sizes = [grid.path.stat().st_size if grid.path.exists() else 0 for grid in chosen]
        if sum(sizes) <= SAMPLE_BYTES_BUDGET or wanted <= 2:
            break
        wanted = max(2, wanted // 2)
    kept: list[SampleGrid] = []
    contents: list[bytes] = []
    for grid in chosen:
        try:
            png = grid.path.read_bytes()
            png_size(png)  # a grid being replaced right now may not decode; skip it
        except (OSError, ValueError, SyntaxError):
            continue
        kept.append(grid)
        contents.append(png)
    return kept, contents


def samples_section(run: RunContents) -> Section:
    """The grid at a chosen step (slider, or click a thumbnail), and the strip of all embedded grids."""
    if not run.samples:
        return Section("samples", "Samples over training", note_html("No sample grids in samples/ yet."))
    grids, contents = choose_samples(run.samples)
    if not grids:
        return Section("samples", "Samples over training", note_html("The sample grids could not be read."))
    last = len(grids) - 1
    width, _ = png_size(contents[last])
    thumbs = "".join(
        f'<img class="thumb{" current" if index == last else ""}" src="{png_data_uri(png)}" '
        f'data-index="{index}" data-step="{grid.step}" alt="samples at step {grid.step}" '
        f'title="step {grid.step:,}">'
        for index, (grid, png) in enumerate(zip(grids, contents, strict=True))
    )
    omitted = len(run.samples) - len(grids)
    omitted_text = (
        f" {omitted} of the {len(run.samples)} grids in samples/ are left out to keep the page small."
        if omitted
        else ""
    )
    body = (
        '<div class="sample-viewer">'
        f'<img id="sample-main" class="pixel" src="{png_data_uri(contents[last])}" '
        f'style="width:{display_width(width)}px" alt="samples at step {grids[last].step}">'
        '<div class="sample-controls">'
        f'<label for="sample-slider">step <output id="sample-step">{grids[last].step:,}</output></label>'
        f'<input type="range" id="sample-slider" min="0" max="{last}" value="{last}" step="1">'
        "</div></div>"
        f'<div class="strip" id="sample-strip">{thumbs}</div>'
        f'<p class="caption">Fixed latents, so the same cell shows the same latent at every step '
        f"(EMA generator when the run uses EMA).{escape(omitted_text)}</p>"
    )
    return Section("samples", "Samples over training", body)


def interpolation_section(run: RunContents) -> Section | None:
    """Image runs: generated images along great circles between fixed latent pairs (None for other runs)."""
    if run.modality != "images":
        return None
    title = "Latent interpolations"
    if not (run.run_dir / "generator.safetensors").is_file():
        return Section("interpolations", title, note_html("No generator.safetensors yet (first checkpoint)."))
    try:
        import polemos
        from polemos.report.interpolation import interpolation_images, interpolation_png

        sampler = polemos.load(run.run_dir)
        images = interpolation_images(sampler, pairs=INTERPOLATION_PAIRS, steps=INTERPOLATION_STEPS)
        png = interpolation_png(images, INTERPOLATION_STEPS)
    except Exception as error:  # a generator being written or from another version: the rest still renders
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return Section("interpolations", title, note_html(f"The generator could not be loaded ({reason})."))
    width, _ = png_size(png)
    step = run.model.get("step")
    caption = (
        f"Each row walks from one random latent to another on a great circle (spherical interpolation, "
        f"{INTERPOLATION_STEPS} steps, fixed seed), generator of step {escape(step)}; "
        "smooth rows suggest a generator that does not memorise single samples."
    )
    body = (
        f'<figure><img class="pixel" src="{png_data_uri(png)}" style="width:{display_width(width)}px" '
        f'alt="latent interpolations"><figcaption>{caption}</figcaption></figure>'
    )
    return Section("interpolations", title, body)


def _curve(run: RunContents, name: str) -> Any:
    from polemos.report.plots import Curve

    steps, values = run.series(name)
    return Curve(name, steps, values)


def curves_section(run: RunContents) -> Section:
    """Losses (with alarms), discriminator logits, E[sign(D(real))], gradient norms, speed, other statistics."""
    from polemos.report.plots import Panel, plot_panels

    names = [name for name in run.statistic_names() if name != "Time/seconds"]
    if not names:
        return Section(
            "curves",
            "Training curves",
            note_html(
                "No training statistics yet: metrics.jsonl is absent or empty until the first logging "
                "interval (train.log_every steps). Re-run `polemos report` later to see the curves."
            ),
        )
    used: set[str] = set()
    figures: list[str] = []

    def take(predicate: Callable[[str], bool]) -> list[str]:
        picked = [name for name in names if name not in used and predicate(name)]
        used.update(picked)
        return picked

    loss_panels = []
    for player, title in (("D", "Discriminator loss terms"), ("G", "Generator loss terms")):
        picked = take(lambda name, player=player: name.startswith(f"Loss/{player}/"))
        if picked:
            loss_panels.append(Panel(title, [_curve(run, name) for name in picked], ylabel="loss"))
    other_losses = take(lambda name: name.startswith("Loss/"))
    if other_losses:
        loss_panels.append(Panel("Other loss terms", [_curve(run, name) for name in other_losses]))
    if loss_panels:
        alarm_text = " Dotted vertical lines mark health alarms (see the table below)." if run.events else ""
        figures.append(
            figure_html(
                plot_panels(loss_panels, run.events),
                f"Losses by player and term, averaged over each logging interval.{alarm_text}",
                "loss curves",
            )
        )

    sign_names = take(lambda name: name.startswith("Logits/") and "/sign" in name)
    logit_names = take(lambda name: name.startswith("Logits/"))
    logit_panels = []
    if logit_names:
        logit_panels.append(
            Panel("Discriminator logits", [_curve(run, name) for name in logit_names], "mean logit", False, (0.0,))
        )
    if sign_names:
        logit_panels.append(
            Panel(
                "E[sign(D(real))]",
                [_curve(run, name) for name in sign_names],
                "mean sign",
                False,
                (0.0, 0.6),
                (-1.05, 1.05),
            )
        )
    if logit_panels:
        figures.append(
            figure_html(
                plot_panels(logit_panels, run.events),
                "Mean D logits on real and generated batches; a gap that keeps widening means D is winning. "
                "E[sign(D(real))] near 1 means D is sure of every real sample, a sign of overfitting "
                "(adaptive augmentation aims at 0.6).",
                "discriminator logits",
            )
        )

    grad_names = take(lambda name: name.startswith("Grad/"))
    speed_names = take(lambda name: name.startswith("Speed/"))
    throughput_panels = []
    if grad_names:
        throughput_panels.append(
            Panel("Gradient norms", [_curve(run, name) for name in grad_names], "norm", log_scale=True)
        )
    if speed_names:
        throughput_panels.append(Panel("Speed", [_curve(run, name) for name in speed_names], "samples / s"))
    if throughput_panels:
        figures.append(
            figure_html(
                plot_panels(throughput_panels, run.events),
                "Gradient norms before clipping (when logged) and training throughput.",
                "gradient norms and speed",
            )
        )

    remaining = [name for name in names if name not in used]
    groups: dict[str, list[str]] = {}
    for name in remaining:
        groups.setdefault(name.split("/", 1)[0], []).append(name)
    group_items = list(groups.items())
    threshold = collapse_threshold(run)
    for start in range(0, len(group_items), 2):  # two panels per figure
        chunk = group_items[start : start + 2]
        panels = []
        caption = "Other statistics: " + escape(", ".join(prefix for prefix, _ in chunk)) + "."
        for prefix, members in chunk:
            lines: tuple[tuple[float, str], ...] = ()
            if DIVERSITY_STATISTIC in members:
                lines = ((threshold, f"collapse threshold {format_number(threshold)}"),)
                caption += " " + escape(diversity_caption(threshold))
            panels.append(Panel(prefix, [_curve(run, name) for name in members], threshold_lines=lines))
        figures.append(figure_html(plot_panels(panels, run.events), caption, "other statistics"))
    return Section("curves", "Training curves", "".join(figures))


DIVERSITY_STATISTIC = "Health/diversity"  # logged by the trainer's health monitor, checked against the threshold


def collapse_threshold(run: RunContents) -> float:
    """The mode-collapse alarm's threshold: health.collapse_threshold of the run's config, else the default."""
    health = run.config.get("health")
    value = health.get("collapse_threshold") if isinstance(health, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    from polemos.config import HealthConfig

    return float(HealthConfig().collapse_threshold)


def diversity_caption(threshold: float) -> str:
    """What the Health/diversity curve is and when its alarm fires."""
    return (
        f"{DIVERSITY_STATISTIC}: sample diversity divided by the data's (mean pairwise distance); the "
        f"mode-collapse alarm fires below health.collapse_threshold ({format_number(threshold)}, dashed line)."
    )


EVALUATION_FIELDS = (  # (field of an evaluation record, column header)
    ("step", "step"),
    ("metric", "metric"),
    ("value", "value"),
    ("extra", "companion values"),
    ("extractor_id", "extractor"),
    ("extractor_hash", "extractor hash"),
    ("n_generated", "generated samples"),
    ("n_reference", "reference samples"),
    ("reference_split", "reference split"),
    ("seed", "seed"),
    ("wall_time", "seconds"),
)
DIRECTION_COLUMN = [name for name, _ in EVALUATION_FIELDS].index("value") + 1  # "better" follows the value
EVALUATION_PROTOCOL = ("step", "extractor_hash", "n_generated", "n_reference", "reference_split", "seed")


def number_evaluations(records: Sequence[dict[str, Any]]) -> list[int]:
    """The evaluation (1, 2, ...) each record belongs to, in file order.

    Records carry no time stamp, so the values appended together share a number: a new evaluation starts
    when a metric repeats or the step or protocol changes.
    """
    numbers: list[int] = []
    metrics: set[str] = set()
    protocol: tuple[Any, ...] | None = None
    for record in records:
        record_protocol = tuple(record.get(name) for name in EVALUATION_PROTOCOL)
        metric = str(record.get("metric"))
        if not numbers or metric in metrics or record_protocol != protocol:
            metrics, protocol = set(), record_protocol
            numbers.append((numbers[-1] if numbers else 0) + 1)
        else:
            numbers.append(numbers[-1])
        metrics.add(metric)
    return numbers


def evaluation_cell(name: str, value: Any) -> str:
    """One cell of the evaluation table (escaped HTML)."""
    if name == "extractor_hash" and isinstance(value, str) and len(value) > 12:
        return f'<code title="{escape(value)}">{escape(value[:12])}…</code>'
    if name == "extra" and isinstance(value, dict) and value:
        return escape(", ".join(f"{key}={format_number(item)}" for key, item in value.items()))
    if name == "wall_time" and isinstance(value, int | float):
        return escape(f"{value:.2f}")
    if value is None or value == {}:
        return "—"
    return escape(format_number(value))


def evaluation_section(run: RunContents) -> Section:
    """Evaluation values with their protocol (extractor and hash, sample counts, split, seed) and history."""
    from polemos.report.plots import has_history, metric_histories, plot_metric_history

    if not run.evaluations:
        return Section("evaluation", "Evaluation", note_html("No evaluation records in metrics.jsonl."))
    numbered = list(zip(number_evaluations(run.evaluations), run.evaluations, strict=True))
    ordered = sorted(  # stable: an evaluation's metrics stay in the order they were written
        numbered,
        key=lambda item: (item[1].get("step") if isinstance(item[1].get("step"), int | float) else -1, item[0]),
    )
    rows = []
    for number, record in ordered:
        cells = [evaluation_cell(name, record.get(name)) for name, _ in EVALUATION_FIELDS]
        direction = BETTER.get(str(record.get("metric")).lower(), "")
        cells.insert(DIRECTION_COLUMN, escape(direction))
        rows.append([escape(f"#{number}"), *cells])
    headers = [label for _, label in EVALUATION_FIELDS]
    headers.insert(DIRECTION_COLUMN, "better")
    headers.insert(0, "evaluation")
    body = table_html(headers, rows, "evaluation")
    body += (
        '<p class="caption">Rows with the same evaluation number were computed together (one '
        "<code>polemos eval</code>, or one evaluation during training), numbered in the order they were "
        "written; better: which values are better for that metric (1nn: the accuracy of telling real from "
        "generated by the nearest neighbour, 0.5 when they cannot be told apart); seconds: time spent "
        "computing the value.</p>"
    )
    histories = metric_histories(run.evaluations)
    drawn = [name for name, points in histories.items() if has_history(points)]
    single = [name for name in histories if name not in drawn]
    history = plot_metric_history(run.evaluations)
    if history is not None:
        caption = f"Evaluation values over training: {', '.join(drawn)}."
        if single:
            caption += f" Not drawn (measured at a single step): {', '.join(single)}."
        body += figure_html(history, escape(caption), "evaluation history")
    elif histories:
        body += '<p class="caption">No history plot: every evaluation is at a single step.</p>'
    return Section("evaluation", "Evaluation", body)


def alarms_section(run: RunContents) -> Section:
    """Health alarms of events.jsonl, in step order."""
    from polemos.report.plots import DEFAULT_EVENT_COLOUR, EVENT_COLOURS

    if not run.events:
        text = (
            "No health alarms."
            if (run.run_dir / "events.jsonl").is_file()
            else "No health alarms (no events.jsonl: none raised, or the run predates the health monitor)."
        )
        return Section("alarms", "Health alarms", f'<p class="ok">{escape(text)}</p>')
    rows = [
        [
            escape(f"{event.step:,}"),
            f'<span class="badge" style="background:{EVENT_COLOURS.get(event.kind, DEFAULT_EVENT_COLOUR)}">'
            f"{escape(event.kind)}</span>",
            escape(event.message),
        ]
        for event in sorted(run.events, key=lambda event: event.step)
    ]
    return Section("alarms", "Health alarms", table_html(("step", "kind", "message"), rows, "alarms"))


# ------------------------------------------------------------------------------------------------- page
STYLE = """
:root { --ink:#1d2430; --muted:#5d6875; --line:#d9dee5; --panel:#f6f8fa; --accent:#2f6fb3; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color:var(--ink); background:#fff; line-height:1.45; }
header { padding:20px 32px 12px; border-bottom:1px solid var(--line); background:var(--panel); }
h1 { margin:0 0 2px; font-size:1.6rem; }
h2 { font-size:1.2rem; margin:0 0 12px; padding-bottom:4px; border-bottom:1px solid var(--line); }
.path { margin:0 0 10px; color:var(--muted); font-size:.85rem; word-break:break-all; }
.facts { display:flex; flex-wrap:wrap; gap:8px 28px; margin:0; }
.facts dt { font-size:.72rem; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); }
.facts dd { margin:0; font-weight:600; }
nav { position:sticky; top:0; background:#fff; border-bottom:1px solid var(--line); padding:8px 32px; z-index:2; }
nav a { color:var(--accent); text-decoration:none; margin-right:18px; font-size:.92rem; }
main { padding:8px 32px 40px; max-width:1500px; }
section { margin:22px 0 30px; }
figure { margin:0 0 18px; }
figure img { max-width:100%; height:auto; display:block; }
figcaption, .caption { color:var(--muted); font-size:.86rem; margin-top:4px; max-width:900px; }
.pixel { image-rendering: pixelated; image-rendering: crisp-edges; max-width:100%; }
.sample-viewer { display:flex; flex-direction:column; gap:8px; align-items:flex-start; }
.sample-controls { display:flex; align-items:center; gap:12px; width:min(100%, 640px); }
.sample-controls input { flex:1; }
.sample-controls label { white-space:nowrap; font-variant-numeric:tabular-nums; }
.strip { display:flex; gap:6px; overflow-x:auto; padding:8px 0; margin-top:6px; }
.thumb { height:72px; image-rendering:pixelated; cursor:pointer; border:2px solid transparent; border-radius:3px; }
.thumb.current { border-color:var(--accent); }
details { margin:6px 0; border:1px solid var(--line); border-radius:6px; padding:6px 10px; background:var(--panel); }
summary { cursor:pointer; font-weight:600; }
pre { font-size:.8rem; overflow:auto; max-height:480px; margin:8px 0 2px; }
table { border-collapse:collapse; font-size:.86rem; margin:4px 0 14px; }
th, td { border:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
th { background:var(--panel); }
td { font-variant-numeric:tabular-nums; }
.note { background:#fff7e0; border:1px solid #f0d58a; padding:8px 12px; border-radius:6px; max-width:900px; }
.ok { color:#2b7a3d; }
.badge { color:#fff; border-radius:10px; padding:1px 8px; font-size:.8rem; white-space:nowrap; }
footer { color:var(--muted); font-size:.8rem; padding:12px 32px 24px; border-top:1px solid var(--line); }
"""

# Installed first, in <head>: every later script error is counted, even one raised before the page script.
ERROR_CAPTURE_SCRIPT = """
window.__reportErrors = [];
window.onerror = function (message, source, line) {
  window.__reportErrors.push(String(message) + " (line " + line + ")");
};
"""

PAGE_SCRIPT = r"""
(function () {
  var slider = document.getElementById("sample-slider");
  var main = document.getElementById("sample-main");
  var thumbs = Array.prototype.slice.call(document.querySelectorAll("#sample-strip .thumb"));
  var stepOutput = document.getElementById("sample-step");
  function show(index) {
    var thumb = thumbs[index];
    if (!thumb || !main) { return; }
    main.src = thumb.src;
    main.alt = thumb.alt;
    if (stepOutput) { stepOutput.textContent = Number(thumb.dataset.step).toLocaleString("en-US"); }
    thumbs.forEach(function (other) { other.classList.toggle("current", other === thumb); });
  }
  if (slider) {
    slider.addEventListener("input", function () { show(Number(slider.value)); });
  }
  thumbs.forEach(function (thumb) {
    thumb.addEventListener("click", function () {
      if (slider) { slider.value = thumb.dataset.index; }
      show(Number(thumb.dataset.index));
    });
  });
  // report.html#sample=3 opens on the 4th embedded grid (a link to a moment of training)
  var linked = /sample=(\d+)/.exec(window.location.hash);
  if (linked && slider && Number(linked[1]) < thumbs.length) {
    slider.value = linked[1];
    show(Number(linked[1]));
  }
  // Self-check for headless browsers: images decoded and script errors, written into #report-check.
  function check() {
    var images = Array.prototype.slice.call(document.images);
    var loaded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; });
    var box = document.getElementById("report-check");
    box.setAttribute("data-images-total", String(images.length));
    box.setAttribute("data-images-loaded", String(loaded.length));
    box.setAttribute("data-errors", String(window.__reportErrors.length));
    box.setAttribute("data-error-messages", window.__reportErrors.join(" | "));
    box.setAttribute("data-ready", "1");
  }
  if (document.readyState === "complete") { check(); } else { window.addEventListener("load", check); }
})();
"""


def page_html(run: RunContents, sections: Sequence[Section], notes: Sequence[str], generated_at: str) -> str:
    """The whole document."""
    from polemos import __version__

    navigation = "".join(f'<a href="#{section.anchor}">{escape(section.title)}</a>' for section in sections)
    notes_html = "".join(note_html(text) for text in notes)
    body = "".join(
        f'<section id="{section.anchor}"><h2>{escape(section.title)}</h2>{section.body}</section>'
        for section in sections
    )
    title = f"polemos report · {run.run_dir.resolve().name}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f"<script>{ERROR_CAPTURE_SCRIPT}</script><style>{STYLE}</style></head><body>"
        f"{header_html(run, generated_at)}<nav>{navigation}</nav><main>{notes_html}{body}</main>"
        f"<footer>polemos {escape(__version__)} · self-contained report: no file or network access needed; "
        "regenerate with <code>polemos report RUN</code>.</footer>"
        '<div id="report-check" hidden data-ready="0"></div>'
        f"<script>{PAGE_SCRIPT}</script></body></html>\n"
    )


SectionBuilder = Callable[[RunContents], "Section | Sequence[Section] | None"]


def build_sections(run: RunContents, extra_builders: Sequence[SectionBuilder] = ()) -> tuple[list[Section], list[str]]:
    """All sections in page order, and notes about parts that failed (a failing part never stops the page)."""
    builders: list[tuple[str, SectionBuilder]] = [
        ("config", config_section),
        ("samples", samples_section),
        ("interpolations", interpolation_section),
        *[(getattr(builder, "__name__", "modality"), builder) for builder in extra_builders],
        ("curves", curves_section),
        ("alarms", alarms_section),
        ("evaluation", evaluation_section),
    ]
    sections: list[Section] = []
    notes: list[str] = list(run.notes)
    if run.skipped_lines:
        notes.append(
            f"{run.skipped_lines} line(s) of metrics.jsonl/events.jsonl did not parse and were skipped "
            "(a line being written while the report was built, or a damaged file)."
        )
    trainer_run = run.is_trainer_run
    optional = {"samples": bool(run.samples), "curves": bool(run.training_rows), "alarms": bool(run.events)}
    optional["evaluation"] = bool(run.evaluations)
    for name, builder in builders:
        if not trainer_run and not optional.get(name, True):
            continue  # a model folder (tabular, series): leave out the trainer's parts it cannot have
        try:
            built = builder(run)
        except Exception as error:  # one broken part must not hide the rest of a live report
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            notes.append(f"The {name} part could not be drawn ({type(error).__name__}: {reason}).")
            continue
        if built is None:
            continue
        sections.extend([built] if isinstance(built, Section) else built)
    return sections, notes


def render_report(run: RunContents, extra_builders: Sequence[SectionBuilder] = ()) -> str:
    """The report of ``run`` as one HTML string."""
    generated_at = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    sections, notes = build_sections(run, extra_builders)
    return page_html(run, sections, notes, generated_at)


def output_path(run_dir: Path) -> Path:
    """Where the report of a run folder goes."""
    return Path(run_dir) / "report.html"
