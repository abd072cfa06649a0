"""The phase schedule of one training step.

A step is one generator update. It is a list of named phases, each run ``repeats`` times every ``every``
steps: by default D (``n_critic`` times) then G. A lazy regularizer is just a phase with ``every > 1`` whose
penalty is scaled by ``every`` (Karras et al. 2020, https://arxiv.org/abs/1912.04958, Sec. 3.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class PhaseKind(Enum):
    """What a phase updates and with which objective."""

    DISCRIMINATOR = "D"  # adversarial loss on D (plus the penalty when it is not lazy)
    DISCRIMINATOR_REGULARIZER = "D_reg"  # the penalty alone, lazily
    GENERATOR = "G"  # adversarial loss on G


@dataclass(frozen=True)
class Phase:
    """One entry of the schedule.

    Attributes:
        kind: What the phase does.
        every: Run at steps where ``step % every == 0``.
        repeats: How many updates in a row when it runs (``n_critic`` for D).
        penalty_scale: Multiplier of the penalty in this phase (0: none; ``every`` for a lazy regularizer).
    """

    kind: PhaseKind
    every: int = 1
    repeats: int = 1
    penalty_scale: float = 0.0

    @property
    def name(self) -> str:
        """Short name used in statistics, e.g. ``D`` or ``D_reg``."""
        return self.kind.value


def build_schedule(n_critic: int, penalty: str, penalty_every: int) -> tuple[Phase, ...]:
    """The D-then-G schedule.

    Args:
        n_critic: Discriminator updates per generator update.
        penalty: Name of the gradient penalty (``"none"`` for no regularizer phase).
        penalty_every: Lazy interval of the penalty; 1 fuses it into every D update.

    Returns:
        The phases in the order they run within a step.
    """
    has_penalty = penalty != "none"
    fused = has_penalty and penalty_every == 1
    phases = [Phase(PhaseKind.DISCRIMINATOR, every=1, repeats=n_critic, penalty_scale=1.0 if fused else 0.0)]
    if has_penalty and not fused:
        phases.append(
            Phase(PhaseKind.DISCRIMINATOR_REGULARIZER, every=penalty_every, penalty_scale=float(penalty_every))
        )
    phases.append(Phase(PhaseKind.GENERATOR))
    return tuple(phases)


def due(phase: Phase, step: int) -> bool:
    """Whether ``phase`` runs at ``step`` (0-based)."""
    return step % phase.every == 0
