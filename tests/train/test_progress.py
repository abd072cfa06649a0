"""The training bar keeps the step count and the ETA whole; losses and alarms give way on a narrow terminal."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from polemos.train.progress import TrainingProgress


@pytest.mark.parametrize("width", [80, 140])
def test_step_count_and_eta_survive_an_alarm_on_a_narrow_terminal(width: int) -> None:
    output = io.StringIO()
    console = Console(file=output, width=width, force_terminal=True, color_system=None)
    row = {"Loss/D/adversarial": 1.70123, "Loss/G/adversarial": 0.9, "Speed/samples_per_second": 1234.0}
    with TrainingProgress(total=5, console=console) as progress:
        progress.update(5, row, alarm="mode_collapse, d_overfit")
    last = output.getvalue().split("\r")[-1]  # the final redraw of the bar
    assert "5/5" in last and "ETA 0:00:00" in last  # they were cut to "5…" and "0:…" once an alarm showed
    assert "alarm: mode_collapse" in last  # the alarm comes first, so it is the last thing cut
    if width == 80:
        assert "…" in last and "samples/s" not in last
    else:
        assert "D 1.701  G 0.900  1234 samples/s" in last
