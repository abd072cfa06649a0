"""The D-then-G schedule with n_critic and lazy regularization."""

from __future__ import annotations

from polemos.game.phases import PhaseKind, build_schedule, due


def test_default_schedule_is_d_then_g() -> None:
    schedule = build_schedule(n_critic=1, penalty="none", penalty_every=1)
    assert [phase.kind for phase in schedule] == [PhaseKind.DISCRIMINATOR, PhaseKind.GENERATOR]
    assert schedule[0].penalty_scale == 0.0


def test_n_critic_repeats_the_d_phase() -> None:
    schedule = build_schedule(n_critic=5, penalty="wgan-gp", penalty_every=1)
    assert schedule[0].repeats == 5
    assert schedule[0].penalty_scale == 1.0  # fused: the penalty goes with every D update
    assert len(schedule) == 2


def test_lazy_penalty_is_its_own_phase_scaled_by_its_interval() -> None:
    schedule = build_schedule(n_critic=1, penalty="r1", penalty_every=16)
    kinds = [phase.kind for phase in schedule]
    assert kinds == [PhaseKind.DISCRIMINATOR, PhaseKind.DISCRIMINATOR_REGULARIZER, PhaseKind.GENERATOR]
    regularizer = schedule[1]
    assert regularizer.penalty_scale == 16.0
    assert schedule[0].penalty_scale == 0.0
    runs = [step for step in range(64) if due(regularizer, step)]
    assert runs == [0, 16, 32, 48]
