"""Adversarial losses as pure functions of the discriminator's logits, in matched pairs.

Every loss is a pair of functions:

* ``<name>_discriminator_loss(d_real_logits, d_fake_logits)``: the scalar the discriminator minimizes;
* ``<name>_generator_loss(d_fake_logits, d_real_logits=None)``: the scalar the generator minimizes.

Logits are the raw, unbounded discriminator outputs (no sigmoid applied) of shape ``(N,)`` or ``(N, 1)``;
every expectation ``E`` is a mean over the batch. The real and fake batches may have different sizes.
Log-probabilities are written with ``softplus`` so they stay finite for any logit, using
``-log(sigmoid(x)) = softplus(-x)`` and ``-log(1 - sigmoid(x)) = softplus(x)``.

Nothing here knows about devices, dtypes or modalities: results live where the logits live.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor

from polemos.registry import Registry, check_callable, check_entry

__all__ = [
    "LOSSES",
    "AdversarialLoss",
    "get_loss",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "nonsaturating_discriminator_loss",
    "nonsaturating_generator_loss",
    "relativistic_average_discriminator_loss",
    "relativistic_average_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]


def _flat_logits(logits: Tensor, argument: str) -> Tensor:
    """Returns ``logits`` as shape ``(N,)``; accepts ``(N,)`` or ``(N, 1)`` only."""
    if logits.dim() == 1:
        return logits
    if logits.dim() == 2 and logits.shape[1] == 1:
        return logits.reshape(-1)
    raise ValueError(
        f"{argument} must have shape (N,) or (N, 1) (one logit per sample), got {tuple(logits.shape)}; "
        "make the discriminator return one logit per sample"
    )


# ----------------------------------------------------------------------------------------------------
# Minimax (saturating) GAN


def minimax_discriminator_loss(d_real_logits: Tensor, d_fake_logits: Tensor) -> Tensor:
    """Discriminator loss of the original minimax GAN (binary cross-entropy, real=1, fake=0).

    ``L_D = -E[log sigmoid(d_real)] - E[log(1 - sigmoid(d_fake))]``
    ``    = E[softplus(-d_real)] + E[softplus(d_fake)]``

    Goodfellow et al. 2014, "Generative Adversarial Nets", https://arxiv.org/abs/1406.2661

    Args:
        d_real_logits: Discriminator logits on real samples, shape ``(N,)`` or ``(N, 1)``.
        d_fake_logits: Discriminator logits on generated samples, shape ``(M,)`` or ``(M, 1)``.

    Returns:
        A scalar tensor.
    """
    d_real = _flat_logits(d_real_logits, "d_real_logits")
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    # -log(sigmoid(d_real)) - log(1 - sigmoid(d_fake))
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


def minimax_generator_loss(d_fake_logits: Tensor, d_real_logits: Tensor | None = None) -> Tensor:
    """Generator loss of the original minimax GAN (the saturating form).

    ``L_G = E[log(1 - sigmoid(d_fake))] = -E[softplus(d_fake)]``

    Its gradient vanishes when the discriminator confidently rejects the fakes, which is why
    :func:`nonsaturating_generator_loss` is usually preferred. Goodfellow et al. 2014,
    https://arxiv.org/abs/1406.2661

    Args:
        d_fake_logits: Discriminator logits on generated samples, shape ``(M,)`` or ``(M, 1)``.
        d_real_logits: Ignored; accepted so all generator losses share one signature.

    Returns:
        A scalar tensor.
    """
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    # log(1 - sigmoid(d_fake)) = -softplus(d_fake)
    return -F.softplus(d_fake).mean()


# ----------------------------------------------------------------------------------------------------
# Non-saturating GAN


def nonsaturating_discriminator_loss(d_real_logits: Tensor, d_fake_logits: Tensor) -> Tensor:
    """Discriminator loss of the non-saturating GAN; identical to :func:`minimax_discriminator_loss`.

    ``L_D = -E[log sigmoid(d_real)] - E[log(1 - sigmoid(d_fake))]``
    ``    = E[softplus(-d_real)] + E[softplus(d_fake)]``

    Goodfellow et al. 2014, Section 3, https://arxiv.org/abs/1406.2661

    Args:
        d_real_logits: Discriminator logits on real samples, shape ``(N,)`` or ``(N, 1)``.
        d_fake_logits: Discriminator logits on generated samples, shape ``(M,)`` or ``(M, 1)``.

    Returns:
        A scalar tensor.
    """
    return minimax_discriminator_loss(d_real_logits, d_fake_logits)


def nonsaturating_generator_loss(d_fake_logits: Tensor, d_real_logits: Tensor | None = None) -> Tensor:
    """Generator loss of the non-saturating GAN: maximize the log-probability that fakes are called real.

    ``L_G = -E[log sigmoid(d_fake)] = E[softplus(-d_fake)]``

    Goodfellow et al. 2014, Section 3, https://arxiv.org/abs/1406.2661

    Args:
        d_fake_logits: Discriminator logits on generated samples, shape ``(M,)`` or ``(M, 1)``.
        d_real_logits: Ignored; accepted so all generator losses share one signature.

    Returns:
        A scalar tensor.
    """
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    # -log(sigmoid(d_fake))
    return F.softplus(-d_fake).mean()


# ----------------------------------------------------------------------------------------------------
# Wasserstein GAN


def wasserstein_discriminator_loss(d_real_logits: Tensor, d_fake_logits: Tensor) -> Tensor:
    """Critic loss of the Wasserstein GAN (the negated Kantorovich-Rubinstein dual estimate).

    ``L_D = E[d_fake] - E[d_real]``

    The critic must be kept (approximately) 1-Lipschitz, e.g. with the ``wgan-gp`` penalty.
    Arjovsky et al. 2017, "Wasserstein GAN", https://arxiv.org/abs/1701.07875

    Args:
        d_real_logits: Critic outputs on real samples, shape ``(N,)`` or ``(N, 1)``.
        d_fake_logits: Critic outputs on generated samples, shape ``(M,)`` or ``(M, 1)``.

    Returns:
        A scalar tensor.
    """
    d_real = _flat_logits(d_real_logits, "d_real_logits")
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    return d_fake.mean() - d_real.mean()


def wasserstein_generator_loss(d_fake_logits: Tensor, d_real_logits: Tensor | None = None) -> Tensor:
    """Generator loss of the Wasserstein GAN.

    ``L_G = -E[d_fake]``

    Arjovsky et al. 2017, "Wasserstein GAN", https://arxiv.org/abs/1701.07875

    Args:
        d_fake_logits: Critic outputs on generated samples, shape ``(M,)`` or ``(M, 1)``.
        d_real_logits: Ignored; accepted so all generator losses share one signature.

    Returns:
        A scalar tensor.
    """
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    return -d_fake.mean()


# ----------------------------------------------------------------------------------------------------
# Hinge GAN


def hinge_discriminator_loss(d_real_logits: Tensor, d_fake_logits: Tensor) -> Tensor:
    """Discriminator hinge loss: a margin of 1 on each side.

    ``L_D = E[relu(1 - d_real)] + E[relu(1 + d_fake)]``

    Lim & Ye 2017, "Geometric GAN", https://arxiv.org/abs/1705.02894 ; used by Miyato et al. 2018,
    "Spectral Normalization for GANs", https://arxiv.org/abs/1802.05957

    Args:
        d_real_logits: Discriminator logits on real samples, shape ``(N,)`` or ``(N, 1)``.
        d_fake_logits: Discriminator logits on generated samples, shape ``(M,)`` or ``(M, 1)``.

    Returns:
        A scalar tensor.
    """
    d_real = _flat_logits(d_real_logits, "d_real_logits")
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()


def hinge_generator_loss(d_fake_logits: Tensor, d_real_logits: Tensor | None = None) -> Tensor:
    """Generator loss paired with the hinge discriminator loss.

    ``L_G = -E[d_fake]``

    Lim & Ye 2017, https://arxiv.org/abs/1705.02894 ; Miyato et al. 2018, https://arxiv.org/abs/1802.05957

    Args:
        d_fake_logits: Discriminator logits on generated samples, shape ``(M,)`` or ``(M, 1)``.
        d_real_logits: Ignored; accepted so all generator losses share one signature.

    Returns:
        A scalar tensor.
    """
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    return -d_fake.mean()


# ----------------------------------------------------------------------------------------------------
# Least-squares GAN


def least_squares_discriminator_loss(d_real_logits: Tensor, d_fake_logits: Tensor) -> Tensor:
    """Discriminator loss of the least-squares GAN with targets a=0 (fake), b=1 (real).

    ``L_D = 0.5 E[(d_real - 1)^2] + 0.5 E[d_fake^2]``

    Mao et al. 2017, "Least Squares Generative Adversarial Networks", https://arxiv.org/abs/1611.04076

    Args:
        d_real_logits: Discriminator outputs on real samples, shape ``(N,)`` or ``(N, 1)``.
        d_fake_logits: Discriminator outputs on generated samples, shape ``(M,)`` or ``(M, 1)``.

    Returns:
        A scalar tensor.
    """
    d_real = _flat_logits(d_real_logits, "d_real_logits")
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    return 0.5 * (d_real - 1.0).square().mean() + 0.5 * d_fake.square().mean()


def least_squares_generator_loss(d_fake_logits: Tensor, d_real_logits: Tensor | None = None) -> Tensor:
    """Generator loss of the least-squares GAN with target c=1.

    ``L_G = 0.5 E[(d_fake - 1)^2]``

    Mao et al. 2017, https://arxiv.org/abs/1611.04076

    Args:
        d_fake_logits: Discriminator outputs on generated samples, shape ``(M,)`` or ``(M, 1)``.
        d_real_logits: Ignored; accepted so all generator losses share one signature.

    Returns:
        A scalar tensor.
    """
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    return 0.5 * (d_fake - 1.0).square().mean()


# ----------------------------------------------------------------------------------------------------
# Relativistic average GAN


def relativistic_average_discriminator_loss(d_real_logits: Tensor, d_fake_logits: Tensor) -> Tensor:
    """Discriminator loss of the relativistic average GAN (RaSGAN, sigmoid form).

    ``L_D = -E[log sigmoid(d_real - E[d_fake])] - E[log(1 - sigmoid(d_fake - E[d_real]))]``
    ``    = E[softplus(E[d_fake] - d_real)] + E[softplus(d_fake - E[d_real])]``

    Jolicoeur-Martineau 2018, "The relativistic discriminator", https://arxiv.org/abs/1807.00734

    Args:
        d_real_logits: Discriminator logits on real samples, shape ``(N,)`` or ``(N, 1)``.
        d_fake_logits: Discriminator logits on generated samples, shape ``(M,)`` or ``(M, 1)``.

    Returns:
        A scalar tensor.
    """
    d_real = _flat_logits(d_real_logits, "d_real_logits")
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    # -log(sigmoid(d_real - E d_fake))
    real_term = F.softplus(d_fake.mean() - d_real).mean()
    # -log(1 - sigmoid(d_fake - E d_real))
    fake_term = F.softplus(d_fake - d_real.mean()).mean()
    return real_term + fake_term


def relativistic_average_generator_loss(d_fake_logits: Tensor, d_real_logits: Tensor | None = None) -> Tensor:
    """Generator loss of the relativistic average GAN (RaSGAN): the discriminator loss with roles swapped.

    ``L_G = -E[log sigmoid(d_fake - E[d_real])] - E[log(1 - sigmoid(d_real - E[d_fake]))]``
    ``    = E[softplus(E[d_real] - d_fake)] + E[softplus(d_real - E[d_fake])]``

    The real logits are needed; the caller may pass them detached (their gradient does not reach the
    generator). Jolicoeur-Martineau 2018, https://arxiv.org/abs/1807.00734

    Args:
        d_fake_logits: Discriminator logits on generated samples, shape ``(M,)`` or ``(M, 1)``.
        d_real_logits: Discriminator logits on real samples, shape ``(N,)`` or ``(N, 1)``; required.

    Returns:
        A scalar tensor.

    Raises:
        ValueError: If ``d_real_logits`` is None.
    """
    if d_real_logits is None:
        raise ValueError(
            "relativistic_average_generator_loss needs d_real_logits; "
            "pass the discriminator's logits on a real batch (generator_needs_real is True)"
        )
    d_real = _flat_logits(d_real_logits, "d_real_logits")
    d_fake = _flat_logits(d_fake_logits, "d_fake_logits")
    # -log(sigmoid(d_fake - E d_real))
    fake_term = F.softplus(d_real.mean() - d_fake).mean()
    # -log(1 - sigmoid(d_real - E d_fake))
    real_term = F.softplus(d_real - d_fake.mean()).mean()
    return fake_term + real_term


# ----------------------------------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class AdversarialLoss:
    """A matched pair of discriminator and generator losses.

    Attributes:
        name: Registry name, e.g. ``"nonsaturating"``.
        discriminator: ``(d_real_logits, d_fake_logits) -> scalar`` minimized by the discriminator.
        generator: ``(d_fake_logits, d_real_logits=None) -> scalar`` minimized by the generator.
        generator_needs_real: True when ``generator`` needs ``d_real_logits`` (relativistic losses), so the
            training loop must also run the discriminator on a real batch during the generator step.
        paper: URL of the paper that defines the loss.
    """

    name: str
    discriminator: Callable[[Tensor, Tensor], Tensor]
    generator: Callable[..., Tensor]
    generator_needs_real: bool
    paper: str


def _check_loss(name: str, loss: AdversarialLoss) -> None:
    """A registered loss is a matched pair under its own name, each side callable as the loop calls it."""
    check_entry("loss", name, loss, AdversarialLoss, getattr(loss, "name", None))
    check_callable(loss.discriminator, f"loss {name!r}: discriminator", "d_real_logits", "d_fake_logits")
    check_callable(loss.generator, f"loss {name!r}: generator", "d_fake_logits", "d_real_logits")


LOSSES: Registry[AdversarialLoss] = Registry("loss", _check_loss)

for _loss, _description in (
    (
        AdversarialLoss(
            "minimax",
            minimax_discriminator_loss,
            minimax_generator_loss,
            False,
            "https://arxiv.org/abs/1406.2661",
        ),
        "original minimax GAN; saturating generator loss log(1 - sigmoid(d_fake))",
    ),
    (
        AdversarialLoss(
            "nonsaturating",
            nonsaturating_discriminator_loss,
            nonsaturating_generator_loss,
            False,
            "https://arxiv.org/abs/1406.2661",
        ),
        "non-saturating GAN; generator loss -log(sigmoid(d_fake))",
    ),
    (
        AdversarialLoss(
            "wasserstein",
            wasserstein_discriminator_loss,
            wasserstein_generator_loss,
            False,
            "https://arxiv.org/abs/1701.07875",
        ),
        "Wasserstein GAN; pair with a Lipschitz constraint such as wgan-gp",
    ),
    (
        AdversarialLoss(
            "hinge",
            hinge_discriminator_loss,
            hinge_generator_loss,
            False,
            "https://arxiv.org/abs/1705.02894",
        ),
        "hinge loss (Geometric GAN, SN-GAN)",
    ),
    (
        AdversarialLoss(
            "least-squares",
            least_squares_discriminator_loss,
            least_squares_generator_loss,
            False,
            "https://arxiv.org/abs/1611.04076",
        ),
        "least-squares GAN with targets a=0, b=1, c=1",
    ),
    (
        AdversarialLoss(
            "relativistic-average",
            relativistic_average_discriminator_loss,
            relativistic_average_generator_loss,
            True,
            "https://arxiv.org/abs/1807.00734",
        ),
        "relativistic average GAN (sigmoid); the generator step needs real logits",
    ),
):
    LOSSES.add(_loss.name, _loss, _description)
del _loss, _description


def get_loss(name: str) -> AdversarialLoss:
    """Returns the registered loss pair called ``name``.

    Args:
        name: One of ``LOSSES.names()``.

    Raises:
        PolemosError: If ``name`` is unknown; the message lists the valid names.
    """
    return LOSSES.get(name)
