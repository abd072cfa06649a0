"""Training health: NaN rollback, bounded retries, D-overfitting and mode-collapse alarms, gradient norms."""

from __future__ import annotations

import json

import pytest
import torch
from lightning_fabric import Fabric
from torch import nn

from polemos.config import resolve_config
from polemos.errors import PolemosError
from polemos.points import build_points_task, sample_mixture
from polemos.train.checkpoint import load_checkpoint
from polemos.train.health import HealthMonitor, all_finite, mean_pairwise_distance
from polemos.train.loop import Trainer


def make_trainer(out, *overrides: str, steps: int = 12) -> Trainer:
    config = resolve_config(
        flags={"train.out": str(out), "train.steps": steps, "train.batch_size": 16},
        overrides=[
            "game.augment=",
            "train.progress=false",
            "train.log_every=2",
            "train.checkpoint_every=4",
            "train.sample_every=1000",
            "train.loggers=[jsonl]",
            "game.lr_schedule=constant",  # rates are compared with the base rate x the rollback scale
            *overrides,
        ],
    )
    torch.manual_seed(0)
    task = build_points_task(sample_mixture("ring-8", 256, seed=0), latent_dim=2, width=16, depth=2)
    return Trainer(config, task, fabric=Fabric(accelerator="cpu", devices=1))


def events(out) -> list[dict]:
    path = out / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def inject_nan(trainer: Trainer, at_steps: set[int] | None) -> None:
    """Poisons the loss at the given steps, once each (every step when None)."""
    original = trainer.objective.phase_loss
    pending = None if at_steps is None else set(at_steps)

    def poisoned(phase, generator, discriminator, batch):
        loss = original(phase, generator, discriminator, batch)
        if pending is None or trainer.step in pending:
            if pending is not None:
                pending.discard(trainer.step)
            return loss * float("nan")
        return loss

    trainer.objective.phase_loss = poisoned


def test_a_nan_rolls_back_lowers_the_learning_rate_and_training_finishes(tmp_path) -> None:
    trainer = make_trainer(tmp_path / "run")
    inject_nan(trainer, at_steps={5})
    result = trainer.fit()
    assert result.step == 12
    kinds = [event["kind"] for event in events(tmp_path / "run") if event["kind"] in ("nan", "rollback")]
    assert kinds == ["nan", "rollback"]
    assert trainer.lr_scale == 0.5
    assert trainer.optimizer_generator.param_groups[0]["lr"] == pytest.approx(0.5 * trainer.config.game.lr_generator)
    assert all_finite([trainer.task.generator, trainer.task.discriminator])
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["lr_scale"] == 0.5


def test_persistent_divergence_stops_after_bounded_retries_and_keeps_the_last_good_state(tmp_path) -> None:
    trainer = make_trainer(tmp_path / "run", "health.max_rollbacks=2")
    inject_nan(trainer, at_steps=None)
    with pytest.raises(PolemosError, match="diverged") as error:
        trainer.fit()
    assert "\n" not in str(error.value)
    kinds = [event["kind"] for event in events(tmp_path / "run")]
    assert kinds.count("rollback") == 2 and kinds[-1] == "diverged"
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert all(torch.isfinite(value).all() for value in state["generator"].values())


def test_a_discriminator_that_wins_raises_the_overfitting_alarm(tmp_path) -> None:
    out = tmp_path / "run"
    trainer = make_trainer(out, "game.lr_generator=1e-9", "game.lr_discriminator=1e-2", steps=30)
    trainer.fit()
    assert "d_overfit" in [event["kind"] for event in events(out)]


class ConstantGenerator(nn.Module):
    """A collapsed generator: the same point whatever the latent."""

    def __init__(self) -> None:
        super().__init__()
        self.point = nn.Parameter(torch.zeros(2))

    def forward(self, latent, condition=None):
        return self.point.expand(len(latent), 2) + 0 * latent.sum(dim=1, keepdim=True)


def test_a_collapsed_generator_raises_the_mode_collapse_alarm(tmp_path) -> None:
    out = tmp_path / "run"
    config = make_trainer(out).config
    task = build_points_task(sample_mixture("ring-8", 256, seed=0), latent_dim=2, width=16, depth=2)
    task.generator = ConstantGenerator()
    trainer = Trainer(config, task, fabric=Fabric(accelerator="cpu", devices=1))
    trainer.fit()
    assert "mode_collapse" in [event["kind"] for event in events(out)]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["Health/diversity"] < 0.01


def test_gradient_norms_are_logged_without_clipping(tmp_path) -> None:
    out = tmp_path / "run"
    make_trainer(out, steps=4).fit()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["Grad/D/norm"] > 0 and rows[-1]["Grad/G/norm"] > 0


def test_monitor_raises_each_alarm_once_and_clears_it() -> None:
    monitor = HealthMonitor(resolve_config().health)
    high = {"Logits/D/sign_real": 0.99}
    assert [event.kind for event in monitor.check_row(1, high, True)] == ["d_overfit"]
    assert monitor.check_row(2, high, True) == []
    assert [event.kind for event in monitor.check_row(3, {"Logits/D/sign_real": 0.1}, True)] == ["recovered"]
    assert [event.kind for event in monitor.check_row(4, {}, False)] == ["nan"]


def test_alarm_messages_round_and_advise_only_what_the_run_does_not_use() -> None:
    plain = HealthMonitor(resolve_config().health)  # the defaults: n_critic 1, no penalty, no augmentation
    (collapse,) = plain.check_row(1, {"Health/diversity": 0.1468343578458543}, True)
    assert collapse.message == (
        "possible mode collapse: sample diversity is 0.147 of the data's (< 0.25); try game.n_critic=2, "
        "a penalty (game.penalty=r1) or a lower game.lr_generator (now 0.001)"
    )
    (overfit,) = HealthMonitor(resolve_config().health).check_row(1, {"Logits/D/sign_real": 0.98765}, True)
    assert overfit.message.startswith("D is overfitting: E[sign(D(real))] = 0.988 > ")
    assert overfit.message.endswith("try game.augment=color,translation,cutout or more data")
    tuned = resolve_config(overrides=["game.n_critic=2", "game.penalty=r1", "game.augment=color,translation,cutout"])
    monitor = HealthMonitor(tuned.health, tuned.game)
    messages = [
        event.message for event in monitor.check_row(1, {"Health/diversity": 0.1, "Logits/D/sign_real": 0.99}, True)
    ]
    assert messages[0].endswith("try more data")
    assert messages[1].endswith("try a lower game.lr_generator (now 0.001)")  # n_critic and the penalty are set


def test_mean_pairwise_distance() -> None:
    points = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    assert mean_pairwise_distance(points) == pytest.approx(5.0)
    assert mean_pairwise_distance(torch.ones(4, 3)) == pytest.approx(0.0, abs=1e-6)


def test_a_resume_keeps_the_rollbacks_used_and_the_alarms_already_raised(tmp_path) -> None:
    out = tmp_path / "run"
    first = make_trainer(out, "health.max_rollbacks=2", steps=8)
    inject_nan(first, at_steps={5})
    first.fit()
    assert first.health.rollbacks == 1
    first.health.active.add("d_overfit")  # as if D were overfitting at the last checkpoint
    first.save()
    resumed = make_trainer(out, "health.max_rollbacks=2", steps=12)
    resumed.resume()
    # max_rollbacks bounds the run, not each session (a restart used to grant a fresh allowance)
    assert resumed.health.rollbacks == 1 and resumed.health.active == first.health.active
    assert "d_overfit" in resumed.health.active
    # the alarm on at the checkpoint is not raised a second time
    raised = resumed.health.check_row(9, {"Logits/D/sign_real": 0.99, "Health/diversity": 0.0}, True)
    assert raised == []


def test_a_rollback_still_counts_itself_when_it_restores_an_earlier_state(tmp_path) -> None:
    trainer = make_trainer(tmp_path / "run", "health.max_rollbacks=2")
    inject_nan(trainer, at_steps={5, 9})
    trainer.fit()
    assert trainer.health.rollbacks == 2  # each restore kept the count, not the checkpoint's
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["health"]["rollbacks"] == 2
