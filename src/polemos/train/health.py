"""Training health: divergence detection, discriminator-overfitting and mode-collapse alarms.

The monitor looks at each collected statistics row (every ``train.log_every`` steps) and at the weights, and
returns :class:`HealthEvent` records; the loop acts on them (rollback on divergence) and writes them to
``RUN/events.jsonl``, the progress bar and the report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from polemos.config import HealthConfig
from polemos.train.sinks import end_partial_line


@dataclass(frozen=True)
class HealthEvent:
    """One alarm or action.

    Attributes:
        step: Generator step at which it was raised.
        kind: ``nan``, ``rollback``, ``diverged``, ``d_overfit``, ``mode_collapse`` or ``recovered``.
        message: One line for people.
    """

    step: int
    kind: str
    message: str


def all_finite(modules: Iterable[nn.Module]) -> bool:
    """Whether every parameter and buffer of ``modules`` is finite (one device sync)."""
    checks = [
        torch.isfinite(t).all()
        for module in modules
        for t in (*module.parameters(), *module.buffers())
        if t.is_floating_point()
    ]
    return bool(torch.stack(checks).all()) if checks else True


def mean_pairwise_distance(samples: Tensor) -> float:
    """Mean L2 distance between distinct samples (flattened): a cheap diversity measure."""
    flat = samples.detach().float().reshape(len(samples), -1)
    if len(flat) < 2:
        return 0.0
    distances = torch.cdist(flat, flat)
    count = len(flat) * (len(flat) - 1)
    return float(distances.sum() / count)


class HealthMonitor:
    """Turns statistics into events; remembers which alarms are on so each is raised once per episode.

    Args:
        config: Thresholds and limits.
    """

    def __init__(self, config: HealthConfig) -> None:
        self.config = config
        self.active: set[str] = set()
        self.rollbacks = 0

    def check_row(
        self, step: int, row: dict[str, float], weights_finite: bool, warmed_up: bool = True
    ) -> list[HealthEvent]:
        """Events for one statistics row. A ``nan`` event means the caller must roll back.

        Args:
            step: The current step.
            row: Collected statistics.
            weights_finite: Whether all network weights are finite.
            warmed_up: Whether the alarms may fire yet (early training looks collapsed and overfit).
        """
        events: list[HealthEvent] = []
        bad = [name for name, value in row.items() if isinstance(value, float) and not math.isfinite(value)]
        if bad or not weights_finite:
            what = ", ".join(bad) if bad else "network weights"
            events.append(HealthEvent(step, "nan", f"non-finite values in {what}"))
            return events
        if not warmed_up:
            return events
        sign_real = row.get("Logits/D/sign_real")
        events += self._toggle(
            step,
            "d_overfit",
            sign_real is not None and sign_real > self.config.d_overfit_threshold,
            f"D is overfitting: E[sign(D(real))] = {sign_real} > {self.config.d_overfit_threshold}; "
            "try game.augment=color,translation,cutout or more data",
        )
        diversity = row.get("Health/diversity")
        events += self._toggle(
            step,
            "mode_collapse",
            diversity is not None and diversity < self.config.collapse_threshold,
            f"possible mode collapse: sample diversity is {diversity} of the data's "
            f"(< {self.config.collapse_threshold}); try game.n_critic=2, a penalty, or a lower lr_generator",
        )
        return events

    def _toggle(self, step: int, kind: str, condition: bool, message: str) -> list[HealthEvent]:
        if condition and kind not in self.active:
            self.active.add(kind)
            return [HealthEvent(step, kind, message)]
        if not condition and kind in self.active:
            self.active.discard(kind)
            return [HealthEvent(step, "recovered", f"{kind} alarm cleared")]
        return []


class EventLog:
    """Appends events to ``RUN/events.jsonl``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, events: Iterable[HealthEvent]) -> None:
        events = list(events)
        if not events:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        end_partial_line(self.path)
        with self.path.open("a", encoding="utf-8") as file:
            for event in events:
                file.write(json.dumps(asdict(event)) + "\n")
