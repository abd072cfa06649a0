"""The objective of each phase: what is computed, not when or how it is applied.

The training loop decides which phase runs and applies backward, clipping and the optimizer step; this module
turns a batch into the scalar to minimise for a phase and reports its statistics by name. It knows nothing
about images or tables: data, conditions and latents are tensors, networks are callables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from polemos.errors import PolemosError
from polemos.game.losses import AdversarialLoss
from polemos.game.penalties import Penalty
from polemos.game.phases import Phase, PhaseKind
from polemos.stats import report

Network = Callable[..., Tensor]


@dataclass(frozen=True)
class PhaseBatch:
    """The inputs of one phase update.

    Attributes:
        real: Real samples in the model's input range, shape (N, ...).
        condition: Conditioning shared by real and fake samples (labels or vectors), or None.
        latent: Latent vectors for the generator, shape (N, latent_dim).
    """

    real: Tensor
    condition: Tensor | None
    latent: Tensor


class GameObjective:
    """Losses of the D, D-regularizer and G phases.

    Args:
        loss: The adversarial loss pair.
        penalty: The gradient penalty (``none`` for none).
        penalty_weight: Multiplier of the penalty (gamma/2 for R1/R2, lambda for WGAN-GP).
        augment: Differentiable augmentation applied to real and fake inputs of D in every phase (or None).
    """

    def __init__(
        self,
        loss: AdversarialLoss,
        penalty: Penalty,
        penalty_weight: float,
        augment: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        self.loss = loss
        self.penalty = penalty
        self.penalty_weight = penalty_weight
        self.augment = augment or (lambda inputs: inputs)

    def _discriminate(self, discriminator: Network, inputs: Tensor, condition: Tensor | None) -> Tensor:
        return _logits(discriminator(self.augment(inputs), condition), inputs.shape[0])

    def phase_loss(self, phase: Phase, generator: Network, discriminator: Network, batch: PhaseBatch) -> Tensor:
        """The scalar to minimise in ``phase``.

        Args:
            phase: The phase being run.
            generator: ``generator(latent, condition) -> samples``.
            discriminator: ``discriminator(samples, condition) -> logits``.
            batch: Real data, condition and latents for this update.
        """
        if phase.kind is PhaseKind.GENERATOR:
            return self._generator_loss(generator, discriminator, batch)
        with torch.no_grad():
            fake = _samples(generator(batch.latent, batch.condition), batch.real)
        if phase.kind is PhaseKind.DISCRIMINATOR_REGULARIZER:
            return self._penalty(discriminator, batch, fake, phase)
        d_real_logits = self._discriminate(discriminator, batch.real, batch.condition)
        d_fake_logits = self._discriminate(discriminator, fake, batch.condition)
        adversarial = _scalar(self.loss.discriminator(d_real_logits, d_fake_logits), self.loss.name, "discriminator")
        report("Loss/D/adversarial", adversarial)
        report("Logits/D/real", d_real_logits.mean())
        report("Logits/D/fake", d_fake_logits.mean())
        report("Logits/D/sign_real", d_real_logits.sign().mean())  # E[sign(D(real))]: ADA's overfitting signal
        if phase.penalty_scale:
            return adversarial + self._penalty(discriminator, batch, fake, phase)
        return adversarial

    def _penalty(self, discriminator: Network, batch: PhaseBatch, fake: Tensor, phase: Phase) -> Tensor:
        seen_logits: list[Tensor] = []

        def discriminate(inputs: Tensor) -> Tensor:
            logits = _logits(discriminator(inputs, batch.condition), inputs.shape[0])
            seen_logits.append(logits)
            return logits

        value = self.penalty.compute(discriminate, self.augment(batch.real), self.augment(fake))
        value = _scalar(value, self.penalty.name, "penalty")
        report(f"Loss/D/{self.penalty.name}", value)
        # + 0 * logits: every parameter of D takes part in the loss (DDP needs it; a final bias has no R1 gradient)
        anchor = sum((logits.sum() * 0.0 for logits in seen_logits), value.new_zeros(()))
        return value * (self.penalty_weight * phase.penalty_scale) + anchor  # lazy: scaled by the interval

    def _generator_loss(self, generator: Network, discriminator: Network, batch: PhaseBatch) -> Tensor:
        fake = _samples(generator(batch.latent, batch.condition), batch.real)
        d_fake_logits = self._discriminate(discriminator, fake, batch.condition)
        d_real_logits = None
        if self.loss.generator_needs_real:
            d_real_logits = self._discriminate(discriminator, batch.real, batch.condition).detach()
        adversarial = _scalar(self.loss.generator(d_fake_logits, d_real_logits), self.loss.name, "generator")
        report("Loss/G/adversarial", adversarial)
        return adversarial


# The contracts a registered entry must keep, checked on every call (shape comparisons: no cost), so that a plugin's
# slip stops the run at its first step with one line naming the entry, not a traceback from deep in autograd.
def _scalar(value: object, name: str, part: str) -> Tensor:
    """``value`` if it is a 0-dim tensor; else a :class:`PolemosError` naming the entry that returned it."""
    subject = f"penalty {name!r}" if part == "penalty" else f"loss {name!r} ({part} side)"
    if not isinstance(value, Tensor):
        raise PolemosError(f"{subject} returned a {type(value).__name__}, not a tensor; return a 0-dim tensor")
    if value.ndim != 0:
        raise PolemosError(
            f"{subject} returned shape {tuple(value.shape)}, not a scalar; reduce over the batch (e.g. .mean())"
        )
    return value


def _logits(logits: object, batch_size: int) -> Tensor:
    """The discriminator's output as a flat (N,) vector; an error unless it holds one logit per sample."""
    if not isinstance(logits, Tensor):
        raise PolemosError(f"the discriminator returned a {type(logits).__name__}; it must return a tensor of logits")
    if logits.numel() != batch_size:
        raise PolemosError(
            f"the discriminator returned shape {tuple(logits.shape)} for a batch of {batch_size}; it must return one "
            f"logit per sample, shape ({batch_size},) or ({batch_size}, 1)"
        )
    return logits.reshape(-1)


def _samples(fake: object, real: Tensor) -> Tensor:
    """The generator's output, if it has the real batch's sample shape and a floating dtype; else an error."""
    if not isinstance(fake, Tensor):
        raise PolemosError(f"the generator returned a {type(fake).__name__}; it must return a tensor of samples")
    if fake.shape[1:] != real.shape[1:] or not fake.is_floating_point():
        raise PolemosError(
            f"the generator returned samples of shape {tuple(fake.shape[1:])} ({fake.dtype}), the data has "
            f"{tuple(real.shape[1:])} ({real.dtype}); its output must match the data's sample shape, as floats"
        )
    return fake
