"""The HTML report: self-contained, shows every part a run folder holds, copes with partial and bad folders."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from pathlib import Path

import pytest
import torch
from PIL import Image

from polemos.errors import PolemosError
from polemos.report import write_report
from polemos.report.interpolation import slerp
from polemos.report.page import MAX_SAMPLE_GRIDS, display_width, pick_evenly
from polemos.report.run import read_run

THUMBNAIL = re.compile(r'<img class="thumb[^"]*" src="data:image/png;base64,[^"]+" data-index="\d+" data-step="(\d+)"')
DATA_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def thumbnails(page: str) -> list[str]:
    """The step of every thumbnail in the sample strip, in order."""
    return re.findall(THUMBNAIL, page)


def decoded_images(page: str) -> list[Image.Image]:
    images = []
    for payload in DATA_URI.findall(page):
        picture = Image.open(io.BytesIO(base64.b64decode(payload)))
        picture.load()  # raises on a truncated or corrupt PNG
        images.append(picture)
    return images


def test_report_is_self_contained_and_embeds_every_part(fake_report: tuple[Path, str]) -> None:
    fake_run, page = fake_report
    assert (fake_run / "report.html").read_text(encoding="utf-8") == page
    # no reference that would need the network or another file: every src/href is a data URI or an anchor
    references = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
    assert references and all(ref.startswith(("data:image/png;base64,", "#")) for ref in references)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", page)
    assert "@import" not in page and "<link" not in page and "url(" not in page
    # 3 grids in the strip + the shown grid + 3 figures (losses, logits/sign, gradients/speed) + 1 (Health)
    assert thumbnails(page) == ["20", "40", "60"]
    images = decoded_images(page)
    assert len(images) == 3 + 1 + 3 + 1
    assert all(image.format == "PNG" and image.width > 0 for image in images)
    # the grid shown first is the last one, byte for byte
    last_grid = base64.b64encode((fake_run / "samples" / "step_0000060.png").read_bytes()).decode()
    assert f'id="sample-main" class="pixel" src="data:image/png;base64,{last_grid}"' in page
    assert 'type="range" id="sample-slider" min="0" max="2" value="2"' in page
    # header: name, modality, steps of target, wall time (last Time/seconds = 120 s)
    assert "<h1>fake_run</h1>" in page
    assert "<dd>images</dd>" in page and "<dd>60 of 100</dd>" in page and "<dd>2 min 00 s</dd>" in page
    assert "in progress" in page
    # config (collapsed) and the torn metrics line reported, not fatal
    assert "<details><summary>Resolved config (config.json)</summary>" in page
    assert "&quot;sample_every&quot;: 20" in page
    assert "1 line(s) of metrics.jsonl/events.jsonl did not parse" in page


def test_alarms_are_listed_escaped_and_marked_on_the_loss_plot(fake_report: tuple[Path, str]) -> None:
    _, page = fake_report
    alarms = page.split('id="alarms"', 1)[1].split("</section>", 1)[0]
    assert "E[sign(D(real))] stayed above 0.9; raise game.augment" in alarms
    assert "rolled back &amp; lowered lr &lt;quickly&gt;" in alarms  # escaped, not markup
    assert alarms.index("d_overfit") < alarms.index(">nan<")  # step order
    assert "Dotted vertical lines mark health alarms" in page
    assert "<dd>2</dd>" in page  # alarm count in the header


def test_evaluation_table_shows_the_protocol(fake_report: tuple[Path, str]) -> None:
    _, page = fake_report
    evaluation = page.split('id="evaluation"', 1)[1].split("</section>", 1)[0]
    headers = re.findall(r"<th>([^<]+)</th>", evaluation)
    assert headers == [
        "evaluation", "step", "metric", "value", "better", "companion values", "extractor", "extractor hash",
        "generated samples", "reference samples", "reference split", "seed", "seconds",
    ]  # fmt: skip
    cells = re.findall(r"<td>(.*?)</td>", evaluation)
    assert cells[:7] == ["#1", "60", "fid", "12.5", "↓ lower", "fid_std=0.5", "domain-cnn-1x8x8-10classes"]
    assert "0123456789ab…" in cells[7]
    assert cells[8:] == ["1000", "500", "digits/test", "7", "1.25"]


PRDC_METRICS = ("fid", "kid", "precision", "recall", "density", "coverage")  # what `--metrics fid,kid,prdc` writes


def evaluation_records(step: int, metrics: tuple[str, ...] = PRDC_METRICS) -> list[dict]:
    """The records one `polemos eval` appends at ``step``: one per metric, same protocol."""
    protocol = {
        "kind": "eval",
        "extractor_id": "pixels",
        "extractor_hash": "ab",
        "n_generated": 200,
        "n_reference": 1797,
        "reference_split": "train:digits",
        "seed": 0,
        "wall_time": 0.1,
        "extra": {},
    }
    return [{**protocol, "metric": metric, "value": 0.5 + step / 100, "step": step} for metric in metrics]


def evaluated_run_page(run_dir: Path, run_factory, records: list[dict]) -> str:
    """The evaluation section of a fake run whose metrics.jsonl holds only ``records``."""
    make_fake_run, _ = run_factory
    make_fake_run(run_dir, metrics=False, events=False)
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    page = write_report(run_dir).read_text(encoding="utf-8")
    return page.split('id="evaluation"', 1)[1].split("</section>", 1)[0]


def test_repeated_evaluations_at_one_step_are_numbered_and_not_a_history(tmp_path: Path, run_factory) -> None:
    # `polemos eval` run twice on the same generator: same step, same protocol, same metrics
    evaluation = evaluated_run_page(tmp_path / "run", run_factory, evaluation_records(20) + evaluation_records(20))
    first_cells = re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>", evaluation)
    assert first_cells == [(f"#{number}", metric) for number in (1, 2) for metric in PRDC_METRICS]
    assert 'alt="evaluation history"' not in evaluation  # two dots at one step are not a curve
    assert "No history plot: every evaluation is at a single step." in evaluation


def test_evaluation_table_says_which_values_are_better(tmp_path: Path, run_factory) -> None:
    records = evaluation_records(20, (*PRDC_METRICS, "1nn", "inception_score"))
    evaluation = evaluated_run_page(tmp_path / "run", run_factory, records)
    directions = re.findall(r"<tr><td>#1</td><td>20</td><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>", evaluation)
    assert directions == [
        ("fid", "↓ lower"), ("kid", "↓ lower"), ("precision", "↑ higher"), ("recall", "↑ higher"),
        ("density", "↑ higher (~1 for one law)"), ("coverage", "↑ higher"), ("1nn", "0.5 best"),
        ("inception_score", ""),  # a metric the report does not know: no claim
    ]  # fmt: skip


def test_evaluation_history_draws_every_metric_with_two_steps(tmp_path: Path, run_factory) -> None:
    records = evaluation_records(20) + evaluation_records(40, PRDC_METRICS[:1] + PRDC_METRICS[2:])  # no kid at 40
    evaluation = evaluated_run_page(tmp_path / "run", run_factory, records)
    assert 'alt="evaluation history"' in evaluation
    assert "over training: fid, precision, recall, density, coverage." in evaluation
    assert "Not drawn (measured at a single step): kid." in evaluation


def test_metric_history_has_one_panel_per_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    from polemos.report import plots

    figures = []
    monkeypatch.setattr(plots, "figure_to_png", lambda figure: figures.append(figure) or b"png")
    records = evaluation_records(20) + evaluation_records(40)
    assert plots.plot_metric_history(records) == b"png"
    visible = [axes for axes in figures[0].axes if axes.get_visible()]
    assert [axes.get_title() for axes in visible] == list(PRDC_METRICS)  # 2 rows of 3, none left out
    # the same step evaluated twice, for every metric: nothing to connect
    assert plots.plot_metric_history(evaluation_records(20) + evaluation_records(20)) is None


def test_reading_a_live_run_parses_non_finite_values_and_skips_torn_lines(fake_run: Path) -> None:
    run = read_run(fake_run)
    assert [row["step"] for row in run.training_rows] == [10, 20, 30, 40, 50, 60]
    steps, norms = run.series("Grad/D/norm")
    assert steps == [10, 20, 30, 40, 50, 60] and math.isnan(norms[4]) and norms[0] == 2.0
    assert run.skipped_lines == 1 and len(run.evaluations) == 1
    assert [(event.step, event.kind) for event in run.events] == [(30, "d_overfit"), (50, "nan")]
    assert run.last_step == 60 and run.target_steps == 100 and run.wall_seconds == 120.0


def test_run_without_metrics_renders_config_and_samples_with_a_note(tmp_path: Path, run_factory) -> None:
    make_fake_run, _ = run_factory
    run_dir = make_fake_run(tmp_path / "young_run", metrics=False, events=False)
    page = write_report(run_dir).read_text(encoding="utf-8")
    assert "No training statistics yet" in page
    assert thumbnails(page) == ["20", "40", "60"]
    assert "Resolved config (config.json)" in page
    assert "No health alarms (no events.jsonl" in page
    assert "No evaluation records" in page
    assert "<dd>60 of 100</dd>" in page  # the step comes from the grids and model.json
    assert len(decoded_images(page)) == 4  # the grids only: no plots without metrics


def test_metrics_only_folder_is_a_run(tmp_path: Path) -> None:
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 5, "Loss/D/adversarial": 0.7}) + "\n")
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "No sample grids in samples/ yet" in page and "No config.json or model.json" in page
    assert len(decoded_images(page)) == 1  # the loss plot


def test_non_run_folders_are_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a run")
    with pytest.raises(PolemosError, match=r"is not a polemos run folder; pass the --out folder"):
        write_report(tmp_path)
    with pytest.raises(PolemosError, match="is not a polemos run folder"):
        write_report(tmp_path / "missing")
    assert not (tmp_path / "report.html").exists()


def test_many_grids_are_thinned_evenly_keeping_first_and_last(tmp_path: Path, run_factory) -> None:
    make_fake_run, write_sample_grid = run_factory
    run_dir = make_fake_run(tmp_path / "long_run", metrics=False)  # no plots: faster
    for step in range(80, 80 + 20 * 50, 20):  # 3 + 50 = 53 grids
        write_sample_grid(run_dir / "samples" / f"step_{step:07d}.png", step)
    page = write_report(run_dir).read_text(encoding="utf-8")
    steps = [int(step) for step in thumbnails(page)]
    assert len(steps) == MAX_SAMPLE_GRIDS and steps[0] == 20 and steps[-1] == 1060
    assert steps == sorted(set(steps))
    assert "13 of the 53 grids in samples/ are left out" in page


def test_report_is_replaced_atomically(tmp_path: Path, run_factory) -> None:
    fake_run = run_factory[0](tmp_path / "run", metrics=False)
    (fake_run / "report.html").write_text("old")
    write_report(fake_run)
    assert (fake_run / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(path.name for path in fake_run.iterdir() if path.name.startswith(".")) == []


def test_pick_evenly_hand_values() -> None:
    assert pick_evenly(3, 5) == [0, 1, 2]
    assert pick_evenly(11, 3) == [0, 5, 10]
    assert pick_evenly(10, 4) == [0, 3, 6, 9]
    assert pick_evenly(7, 1) == [6]
    assert display_width(265) == 530 and display_width(400) == 400 and display_width(100) == 400


def test_slerp_closed_forms() -> None:
    start = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    end = torch.tensor([[0.0, 1.0], [6.0, 0.0]])  # orthogonal pair; parallel pair
    path = slerp(start, end, torch.tensor([0.0, 0.5, 1.0]))
    assert path.shape == (2, 3, 2)
    half = 1.0 / math.sqrt(2.0)
    # orthogonal unit vectors: halfway is the unit bisector (norm 1), ends are the inputs
    torch.testing.assert_close(path[0], torch.tensor([[1.0, 0.0], [half, half], [0.0, 1.0]]))
    # parallel latents: sin(w) = 0, so the path is the straight line 3 -> 4.5 -> 6
    torch.testing.assert_close(path[1], torch.tensor([[3.0, 0.0], [4.5, 0.0], [6.0, 0.0]]))
    # a 60-degree arc at t = 1/3 is 20 degrees from the start
    angle_path = slerp(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.5, math.sqrt(3) / 2]]), torch.tensor([1 / 3]))
    torch.testing.assert_close(angle_path[0, 0], torch.tensor([math.cos(math.pi / 9), math.sin(math.pi / 9)]))


def test_cli_command_prints_the_path_and_refuses_bad_folders(tmp_path: Path, run_factory) -> None:
    import typer
    from typer.testing import CliRunner

    from polemos.report.cli import report_command

    fake_run = run_factory[0](tmp_path / "run", metrics=False)
    app = typer.Typer()
    app.command(name="report")(report_command)
    app.command(name="other")(lambda: None)  # two commands, so `report` is a sub-command as in polemos
    result = CliRunner().invoke(app, ["report", str(fake_run)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(fake_run / "report.html")
    result = CliRunner().invoke(app, ["report", str(tmp_path / "nothing")])
    assert isinstance(result.exception, PolemosError)


def test_real_run_report_with_interpolations(trained_run: Path) -> None:
    page = write_report(trained_run).read_text(encoding="utf-8")
    assert thumbnails(page) == ["3", "6"]
    interpolations = page.split('id="interpolations"', 1)[1].split("</section>", 1)[0]
    assert 'class="note"' not in interpolations
    (payload,) = DATA_URI.findall(interpolations)
    grid = Image.open(io.BytesIO(base64.b64decode(payload)))
    # 4 walks x 8 steps of 8x8 digits, each enlarged x4 to 32 px with 1 px borders: 8*33+1 by 4*33+1
    assert grid.size == (8 * 33 + 1, 4 * 33 + 1)
    assert "<dd>6 of 6</dd>" in page and "<dd>finished</dd>" in page
    assert 'alt="loss curves"' in page and 'alt="discriminator logits"' in page
    assert 'class="note"' not in page.split('id="curves"', 1)[1].split("</section>", 1)[0]


def test_interpolation_is_skipped_when_the_generator_cannot_load(trained_run: Path, tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "broken_run"
    shutil.copytree(trained_run, broken)
    (broken / "generator.safetensors").write_bytes(b"not safetensors")
    page = write_report(broken).read_text(encoding="utf-8")
    interpolations = page.split('id="interpolations"', 1)[1].split("</section>", 1)[0]
    assert "The generator could not be loaded" in interpolations
    assert thumbnails(page) == ["3", "6"]  # the rest still renders


def test_health_diversity_is_explained_with_the_collapse_threshold(tmp_path: Path, run_factory, monkeypatch) -> None:
    from polemos.report import plots

    make_fake_run, _ = run_factory
    run_dir = make_fake_run(tmp_path / "run", events=False)
    config = json.loads((run_dir / "config.json").read_text())
    config["health"] = {"enabled": True, "collapse_threshold": 0.3}
    (run_dir / "config.json").write_text(json.dumps(config))
    rows = [json.dumps({"step": step, "Health/diversity": 0.9 - step / 100}) for step in (10, 20, 30)]
    (run_dir / "metrics.jsonl").write_text("\n".join(rows) + "\n")
    drawn = []
    monkeypatch.setattr(plots, "plot_panels", lambda panels, events=(): drawn.extend(panels) or b"png")
    page = write_report(run_dir).read_text(encoding="utf-8")
    curves = page.split('id="curves"', 1)[1].split("</section>", 1)[0]
    assert "sample diversity divided by the data&#x27;s (mean pairwise distance)" in curves
    assert "the mode-collapse alarm fires below health.collapse_threshold (0.3, dashed line)" in curves
    assert [panel.threshold_lines for panel in drawn if panel.title == "Health"] == [((0.3, "collapse threshold 0.3"),)]
    # without a health section: the default threshold
    del config["health"]
    (run_dir / "config.json").write_text(json.dumps(config))
    page = write_report(run_dir).read_text(encoding="utf-8")
    assert "health.collapse_threshold (0.25, dashed line)" in page


def test_threshold_lines_are_dashed_and_labelled(monkeypatch: pytest.MonkeyPatch) -> None:
    from polemos.report import plots

    figures = []
    monkeypatch.setattr(plots, "figure_to_png", lambda figure: figures.append(figure) or b"png")
    curve = plots.Curve("Health/diversity", [1, 2], [0.8, 0.7])
    plots.plot_panels([plots.Panel("Health", [curve], threshold_lines=((0.25, "collapse threshold 0.25"),))])
    axes = figures[0].axes[0]
    dashed = [line for line in axes.get_lines() if line.get_linestyle() == "--"]
    assert [tuple(line.get_ydata()) for line in dashed] == [(0.25, 0.25)]
    assert [text.get_text() for text in axes.get_legend().get_texts()] == [
        "Health/diversity",
        "collapse threshold 0.25",
    ]


def test_configuration_dump_rounds_floats(tmp_path: Path, run_factory) -> None:
    make_fake_run, _ = run_factory
    run_dir = make_fake_run(tmp_path / "run", metrics=False, events=False)
    config = json.loads((run_dir / "config.json").read_text())
    config["game"] = {"lr_generator": 0.00020000000000000001, "scale": [73.82711478130926, 1e-300]}
    (run_dir / "config.json").write_text(json.dumps(config))
    page = write_report(run_dir).read_text(encoding="utf-8")
    configuration = page.split('id="config"', 1)[1].split("</section>", 1)[0]
    assert "<details><summary>Resolved config (config.json)</summary>" in configuration  # still collapsed
    assert "&quot;lr_generator&quot;: 0.0002," in configuration
    assert "73.8271," in configuration and "73.82711" not in configuration and "1e-300" in configuration


def test_header_says_a_run_was_stopped_by_its_time_limit(tmp_path: Path, tiny_digits_trainer) -> None:
    run = tiny_digits_trainer(tmp_path / "run", 100_000, 16, ["model.latent_dim=8", "train.max_time=0.5"])
    assert json.loads((run / "model.json").read_text())["stopped_by"] == "time"
    page = write_report(run).read_text(encoding="utf-8")
    assert "<dd>stopped by its time limit (train.max_time = 0.5 s)</dd>" in page
    # an export without the record (still training, or interrupted) says so
    model = json.loads((run / "model.json").read_text())
    del model["stopped_by"]
    (run / "model.json").write_text(json.dumps(model))
    assert "<dd>in progress, or interrupted before its last step</dd>" in write_report(run).read_text(encoding="utf-8")


def test_a_report_that_fails_after_a_fit_is_a_note_and_the_model_stays(tmp_path, monkeypatch, capsys) -> None:
    import polemos.report as report_package
    from polemos.errors import PolemosError
    from polemos.report.cli import report_after_fit

    def failing(folder):
        raise PolemosError("no samples could be drawn")

    monkeypatch.setattr(report_package, "write_report", failing)
    report_after_fit(tmp_path)
    captured = capsys.readouterr()
    assert captured.err.strip() == (
        f"note: the report was not written (no samples could be drawn); retry with polemos report {tmp_path}"
    )
    assert captured.out == ""
