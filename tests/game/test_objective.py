"""GameObjective: the contracts of registered entries are checked where they are used, in one line naming the entry."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from polemos.errors import PolemosError
from polemos.game.losses import AdversarialLoss, get_loss
from polemos.game.objective import GameObjective, PhaseBatch
from polemos.game.penalties import Penalty, get_penalty
from polemos.game.phases import Phase, PhaseKind

BATCH = 8
D_MAIN = Phase(PhaseKind.DISCRIMINATOR)
G_MAIN = Phase(PhaseKind.GENERATOR)
D_REG = Phase(PhaseKind.DISCRIMINATOR_REGULARIZER, penalty_scale=1.0)


class Generator(nn.Module):
    def __init__(self, shape: tuple[int, ...] = (3,)) -> None:
        super().__init__()
        self.shape = shape
        self.linear = nn.Linear(4, int(torch.tensor(shape).prod()))

    def forward(self, latent, condition):
        return self.linear(latent).reshape(latent.shape[0], *self.shape)


class Discriminator(nn.Module):
    def __init__(self, outputs: int = 1) -> None:
        super().__init__()
        self.linear = nn.Linear(3, outputs)

    def forward(self, samples, condition):
        return self.linear(samples)


def batch() -> PhaseBatch:
    return PhaseBatch(real=torch.randn(BATCH, 3), condition=None, latent=torch.randn(BATCH, 4))


def objective(loss: AdversarialLoss | None = None, penalty: Penalty | None = None) -> GameObjective:
    return GameObjective(loss or get_loss("nonsaturating"), penalty or get_penalty("none"), 1.0)


def test_the_stock_entries_give_scalars_in_every_phase() -> None:
    for phase in (D_MAIN, G_MAIN, D_REG):
        value = objective(penalty=get_penalty("r1")).phase_loss(phase, Generator(), Discriminator(), batch())
        assert value.ndim == 0 and torch.isfinite(value)


def test_a_per_sample_loss_is_named_with_its_side() -> None:
    per_sample = AdversarialLoss(
        "per-sample", lambda r, f: F.softplus(-r) + F.softplus(f), lambda f, r=None: F.softplus(-f), False, "x"
    )
    game = objective(loss=per_sample)
    with pytest.raises(PolemosError, match=r"loss 'per-sample' \(discriminator side\) returned shape \(8,\)"):
        game.phase_loss(D_MAIN, Generator(), Discriminator(), batch())
    with pytest.raises(PolemosError, match=r"loss 'per-sample' \(generator side\) returned shape \(8,\)"):
        game.phase_loss(G_MAIN, Generator(), Discriminator(), batch())


def test_a_penalty_returning_a_float_or_a_vector_is_named() -> None:
    for value, fragment in ((0.5, "returned a float, not a tensor"), (torch.ones(BATCH), r"returned shape \(8,\)")):
        penalty = Penalty("mine", lambda critic, real, fake, value=value: value, "x")
        with pytest.raises(PolemosError, match=f"penalty 'mine' {fragment}"):
            objective(penalty=penalty).phase_loss(D_REG, Generator(), Discriminator(), batch())


def test_networks_of_the_wrong_output_shape_are_described() -> None:
    with pytest.raises(PolemosError, match=r"discriminator returned shape \(8, 2\) for a batch of 8"):
        objective().phase_loss(D_MAIN, Generator(), Discriminator(outputs=2), batch())
    with pytest.raises(PolemosError, match=r"generator returned samples of shape \(1, 3\).*the data has \(3,\)"):
        objective().phase_loss(G_MAIN, Generator(shape=(1, 3)), Discriminator(), batch())


def test_one_logit_per_sample_may_come_as_a_column() -> None:
    logits = objective()._discriminate(lambda samples, condition: samples[:, :1], torch.randn(BATCH, 3), None)
    assert logits.shape == (BATCH,)
