"""Gradient penalties on the discriminator, for inputs of any rank and any modality.

Each penalty is a function of the gradient of the discriminator's logits with respect to its inputs, taken
per sample and reduced over ALL non-batch dimensions, so the same code serves tables ``(N, D)``, time series
``(N, T, F)`` and images ``(N, C, H, W)``. Devices and dtypes come from the inputs.

Per-sample gradients are obtained as the gradient of ``logits.sum()``; this equals each sample's own gradient
only when the discriminator treats samples independently (no batch normalization or minibatch statistics
across the batch in train mode).

Weighting is the caller's job: these functions return the unweighted expectation. In particular

* R1/R2 are usually weighted by ``gamma / 2`` (Mescheder et al. 2018);
* WGAN-GP is usually weighted by ``lambda = 10`` (Gulrajani et al. 2017);
* a *lazy* penalty applied only every ``k`` discriminator steps must be multiplied by ``k`` so that its
  expected contribution per step is unchanged (Karras et al. 2020, StyleGAN2, https://arxiv.org/abs/1912.04958),
  i.e. the loss term is ``k * weight * penalty`` on the steps where it is computed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from polemos.registry import Registry, check_callable, check_entry

__all__ = [
    "PENALTIES",
    "Penalty",
    "get_penalty",
    "gradient_norms",
    "r1_penalty",
    "r2_penalty",
    "wgan_gradient_penalty",
]


def _input_gradients(outputs: Tensor, inputs: Tensor, create_graph: bool) -> Tensor:
    """Returns d(outputs.sum())/d(inputs), of the same shape as ``inputs``."""
    if not inputs.requires_grad:
        raise ValueError(
            "inputs must require grad to take the discriminator's gradient with respect to them; "
            "call inputs = inputs.detach().requires_grad_(True) before running the discriminator on them"
        )
    (gradients,) = torch.autograd.grad(
        outputs=outputs.sum(),
        inputs=inputs,
        create_graph=create_graph,
        allow_unused=True,
    )
    if gradients is None:
        raise ValueError(
            "the discriminator's outputs do not depend on the given inputs; "
            "pass the very tensor that was fed to the discriminator"
        )
    return gradients


def _squared_norms(gradients: Tensor) -> Tensor:
    """Per-sample squared L2 norm over all non-batch dimensions, shape ``(N,)``."""
    return gradients.reshape(gradients.shape[0], -1).square().sum(dim=1)


def gradient_norms(outputs: Tensor, inputs: Tensor, create_graph: bool = True) -> Tensor:
    """Per-sample L2 norm of the gradient of ``outputs.sum()`` with respect to ``inputs``.

    ``||grad_x D(x_i)||_2`` with the norm taken over every non-batch dimension of ``inputs``.

    Args:
        outputs: Discriminator logits computed from ``inputs``, any shape (they are summed).
        inputs: The tensor fed to the discriminator, shape ``(N, ...)``; must require grad.
        create_graph: Keep the graph of the gradient so a penalty on the norms can be back-propagated
            to the discriminator's parameters (double backpropagation).

    Returns:
        Tensor of shape ``(N,)`` on the device and with the dtype of ``inputs``.

    Raises:
        ValueError: If ``inputs`` does not require grad or ``outputs`` does not depend on it.
    """
    gradients = _input_gradients(outputs, inputs, create_graph)
    # ||g||_2 per sample; vector_norm's backward is defined as 0 where the norm is 0
    return torch.linalg.vector_norm(gradients.reshape(gradients.shape[0], -1), ord=2, dim=1)


def r1_penalty(real_inputs: Tensor, d_real_logits: Tensor) -> Tensor:
    """R1 regularizer: squared gradient norm of the discriminator on real data.

    ``R1 = E_x~real[ ||grad_x D(x)||^2 ]`` (unweighted; the caller multiplies by ``gamma / 2``).

    Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?",
    https://arxiv.org/abs/1801.04406

    Args:
        real_inputs: Real batch fed to the discriminator, shape ``(N, ...)``; must require grad.
        d_real_logits: Discriminator logits computed from ``real_inputs``.

    Returns:
        A scalar tensor with the graph kept, so ``.backward()`` reaches the discriminator's parameters.

    Raises:
        ValueError: If ``real_inputs`` does not require grad.
    """
    gradients = _input_gradients(d_real_logits, real_inputs, create_graph=True)
    # ||grad_x D(x)||^2, summed directly to avoid the sqrt of the norm
    return _squared_norms(gradients).mean()


def r2_penalty(fake_inputs: Tensor, d_fake_logits: Tensor) -> Tensor:
    """R2 regularizer: squared gradient norm of the discriminator on generated data.

    ``R2 = E_x~fake[ ||grad_x D(x)||^2 ]`` (unweighted; the caller multiplies by ``gamma / 2``).

    Mescheder et al. 2018, https://arxiv.org/abs/1801.04406

    Args:
        fake_inputs: Generated batch fed to the discriminator, shape ``(N, ...)``; must require grad.
        d_fake_logits: Discriminator logits computed from ``fake_inputs``.

    Returns:
        A scalar tensor with the graph kept.

    Raises:
        ValueError: If ``fake_inputs`` does not require grad.
    """
    gradients = _input_gradients(d_fake_logits, fake_inputs, create_graph=True)
    return _squared_norms(gradients).mean()


def wgan_gradient_penalty(
    discriminator: Callable[[Tensor], Tensor],  # maps inputs (N, ...) to logits (N,) or (N, 1)
    real: Tensor,  # real batch, shape (N, ...)
    fake: Tensor,  # generated batch, same shape as real
    one_sided: bool = False,  # penalize only norms above target_norm
    target_norm: float = 1.0,  # the Lipschitz constant aimed at
) -> Tensor:
    """WGAN-GP gradient penalty on random interpolates between real and generated samples.

    ``x_hat = alpha * real + (1 - alpha) * fake`` with one ``alpha ~ U(0, 1)`` per sample, then

    * two-sided: ``E[(||grad D(x_hat)|| - target_norm)^2]`` (Gulrajani et al. 2017,
      "Improved Training of Wasserstein GANs", https://arxiv.org/abs/1704.00028);
    * one-sided: ``E[relu(||grad D(x_hat)|| - target_norm)^2]`` (Petzka et al. 2018,
      "On the regularization of Wasserstein GANs", https://arxiv.org/abs/1709.08894).

    ``alpha`` has shape ``(N, 1, ..., 1)`` matching the rank of ``real`` and is drawn with ``torch.rand`` from
    the global generator on ``real``'s device and dtype, so seeding (and restoring RNG state on resume)
    reproduces it. ``real`` and ``fake`` are detached: the penalty trains only the discriminator.

    Returns:
        A scalar tensor with the graph kept, so ``.backward()`` reaches the discriminator's parameters.

    Raises:
        ValueError: If ``real`` and ``fake`` have different shapes.
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape for interpolation, got {tuple(real.shape)} and "
            f"{tuple(fake.shape)}; draw a generated batch of the same size as the real batch"
        )
    real = real.detach()
    fake = fake.detach().to(dtype=real.dtype)
    # one mixing weight per sample, broadcast over every non-batch dimension
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
    interpolates = (alpha * real + (1.0 - alpha) * fake).requires_grad_(True)
    norms = gradient_norms(discriminator(interpolates), interpolates, create_graph=True)
    excess = norms - target_norm
    if one_sided:
        excess = F.relu(excess)
    return excess.square().mean()


# ----------------------------------------------------------------------------------------------------
# Uniform interface for the training loop


@dataclass(frozen=True)
class Penalty:
    """A discriminator regularizer with one calling convention for the training loop.

    Attributes:
        name: Registry name, e.g. ``"r1"``.
        compute: ``(discriminator_fn, real, fake) -> scalar``, the unweighted penalty.
            ``discriminator_fn`` maps an input batch to logits; the caller closes over any conditioning
            (labels, context). Weighting, including the factor ``k`` of a lazy penalty applied every ``k``
            steps, is the caller's job.
        paper: URL of the paper that defines the penalty.
    """

    name: str
    compute: Callable[[Callable[[Tensor], Tensor], Tensor, Tensor], Tensor]
    paper: str


def _no_penalty(discriminator_fn: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
    """No regularization: a zero scalar on ``real``'s device and dtype (safe to add to a loss)."""
    return real.new_zeros(())


def _r1_compute(discriminator_fn: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
    """R1 on a fresh leaf copy of the real batch."""
    real_inputs = real.detach().requires_grad_(True)
    return r1_penalty(real_inputs, discriminator_fn(real_inputs))


def _r2_compute(discriminator_fn: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
    """R2 on a fresh leaf copy of the generated batch."""
    fake_inputs = fake.detach().requires_grad_(True)
    return r2_penalty(fake_inputs, discriminator_fn(fake_inputs))


def _check_penalty(name: str, penalty: Penalty) -> None:
    """A registered penalty is a :class:`Penalty` under its own name whose compute takes (critic, real, fake)."""
    check_entry("penalty", name, penalty, Penalty, getattr(penalty, "name", None))
    check_callable(penalty.compute, f"penalty {name!r}: compute", "discriminator_fn", "real", "fake")


PENALTIES: Registry[Penalty] = Registry("penalty", _check_penalty)

for _penalty, _description in (
    (Penalty("none", _no_penalty, ""), "no gradient penalty"),
    (
        Penalty(
            "wgan-gp",
            functools.partial(wgan_gradient_penalty, one_sided=False),
            "https://arxiv.org/abs/1704.00028",
        ),
        "two-sided WGAN-GP (||grad D|| - 1)^2 on real/fake interpolates",
    ),
    (
        Penalty(
            "wgan-gp-one-sided",
            functools.partial(wgan_gradient_penalty, one_sided=True),
            "https://arxiv.org/abs/1709.08894",
        ),
        "one-sided WGAN-GP relu(||grad D|| - 1)^2 on real/fake interpolates",
    ),
    (Penalty("r1", _r1_compute, "https://arxiv.org/abs/1801.04406"), "R1: ||grad D||^2 on real data"),
    (Penalty("r2", _r2_compute, "https://arxiv.org/abs/1801.04406"), "R2: ||grad D||^2 on generated data"),
):
    PENALTIES.add(_penalty.name, _penalty, _description)
del _penalty, _description


def get_penalty(name: str) -> Penalty:
    """Returns the registered penalty called ``name``.

    Args:
        name: One of ``PENALTIES.names()``.

    Raises:
        PolemosError: If ``name`` is unknown; the message lists the valid names.
    """
    return PENALTIES.get(name)
