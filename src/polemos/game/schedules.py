"""Learning-rate schedules shared by every modality: a multiplier of the base rates by training progress.

Progress is the fraction of the training done (steps, or seconds of a time budget), 0 at the start and 1 at the
end; the caller decides which. One function, so images, tables and series decay their rates alike.
"""

from __future__ import annotations

import math

from polemos.errors import PolemosError

__all__ = ["LR_SCHEDULES", "lr_schedule_factor"]

LR_SCHEDULES = ("constant", "cosine")


def lr_schedule_factor(schedule: str, progress: float, final: float = 0.0) -> float:
    """The learning-rate multiplier at ``progress`` (0 at the start of training, 1 at its end).

    ``"constant"`` gives 1; ``"cosine"`` gives ``final + (1 - final) (1 + cos(pi t)) / 2`` with
    ``t = min(max(progress, 0), 1)`` (Loshchilov & Hutter 2017, https://arxiv.org/abs/1608.03983, one cycle),
    so past the end the rate stays at ``final`` times the base rate.

    Args:
        schedule: One of :data:`LR_SCHEDULES`.
        progress: Fraction of the training done.
        final: The last multiplier of ``"cosine"``, in [0, 1].

    Raises:
        PolemosError: For an unknown schedule.
    """
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * min(max(progress, 0.0), 1.0)))
    raise PolemosError(f"unknown lr_schedule {schedule!r}; valid: {', '.join(LR_SCHEDULES)}")
