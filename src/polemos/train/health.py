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

from polemos.config import GameConfig, HealthConfig
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
        game: The run's game settings, so that the alarms' advice names only changes that are not made yet.
    """

    def __init__(self, config: HealthConfig, game: GameConfig | None = None) -> None:
        self.config = config
        self.game = game or GameConfig()
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
        overfit = sign_real is not None and sign_real > self.config.d_overfit_threshold
        events += self._toggle(
            step,
            "d_overfit",
            overfit,
            f"D is overfitting: E[sign(D(real))] = {sign_real:.3f} > {self.config.d_overfit_threshold}; "
            f"try {self._overfit_advice()}"
            if overfit
            else "",
        )
        diversity = row.get("Health/diversity")
        collapsed = diversity is not None and diversity < self.config.collapse_threshold
        events += self._toggle(
            step,
            "mode_collapse",
            collapsed,
            f"possible mode collapse: sample diversity is {diversity:.3f} of the data's "
            f"(< {self.config.collapse_threshold}); try {self._collapse_advice()}"
            if collapsed
            else "",
        )
        return events

    def _overfit_advice(self) -> str:
        """Remedies for an overfitting D that the run does not use yet."""
        if not self.game.augment:
            return "game.augment=color,translation,cutout or more data"
        if "cutout" not in self.game.augment:
            return f"a stronger augmentation (game.augment={self.game.augment},cutout) or more data"
        return "more data"

    def _collapse_advice(self) -> str:
        """Remedies for mode collapse that the run does not use yet (one of each kind)."""
        game = self.game
        remedies = []
        if game.n_critic < 2:
            remedies.append("game.n_critic=2")
        if game.penalty == "none":
            remedies.append("a penalty (game.penalty=r1)")
        remedies.append(f"a lower game.lr_generator (now {game.lr_generator:g})")
        return ", ".join(remedies[:-1]) + (" or " if len(remedies) > 1 else "") + remedies[-1]

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
