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

    def __init__(self, log_dir: str | os.PathLike) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self._writer = SummaryWriter(log_dir=str(log_dir))

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


def open_sinks(run_dir: Path, wanted: Iterable[str], config: dict[str, Any]) -> list[Sink]:
    """Opens the wanted sinks that are installed; JSONL is always on."""
    installed = set(available_sinks())
    names = ["jsonl"] + [name for name in wanted if name != "jsonl" and name in installed]
    sinks: list[Sink] = []
    for name in dict.fromkeys(names):
        if name == "jsonl":
            sinks.append(JsonlSink(run_dir / "metrics.jsonl"))
        elif name == "csv":
            sinks.append(CsvSink(run_dir / "metrics.csv"))
        elif name == "tensorboard":
            sinks.append(TensorBoardSink(run_dir / "tensorboard"))
        elif name == "wandb":
            sinks.append(WandbSink(run_dir, config))
    return sinks
