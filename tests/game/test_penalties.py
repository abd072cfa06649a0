"""Gradient penalties against closed forms: linear and quadratic discriminators with known input gradients."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from torch import Tensor, nn

from polemos.errors import PolemosError
from polemos.game.penalties import (
    PENALTIES,
    Penalty,
    get_penalty,
    gradient_norms,
    r1_penalty,
    r2_penalty,
    wgan_gradient_penalty,
)

ALL_NAMES = ["none", "r1", "r2", "wgan-gp", "wgan-gp-one-sided"]

# tables (N, D), series (N, T, F), images (N, C, H, W): the penalties must not care
SHAPES = [(5, 4), (5, 3, 6), (5, 2, 3, 4)]


def linear_discriminator(weight: Tensor) -> Callable[[Tensor], Tensor]:
    """D(x) = sum(weight * x) over all non-batch dims; its input gradient is ``weight`` for every sample."""

    def discriminator(inputs: Tensor) -> Tensor:
        return (weight * inputs).reshape(inputs.shape[0], -1).sum(dim=1)

    return discriminator


def quadratic_discriminator(inputs: Tensor) -> Tensor:
    """D(x) = 0.5 * ||x||^2 per sample, shape (N, 1); its input gradient is x itself."""
    return 0.5 * inputs.reshape(inputs.shape[0], -1).square().sum(dim=1, keepdim=True)


def weight_with_norm(shape: tuple[int, ...], norm: float, dtype: torch.dtype = torch.float64) -> Tensor:
    """A constant weight over ``shape[1:]`` whose L2 norm is ``norm``."""
    count = math.prod(shape[1:])
    return torch.full(shape[1:], norm / math.sqrt(count), dtype=dtype)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("weight_norm", "two_sided", "one_sided"),
    [
        # (||w|| - 1)^2 and relu(||w|| - 1)^2 by hand
        (0.5, 0.25, 0.0),
        (2.0, 1.0, 1.0),
        (3.0, 4.0, 4.0),
    ],
)
def test_wgan_gp_on_linear_discriminator(
    shape: tuple[int, ...], weight_norm: float, two_sided: float, one_sided: float
) -> None:
    weight = weight_with_norm(shape, weight_norm)
    real = torch.randn(shape, dtype=torch.float64)
    fake = torch.randn(shape, dtype=torch.float64)
    discriminator = linear_discriminator(weight)
    value_two_sided = wgan_gradient_penalty(discriminator, real, fake)
    value_one_sided = wgan_gradient_penalty(discriminator, real, fake, one_sided=True)
    assert value_two_sided.dim() == 0
    assert value_two_sided.item() == pytest.approx(two_sided, rel=1e-12, abs=1e-12)
    assert value_one_sided.item() == pytest.approx(one_sided, rel=1e-12, abs=1e-12)


def test_wgan_gp_target_norm() -> None:
    weight = weight_with_norm((4, 3), 0.5)
    real, fake = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    # (0.5 - 2)^2 = 2.25
    value = wgan_gradient_penalty(linear_discriminator(weight), real, fake, target_norm=2.0)
    assert value.item() == pytest.approx(2.25, rel=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("weight_norm", [0.5, 2.0])
def test_r1_and_r2_on_linear_discriminator(shape: tuple[int, ...], weight_norm: float) -> None:
    weight = weight_with_norm(shape, weight_norm)
    discriminator = linear_discriminator(weight)
    real = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    fake = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    # ||w||^2
    assert r1_penalty(real, discriminator(real)).item() == pytest.approx(weight_norm**2, rel=1e-12)
    assert r2_penalty(fake, discriminator(fake)).item() == pytest.approx(weight_norm**2, rel=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_norms_are_per_sample(shape: tuple[int, ...]) -> None:
    # quadratic D: grad_x D(x_i) = x_i, so the norms are ||x_i||, different for every sample
    inputs = torch.randn(shape, dtype=torch.float64)
    inputs[1] *= 3.0
    inputs.requires_grad_(True)
    norms = gradient_norms(quadratic_discriminator(inputs), inputs)
    assert norms.shape == (shape[0],)
    expected = [math.sqrt(sum(v * v for v in sample.flatten().tolist())) for sample in inputs.detach()]
    assert norms.tolist() == pytest.approx(expected, rel=1e-12)
    assert len({round(value, 9) for value in norms.tolist()}) == shape[0]


def test_gradient_norms_hand_values() -> None:
    inputs = torch.tensor([[3.0, 4.0], [0.0, 1.0], [6.0, 8.0]], requires_grad=True)
    norms = gradient_norms(quadratic_discriminator(inputs), inputs)
    assert norms.tolist() == pytest.approx([5.0, 1.0, 10.0])
    # R1 = mean(25, 1, 100) = 42
    assert r1_penalty(inputs, quadratic_discriminator(inputs)).item() == pytest.approx(42.0)


@pytest.mark.parametrize("shape", [(3, 2), (3, 2, 2, 2)])
@pytest.mark.parametrize("one_sided", [False, True])
def test_wgan_gp_interpolates_per_sample_with_global_rng(shape: tuple[int, ...], one_sided: bool) -> None:
    # quadratic D: the gradient at x_hat is x_hat, so the penalty depends on each sample's alpha
    real = torch.randn(shape, dtype=torch.float64)
    fake = torch.randn(shape, dtype=torch.float64) * 0.1
    torch.manual_seed(123)
    alpha = torch.rand((shape[0],) + (1,) * (len(shape) - 1), dtype=torch.float64)
    expected_terms = []
    for index in range(shape[0]):
        mixed = (alpha[index] * real[index] + (1 - alpha[index]) * fake[index]).flatten().tolist()
        excess = math.sqrt(sum(v * v for v in mixed)) - 1.0
        if one_sided:
            excess = max(0.0, excess)
        expected_terms.append(excess**2)
    torch.manual_seed(123)
    value = wgan_gradient_penalty(quadratic_discriminator, real, fake, one_sided=one_sided)
    assert value.item() == pytest.approx(sum(expected_terms) / len(expected_terms), rel=1e-12)


def test_wgan_gp_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="same shape"):
        wgan_gradient_penalty(quadratic_discriminator, torch.randn(4, 3), torch.randn(5, 3))


def test_wgan_gp_backward_reaches_module_parameters_but_not_generator() -> None:
    discriminator = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 1))
    generator = nn.Linear(6, 12)
    real = torch.randn(4, 3, 4)
    fake = generator(torch.randn(4, 6)).reshape(4, 3, 4)
    for name in ("wgan-gp", "wgan-gp-one-sided", "r1", "r2"):
        discriminator.zero_grad(set_to_none=True)
        generator.zero_grad(set_to_none=True)
        # scale D so its gradient norms exceed 1 and the one-sided penalty is active
        penalty = get_penalty(name).compute(lambda inputs: 100.0 * discriminator(inputs), real, fake)
        assert penalty.item() > 0
        penalty.backward()
        for parameter in (discriminator[1].weight, discriminator[3].weight):
            assert parameter.grad is not None, name
            assert parameter.grad.abs().sum().item() > 0, name
        # real and fake are detached inside: nothing flows to the generator
        assert generator.weight.grad is None, name


def test_wgan_gp_with_zero_gradient_is_finite() -> None:
    # ||grad|| = 0 exactly: the penalty is (0 - 1)^2 = 1 and its backward must not produce NaN
    weight = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    real, fake = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    value = wgan_gradient_penalty(linear_discriminator(weight), real, fake)
    assert value.item() == pytest.approx(1.0)
    value.backward()
    assert weight.grad is not None and torch.isfinite(weight.grad).all()


@pytest.mark.parametrize("shape", SHAPES)
def test_registry_penalties_on_linear_discriminator(shape: tuple[int, ...]) -> None:
    weight = weight_with_norm(shape, 2.0)
    discriminator = linear_discriminator(weight)
    real, fake = torch.randn(shape, dtype=torch.float64), torch.randn(shape, dtype=torch.float64)
    expected = {"none": 0.0, "r1": 4.0, "r2": 4.0, "wgan-gp": 1.0, "wgan-gp-one-sided": 1.0}
    for name, value in expected.items():
        assert get_penalty(name).compute(discriminator, real, fake).item() == pytest.approx(value, rel=1e-12)


def test_registry_r1_uses_real_and_r2_uses_fake() -> None:
    real = torch.tensor([[3.0, 4.0], [0.0, 1.0]], dtype=torch.float64)  # squared norms 25, 1
    fake = torch.tensor([[1.0, 1.0], [2.0, 0.0]], dtype=torch.float64)  # squared norms 2, 4
    assert get_penalty("r1").compute(quadratic_discriminator, real, fake).item() == pytest.approx(13.0)
    assert get_penalty("r2").compute(quadratic_discriminator, real, fake).item() == pytest.approx(3.0)
    # the caller's tensors are left untouched
    assert not real.requires_grad and not fake.requires_grad


@pytest.mark.parametrize("name", ALL_NAMES)
def test_penalty_dtype_follows_inputs(name: str) -> None:
    weight = weight_with_norm((3, 2, 2), 2.0, dtype=torch.float64)
    real = torch.randn(3, 2, 2, dtype=torch.float64)
    fake = torch.randn(3, 2, 2, dtype=torch.float64)
    value = get_penalty(name).compute(linear_discriminator(weight), real, fake)
    assert value.dtype == torch.float64
    assert value.device == real.device


def test_none_penalty_is_zero_and_safe_to_add() -> None:
    weight = torch.ones(3, requires_grad=True)
    real, fake = torch.randn(4, 3), torch.randn(4, 3)
    zero = get_penalty("none").compute(linear_discriminator(weight), real, fake)
    assert zero.dim() == 0 and zero.item() == 0.0
    loss = linear_discriminator(weight)(real).mean() + 10.0 * zero
    loss.backward()
    assert weight.grad is not None
    assert torch.allclose(weight.grad, real.mean(dim=0))


def test_r1_without_requires_grad_raises() -> None:
    real = torch.randn(4, 3)
    logits = quadratic_discriminator(real)
    with pytest.raises(ValueError, match="require"):
        r1_penalty(real, logits)
    with pytest.raises(ValueError, match="require"):
        r2_penalty(real, logits)


def test_gradient_norms_unrelated_inputs_raise() -> None:
    inputs = torch.randn(4, 3, requires_grad=True)
    other = torch.randn(4, 3, requires_grad=True)
    with pytest.raises(ValueError, match="do not depend"):
        gradient_norms(quadratic_discriminator(other), inputs)


def test_gradient_norms_without_graph() -> None:
    inputs = torch.tensor([[3.0, 4.0]], requires_grad=True)
    norms = gradient_norms(quadratic_discriminator(inputs), inputs, create_graph=False)
    assert norms.tolist() == pytest.approx([5.0])
    assert not norms.requires_grad


def test_registry_lists_all_penalties() -> None:
    assert PENALTIES.names() == ALL_NAMES
    for name in ALL_NAMES:
        penalty = get_penalty(name)
        assert isinstance(penalty, Penalty)
        assert penalty.name == name
        assert PENALTIES.describe(name)
        if name != "none":
            assert penalty.paper.startswith("https://arxiv.org/abs/")


def test_unknown_penalty_raises_polemos_error_listing_names() -> None:
    with pytest.raises(PolemosError) as error:
        get_penalty("gp")
    message = str(error.value)
    for name in ALL_NAMES:
        assert name in message
