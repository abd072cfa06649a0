"""Sinks that write rows of collected statistics: JSONL and CSV always, TensorBoard and W&B when installed."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from polemos.errors import PolemosError


class Sink(Protocol):
    """Writes rows of statistics somewhere."""

    def write(self, step: int, row: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def end_partial_line(path: str | os.PathLike) -> None:
    """Ends a last line cut short (a crash mid-write) with a newline, so that a record appended next stays whole.

    Without it, the next JSON line would be glued onto the broken one and be lost to every reader.
    """
    try:
        with open(path, "rb+") as file:
            if file.seek(0, os.SEEK_END) == 0:
                return
            file.seek(-1, os.SEEK_END)
            if file.read(1) != b"\n":
                file.write(b"\n")
    except FileNotFoundError:
        return


def _row_step(line: str) -> int | None:
    """The step of a JSON line, or None when the line is not a whole record."""
    try:
        record = json.loads(line)
        return int(record["step"])
    except (ValueError, KeyError, TypeError):
        return None


def drop_rows_after(run_dir: Path, step: int) -> None:
    """Removes the rows of steps after ``step`` from the run's metrics and events files.

    A resumed run continues from its last checkpoint; rows logged after it by the session that stopped (an
    interrupt, a crash) would otherwise stand beside the resumed session's rows for the same steps.
    """
    from polemos.files import atomic_write

    for name in ("metrics.jsonl", "events.jsonl"):
        path = run_dir / name
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if (row_step := _row_step(line)) is not None and row_step <= step]
        if len(kept) != len(lines):
            atomic_write(path, lambda target, kept=kept: target.write_text("".join(f"{line}\n" for line in kept)))
    path = run_dir / "metrics.csv"
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as file:
            reader = csv.DictReader(file)
            columns, rows = list(reader.fieldnames or []), list(reader)

        def kept_row(row: dict[str, str]) -> bool:
            try:
                return float(row.get("step") or "nan") <= step
            except ValueError:
                return False

        kept_rows = [row for row in rows if kept_row(row)]
        if columns and len(kept_rows) != len(rows):

            def write(target: Path) -> None:
                with target.open("w", newline="", encoding="utf-8") as file:
                    writer = csv.DictWriter(file, fieldnames=columns)
                    writer.writeheader()
                    writer.writerows(kept_rows)

            atomic_write(path, write)


class JsonlSink:
    """Appends one JSON object per row to ``RUN/metrics.jsonl`` (always on); flushed at every row."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        end_partial_line(self.path)
        self._file = self.path.open("a", encoding="utf-8")

    def write(self, step: int, row: dict[str, Any]) -> None:
        record = {"step": step, **{key: _clean(value) for key, value in row.items()}}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class CsvSink:
    """Writes rows to ``RUN/metrics.csv``; the file is rewritten when a new column appears."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._columns: list[str] = ["step"]
        self._rows: list[dict[str, Any]] = []
        if self.path.exists():  # resume: keep what was written
            try:
                with self.path.open(newline="", encoding="utf-8") as file:
                    reader = csv.DictReader(file)
                    self._columns = list(reader.fieldnames or ["step"])
                    self._rows = list(reader)
            except (UnicodeDecodeError, csv.Error):  # rewriting it would lose what can still be recovered
                raise PolemosError(
                    f"{str(self.path)!r} is damaged (not CSV text); move it aside (metrics.jsonl holds the same rows) "
                    "and run again"
                ) from None

    def write(self, step: int, row: dict[str, Any]) -> None:
        record = {"step": step, **row}
        new_columns = [key for key in record if key not in self._columns]
        self._rows.append(record)
        if new_columns:
            self._columns.extend(new_columns)
            self._rewrite()
        else:
            with self.path.open("a", newline="", encoding="utf-8") as file:
                csv.DictWriter(file, fieldnames=self._columns).writerow(record)

    def _rewrite(self) -> None:
        temporary = self.path.with_suffix(".csv.tmp")
        with temporary.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=self._columns)
            writer.writeheader()
            writer.writerows(self._rows)
        os.replace(temporary, self.path)

    def close(self) -> None:
        pass


class TensorBoardSink:
    """Scalars to ``RUN/tensorboard`` (only when the tensorboard package is installed)."""

    def __init__(self, log_dir: str | os.PathLike, purge_step: int | None = None) -> None:
        from torch.utils.tensorboard import SummaryWriter

        # purge_step: events from this step on, left by a session that stopped, are hidden (a resumed run)
        self._writer = SummaryWriter(log_dir=str(log_dir), purge_step=purge_step)

    def write(self, step: int, row: dict[str, Any]) -> None:
        for key, value in row.items():
            if isinstance(value, int | float):
                self._writer.add_scalar(key, value, global_step=step)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


class WandbSink:
    """Weights & Biases in offline mode by default (no login, no network); sync later with ``wandb sync``."""

    def __init__(self, run_dir: str | os.PathLike, config: dict[str, Any]) -> None:
        import wandb

        os.environ.setdefault("WANDB_MODE", "offline")
        os.environ.setdefault("WANDB_SILENT", "true")
        self._run = wandb.init(project="polemos", dir=str(run_dir), config=config, reinit=True)

    def write(self, step: int, row: dict[str, Any]) -> None:
        self._run.log({key: value for key, value in row.items() if isinstance(value, int | float)}, step=step)

    def close(self) -> None:
        self._run.finish()


def available_sinks() -> list[str]:
    """Sink names whose packages are importable here."""
    import importlib.util

    names = ["jsonl", "csv"]
    if importlib.util.find_spec("tensorboard") is not None:
        names.append("tensorboard")
    if importlib.util.find_spec("wandb") is not None:
        names.append("wandb")
    return names


def open_sinks(
    run_dir: Path, wanted: Iterable[str], config: dict[str, Any], resume_step: int | None = None
) -> list[Sink]:
    """Opens the wanted sinks that are installed; JSONL is always on.

    Args:
        run_dir: The run folder.
        wanted: Sink names (``train.loggers``).
        config: The run's config, for W&B.
        resume_step: The step a resumed run continues from: rows after it are dropped first.
    """
    if resume_step is not None:
        drop_rows_after(run_dir, resume_step)
    installed = set(available_sinks())
    names = ["jsonl"] + [name for name in wanted if name != "jsonl" and name in installed]
    sinks: list[Sink] = []
    for name in dict.fromkeys(names):
        if name == "jsonl":
            sinks.append(JsonlSink(run_dir / "metrics.jsonl"))
        elif name == "csv":
            sinks.append(CsvSink(run_dir / "metrics.csv"))
        elif name == "tensorboard":
            purge_step = None if resume_step is None else resume_step + 1
            sinks.append(TensorBoardSink(run_dir / "tensorboard", purge_step))
        elif name == "wandb":
            sinks.append(WandbSink(run_dir, config))
    return sinks
