"""A rich progress bar for training: step, losses, samples/s and ETA."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column


class TrainingProgress:
    """Shows training progress on the terminal; a no-op when disabled (other ranks, ``train.progress=false``).

    Args:
        total: Total generator steps.
        start: Step at which this session starts (after a resume).
        enabled: Whether to draw anything.
    """

    def __init__(self, total: int, start: int = 0, enabled: bool = True, console: Console | None = None) -> None:
        self.enabled = enabled
        self.total = total
        self._progress = Progress(
            TextColumn("[bold]train"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            # the losses and alarms give way first on a narrow terminal (cut with "…"), never the step or ETA
            TextColumn(
                "{task.fields[summary]}", table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis", min_width=8)
            ),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            disable=not enabled,
            transient=False,
            console=console,
            expand=True,
        )
        self._task = self._progress.add_task("train", total=total, completed=start, summary="")

    def __enter__(self) -> TrainingProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.__exit__(*exc)

    def update(self, step: int, row: dict[str, float] | None, alarm: str | None = None) -> None:
        """Moves the bar to ``step``; refreshes the summary when a statistics ``row`` is given."""
        if not self.enabled:
            return
        fields: dict[str, Any] = {}
        if row is not None:
            # an alarm first: on a narrow terminal the end of the summary is what gets cut
            parts = [f"[bold red]alarm: {alarm}[/]"] if alarm else []
            for name, label in (("Loss/D/adversarial", "D"), ("Loss/G/adversarial", "G")):
                if name in row:
                    parts.append(f"{label} {row[name]:.3f}")
            if "Speed/samples_per_second" in row:
                parts.append(f"{row['Speed/samples_per_second']:.0f} samples/s")
            fields["summary"] = "  ".join(parts)
        self._progress.update(self._task, completed=step, **fields)
