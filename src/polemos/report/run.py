"""Reads whatever a run folder holds so far, tolerating a run that is still being written.

A training process appends to ``metrics.jsonl`` and ``events.jsonl`` while the report is built, so the last
line may be half-written: lines that do not parse are skipped, never fatal.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polemos.errors import PolemosError

SAMPLE_PATTERN = re.compile(r"^step_(\d+)\.png$")  # samples/step_0000020.png, written by the trainer


@dataclass(frozen=True)
class SampleGrid:
    """One sample grid written during training.

    Attributes:
        step: Generator step at which the grid was drawn.
        path: The PNG file.
    """

    step: int
    path: Path


@dataclass(frozen=True)
class HealthEvent:
    """One health alarm from ``events.jsonl``.

    Attributes:
        step: Generator step of the alarm.
        kind: Alarm kind (``"nan"``, ``"rollback"``, ``"d_overfit"``, ``"mode_collapse"``...).
        message: Human-readable explanation, with the suggested fix.
    """

    step: int
    kind: str
    message: str


@dataclass(frozen=True)
class RunContents:
    """Everything found in a run folder.

    Attributes:
        run_dir: The folder.
        config: The resolved config (``config.json``), empty when absent or unreadable.
        model: The generator's metadata (``model.json``), empty when absent or unreadable.
        training_rows: Rows of ``metrics.jsonl`` without a ``kind`` (statistics by hierarchical name),
            values as floats (``"nan"``/``"inf"`` strings from the sinks become floats again).
        evaluations: Rows of ``metrics.jsonl`` with ``"kind": "eval"`` (one metric value with its protocol).
        events: Health alarms of ``events.jsonl``.
        samples: Sample grids sorted by step.
        skipped_lines: Lines of the JSONL files that did not parse (a line being written, or damage).
    """

    run_dir: Path
    config: dict[str, Any]
    model: dict[str, Any]
    training_rows: list[dict[str, float]]
    evaluations: list[dict[str, Any]]
    events: list[HealthEvent]
    samples: list[SampleGrid]
    skipped_lines: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def modality(self) -> str:
        """``images``, ``tabular``, ``series``, ``points``... as far as the folder tells."""
        if "modality" in self.model:
            return str(self.model["modality"])
        if "transformer" in self.model and "format_version" in self.model:  # TabularGAN.save
            return "tabular"
        if {"config", "meta", "summary"} <= set(self.config):  # SeriesGAN.save
            return "series"
        if "modality" in self.config:
            return str(self.config["modality"])
        source = str(self.config.get("data", {}).get("source", "")) if isinstance(self.config, dict) else ""
        if source in ("ring-8", "grid-25", "ring8", "grid25"):
            return "points"
        return "images" if self.config.get("data") else "unknown"

    def series(self, name: str) -> tuple[list[int], list[float]]:
        """Steps and values of one statistic over the training rows where it was logged."""
        steps: list[int] = []
        values: list[float] = []
        for row in self.training_rows:
            if name in row:
                steps.append(int(row["step"]))
                values.append(row[name])
        return steps, values

    def statistic_names(self) -> list[str]:
        """Names of the numeric statistics logged, in order of first appearance."""
        names: dict[str, None] = {}
        for row in self.training_rows:
            for name in row:
                if name != "step":
                    names[name] = None
        return list(names)

    @property
    def last_step(self) -> int | None:
        """The largest step seen in metrics, events, samples or model.json, or None when nothing is there."""
        candidates = [int(row["step"]) for row in self.training_rows]
        candidates += [sample.step for sample in self.samples]
        candidates += [event.step for event in self.events]
        if isinstance(self.model.get("step"), int):
            candidates.append(self.model["step"])
        saved_steps = self.saved_model_summary.get("steps")
        if isinstance(saved_steps, int):
            candidates.append(saved_steps)
        return max(candidates) if candidates else None

    @property
    def target_steps(self) -> int | None:
        """``train.steps`` of the resolved config, when known."""
        steps = self.config.get("train", {}).get("steps") if isinstance(self.config.get("train"), dict) else None
        return int(steps) if isinstance(steps, int | float) else None

    @property
    def wall_seconds(self) -> float | None:
        """Seconds of training so far (the last ``Time/seconds``), when logged."""
        _, seconds = self.series("Time/seconds")
        finite = [value for value in seconds if math.isfinite(value)]
        if finite:
            return finite[-1]
        summary = self.saved_model_summary
        saved = summary.get("training_seconds", summary.get("seconds"))
        return float(saved) if isinstance(saved, int | float) else None

    @property
    def is_trainer_run(self) -> bool:
        """True for folders of the image/points trainer (``polemos train``), False for saved tabular/series models."""
        return (self.run_dir / "metrics.jsonl").is_file() or isinstance(self.config.get("train"), dict)

    @property
    def saved_model_summary(self) -> dict[str, Any]:
        """The fit summary a saved TabularGAN (``model.json`` "report") or SeriesGAN (``config.json`` "summary")
        carries, empty otherwise."""
        for summary in (self.model.get("report"), self.config.get("summary")):
            if isinstance(summary, dict):
                return summary
        return {}


def _as_float(value: Any) -> float | None:
    """Numbers and the sinks' spelled-out non-finite values ("nan", "inf", "-inf") as floats."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip().lower() in ("nan", "inf", "-inf", "+inf", "infinity"):
        return float(value)
    return None


def _read_json_object(path: Path, notes: list[str]) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        notes.append(f"{path.name} could not be read ({type(error).__name__}); it is left out")
        return {}
    return payload if isinstance(payload, dict) else {}


def _read_jsonl(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of a JSONL file and the number of lines that were not objects."""
    if not path.is_file():
        return [], 0
    records: list[dict[str, Any]] = []
    skipped = 0
    with path.open(encoding="utf-8", errors="replace") as file:
        for line in file:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                skipped += 1
                continue
            if isinstance(record, dict):
                records.append(record)
            else:
                skipped += 1
    return records, skipped


def is_run_folder(run_dir: Path) -> bool:
    """True when the folder holds something a polemos run writes (a resolved config or metrics)."""
    return run_dir.is_dir() and any(
        (run_dir / name).is_file() for name in ("config.json", "metrics.jsonl", "model.json")
    )


def read_run(run_dir: Path) -> RunContents:
    """Reads the run folder's config, metadata, metrics, evaluations, health events and sample grids.

    Raises:
        PolemosError: The folder does not exist or holds none of ``config.json``, ``metrics.jsonl``,
            ``model.json``.
    """
    run_dir = Path(run_dir)
    if not is_run_folder(run_dir):
        raise PolemosError(f"{run_dir} is not a polemos run folder; pass the --out folder of a training run")
    notes: list[str] = []
    config = _read_json_object(run_dir / "config.json", notes)
    model = _read_json_object(run_dir / "model.json", notes)
    records, skipped_metrics = _read_jsonl(run_dir / "metrics.jsonl")
    training_rows: list[dict[str, float]] = []
    evaluations: list[dict[str, Any]] = []
    for record in records:
        if record.get("kind") == "eval":
            evaluations.append(record)
            continue
        if "kind" in record or _as_float(record.get("step")) is None:
            continue
        row = {name: number for name, value in record.items() if (number := _as_float(value)) is not None}
        training_rows.append(row)
    training_rows.sort(key=lambda row: row["step"])  # stable: a resumed run's rows stay in file order
    event_records, skipped_events = _read_jsonl(run_dir / "events.jsonl")
    events = [
        HealthEvent(
            step=int(_as_float(record.get("step")) or 0),
            kind=str(record.get("kind", "alarm")),
            message=str(record.get("message", "")),
        )
        for record in event_records
    ]
    samples: list[SampleGrid] = []
    samples_dir = run_dir / "samples"
    if samples_dir.is_dir():
        for path in samples_dir.iterdir():
            match = SAMPLE_PATTERN.match(path.name)
            if match and path.is_file():
                samples.append(SampleGrid(step=int(match.group(1)), path=path))
    samples.sort(key=lambda sample: sample.step)
    return RunContents(
        run_dir=run_dir,
        config=config,
        model=model,
        training_rows=training_rows,
        evaluations=evaluations,
        events=events,
        samples=samples,
        skipped_lines=skipped_metrics + skipped_events,
        notes=notes,
    )
