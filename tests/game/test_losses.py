"""Adversarial loss pairs against values computed by hand with the textbook formulas."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from polemos.errors import PolemosError
from polemos.game import losses
from polemos.game.losses import LOSSES, AdversarialLoss, get_loss

ALL_NAMES = [
    "hinge",
    "least-squares",
    "minimax",
    "nonsaturating",
    "relativistic-average",
    "wasserstein",
]


# --- textbook formulas in plain Python (log of the sigmoid, not softplus) ---


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def expected_minimax_d(real: list[float], fake: list[float]) -> float:
    return -mean([math.log(sigmoid(r)) for r in real]) - mean([math.log(1.0 - sigmoid(f)) for f in fake])


def expected_minimax_g(fake: list[float], real: list[float]) -> float:
    return mean([math.log(1.0 - sigmoid(f)) for f in fake])


def expected_nonsaturating_g(fake: list[float], real: list[float]) -> float:
    return -mean([math.log(sigmoid(f)) for f in fake])


def expected_wasserstein_d(real: list[float], fake: list[float]) -> float:
    return mean(fake) - mean(real)


def expected_wasserstein_g(fake: list[float], real: list[float]) -> float:
    return -mean(fake)


def expected_hinge_d(real: list[float], fake: list[float]) -> float:
    return mean([max(0.0, 1.0 - r) for r in real]) + mean([max(0.0, 1.0 + f) for f in fake])


def expected_least_squares_d(real: list[float], fake: list[float]) -> float:
    return 0.5 * mean([(r - 1.0) ** 2 for r in real]) + 0.5 * mean([f**2 for f in fake])


def expected_least_squares_g(fake: list[float], real: list[float]) -> float:
    return 0.5 * mean([(f - 1.0) ** 2 for f in fake])


def expected_relativistic_d(real: list[float], fake: list[float]) -> float:
    mean_real, mean_fake = mean(real), mean(fake)
    return -mean([math.log(sigmoid(r - mean_fake)) for r in real]) - mean(
        [math.log(1.0 - sigmoid(f - mean_real)) for f in fake]
    )


def expected_relativistic_g(fake: list[float], real: list[float]) -> float:
    mean_real, mean_fake = mean(real), mean(fake)
    return -mean([math.log(sigmoid(f - mean_real)) for f in fake]) - mean(
        [math.log(1.0 - sigmoid(r - mean_fake)) for r in real]
    )


EXPECTED: dict[str, tuple[Callable[..., float], Callable[..., float]]] = {
    "minimax": (expected_minimax_d, expected_minimax_g),
    "nonsaturating": (expected_minimax_d, expected_nonsaturating_g),
    "wasserstein": (expected_wasserstein_d, expected_wasserstein_g),
    "hinge": (expected_hinge_d, expected_wasserstein_g),
    "least-squares": (expected_least_squares_d, expected_least_squares_g),
    "relativistic-average": (expected_relativistic_d, expected_relativistic_g),
}

# (d_real, d_fake); the second case has different batch sizes and crosses the hinge margins
LOGIT_CASES = [
    ([1.0, -2.0], [0.5, 3.0]),
    ([1.5, -0.5, 0.25], [-1.5, 0.75]),
]


def test_expected_table_covers_every_registered_loss() -> None:
    assert sorted(EXPECTED) == ALL_NAMES


def test_hand_values_spot_check() -> None:
    # a few values written out fully, to pin the helper formulas above
    # nonsaturating G on d_fake=[0.5, 3.0]: mean(log(1+e^-0.5), log(1+e^-3))
    assert expected_nonsaturating_g([0.5, 3.0], []) == pytest.approx(
        (math.log(1 + math.exp(-0.5)) + math.log(1 + math.exp(-3.0))) / 2
    )
    # hinge D: relu(1-1)=0, relu(1+2)=3 -> 1.5 ; relu(1.5)=1.5, relu(4)=4 -> 2.75 ; total 4.25
    assert expected_hinge_d([1.0, -2.0], [0.5, 3.0]) == pytest.approx(4.25)
    # least squares D: 0.5*mean(0, 9) + 0.5*mean(0.25, 9) = 2.25 + 2.3125
    assert expected_least_squares_d([1.0, -2.0], [0.5, 3.0]) == pytest.approx(4.5625)
    # wasserstein D: mean(fake)=1.75, mean(real)=-0.5
    assert expected_wasserstein_d([1.0, -2.0], [0.5, 3.0]) == pytest.approx(2.25)


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize(("real", "fake"), LOGIT_CASES)
def test_discriminator_loss_matches_hand_computed(name: str, real: list[float], fake: list[float]) -> None:
    loss = get_loss(name)
    expected_d, _ = EXPECTED[name]
    d_real = torch.tensor(real, dtype=torch.float64)
    value = loss.discriminator(d_real, torch.tensor(fake, dtype=torch.float64))
    assert value.dim() == 0
    assert value.item() == pytest.approx(expected_d(real, fake), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize(("real", "fake"), LOGIT_CASES)
def test_generator_loss_matches_hand_computed(name: str, real: list[float], fake: list[float]) -> None:
    loss = get_loss(name)
    _, expected_g = EXPECTED[name]
    value = loss.generator(torch.tensor(fake, dtype=torch.float64), torch.tensor(real, dtype=torch.float64))
    assert value.dim() == 0
    assert value.item() == pytest.approx(expected_g(fake, real), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", [n for n in ALL_NAMES if n != "relativistic-average"])
def test_non_relativistic_generator_ignores_real(name: str) -> None:
    loss = get_loss(name)
    fake = torch.tensor([0.5, 3.0])
    with_real = loss.generator(fake, torch.tensor([1.0, -2.0]))
    without_real = loss.generator(fake)
    assert torch.equal(with_real, without_real)
    assert loss.generator_needs_real is False


@pytest.mark.parametrize("name", ALL_NAMES)
def test_column_logits_equal_flat_logits(name: str) -> None:
    loss = get_loss(name)
    real = torch.tensor([1.0, -2.0, 0.3])
    fake = torch.tensor([0.5, 3.0, -0.7])
    assert torch.allclose(loss.discriminator(real, fake), loss.discriminator(real[:, None], fake[:, None]))
    assert torch.allclose(loss.discriminator(real, fake), loss.discriminator(real[:, None], fake))
    assert torch.allclose(loss.generator(fake, real), loss.generator(fake[:, None], real[:, None]))


@pytest.mark.parametrize("name", ALL_NAMES)
def test_wrong_logit_shape_raises(name: str) -> None:
    loss = get_loss(name)
    with pytest.raises(ValueError, match=r"\(N,\) or \(N, 1\)"):
        loss.discriminator(torch.zeros(4, 2), torch.zeros(4))
    with pytest.raises(ValueError, match=r"\(N,\) or \(N, 1\)"):
        loss.generator(torch.zeros(4, 1, 3), torch.zeros(4))


def _grads(
    function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], first: list[float], second: list[float]
) -> tuple[torch.Tensor, torch.Tensor]:
    first_tensor = torch.tensor(first, dtype=torch.float64, requires_grad=True)
    second_tensor = torch.tensor(second, dtype=torch.float64, requires_grad=True)
    function(first_tensor, second_tensor).backward()
    assert first_tensor.grad is not None
    # the second argument is unused (grad None) by non-relativistic generator losses
    second_grad = torch.zeros_like(second_tensor) if second_tensor.grad is None else second_tensor.grad
    return first_tensor.grad, second_grad


# logits inside every margin (hinge: real < 1, fake > -1; least squares: real < 1, fake in (0, 1))
SANE_REAL = [0.2, -0.3, 0.6]
SANE_FAKE = [0.1, 0.4, 0.7]


@pytest.mark.parametrize("name", ALL_NAMES)
def test_discriminator_loss_gradient_directions(name: str) -> None:
    loss = get_loss(name)
    grad_real, grad_fake = _grads(loss.discriminator, SANE_REAL, SANE_FAKE)
    # raising D on real samples or lowering it on fakes lowers the discriminator loss
    assert (grad_real < 0).all(), grad_real
    assert (grad_fake > 0).all(), grad_fake


@pytest.mark.parametrize("name", ALL_NAMES)
def test_generator_loss_decreases_when_fakes_look_more_real(name: str) -> None:
    loss = get_loss(name)
    grad_fake, _ = _grads(loss.generator, SANE_FAKE, SANE_REAL)
    assert (grad_fake < 0).all(), grad_fake
    # a finite step in that direction lowers the loss too
    fake = torch.tensor(SANE_FAKE)
    real = torch.tensor(SANE_REAL)
    assert loss.generator(fake + 0.05, real) < loss.generator(fake, real)


def test_minimax_generator_saturates_but_nonsaturating_does_not() -> None:
    # when D confidently rejects fakes (very negative logits) the saturating gradient vanishes
    grad_minimax, _ = _grads(losses.minimax_generator_loss, [-10.0], [0.0])
    grad_nonsaturating, _ = _grads(losses.nonsaturating_generator_loss, [-10.0], [0.0])
    assert abs(grad_minimax.item()) < 1e-4
    assert grad_nonsaturating.item() == pytest.approx(-1.0, abs=1e-4)


@pytest.mark.parametrize("name", ALL_NAMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_extreme_logits_give_finite_losses_and_gradients(name: str, dtype: torch.dtype) -> None:
    loss = get_loss(name)
    real = torch.tensor([100.0, -100.0], dtype=dtype, requires_grad=True)
    fake = torch.tensor([-100.0, 100.0], dtype=dtype, requires_grad=True)
    d_value = loss.discriminator(real, fake)
    g_value = loss.generator(fake, real)
    assert d_value.dtype == dtype and g_value.dtype == dtype
    assert torch.isfinite(d_value) and torch.isfinite(g_value)
    (d_value + g_value).backward()
    assert real.grad is not None and fake.grad is not None
    assert torch.isfinite(real.grad).all() and torch.isfinite(fake.grad).all()


def test_extreme_logits_keep_their_value() -> None:
    # -log(sigmoid(-100)) = 100 + log(1 + e^-100) ~ 100; a naive log(sigmoid(x)) gives inf in float32
    fake = torch.tensor([-100.0])
    assert losses.nonsaturating_generator_loss(fake).item() == pytest.approx(100.0, rel=1e-6)
    # -log(sigmoid(100)) - log(1 - sigmoid(100)) with real=100, fake=100 -> ~0 + ~100
    d_value = losses.minimax_discriminator_loss(torch.tensor([100.0]), torch.tensor([100.0]))
    assert d_value.item() == pytest.approx(100.0, rel=1e-6)


def test_relativistic_generator_without_real_raises() -> None:
    with pytest.raises(ValueError, match="d_real_logits"):
        losses.relativistic_average_generator_loss(torch.tensor([0.5, 3.0]))
    with pytest.raises(ValueError, match="d_real_logits"):
        get_loss("relativistic-average").generator(torch.tensor([0.5, 3.0]))


def test_registry_lists_all_six_losses() -> None:
    assert LOSSES.names() == ALL_NAMES
    for name in ALL_NAMES:
        loss = get_loss(name)
        assert isinstance(loss, AdversarialLoss)
        assert loss.name == name
        assert loss.paper.startswith("https://arxiv.org/abs/")
        assert LOSSES.describe(name)
    assert get_loss("relativistic-average").generator_needs_real is True


def test_registry_entries_are_the_module_functions() -> None:
    assert get_loss("minimax").generator is losses.minimax_generator_loss
    assert get_loss("nonsaturating").generator is losses.nonsaturating_generator_loss
    assert get_loss("wasserstein").discriminator is losses.wasserstein_discriminator_loss
    assert get_loss("hinge").discriminator is losses.hinge_discriminator_loss
    assert get_loss("least-squares").discriminator is losses.least_squares_discriminator_loss
    assert get_loss("relativistic-average").generator is losses.relativistic_average_generator_loss


def test_loss_record_is_frozen() -> None:
    with pytest.raises(AttributeError):
        get_loss("hinge").name = "other"  # type: ignore[misc]


def test_unknown_loss_raises_polemos_error_listing_names() -> None:
    with pytest.raises(PolemosError) as error:
        get_loss("least_squares")
    message = str(error.value)
    assert "least_squares" in message
    for name in ALL_NAMES:
        assert name in message
