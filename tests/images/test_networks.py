"""Tests for polemos.images.networks: shapes, conditioning, spectral norm, gradient flow, registry."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from polemos.errors import PolemosError
from polemos.images.networks import (
    IMAGE_MODELS,
    ConditionalBatchNorm2d,
    DCGANDiscriminator,
    DCGANGenerator,
    MinibatchStd,
    PackedDiscriminator,
    ResNetDiscriminator,
    ResNetGenerator,
    build_image_models,
    channels_at,
)

LATENT_DIM = 16
WIDTH = 8
MODEL_NAMES = ["dcgan", "resnet"]


def _weight_layers(network: nn.Module) -> list[nn.Module]:
    return [m for m in network.modules() if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear)]


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("resolution", [8, 16, 32, 64, 128, 256])
@pytest.mark.parametrize("channels", [1, 3])
def test_output_shapes_and_range(name: str, resolution: int, channels: int) -> None:
    generator, discriminator = build_image_models(name, LATENT_DIM, resolution, channels, width=WIDTH)
    images = generator(torch.randn(2, LATENT_DIM))
    assert images.shape == (2, channels, resolution, resolution)
    assert images.abs().max() <= 1.0
    logits = discriminator(images)
    assert logits.shape == (2,)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_generator_output_is_bounded_by_tanh(name: str) -> None:
    generator, _ = build_image_models(name, LATENT_DIM, 8, 3, width=WIDTH)
    with torch.no_grad():  # huge pre-activations: without a final tanh the output would leave [-1, 1]
        generator.to_image.weight.mul_(1000.0)
    images = generator(torch.randn(4, LATENT_DIM))
    assert images.abs().max() <= 1.0
    assert images.abs().max() > 0.99


def test_channel_rule_matches_the_dcgan_cifar_layout() -> None:
    # 32x32, width 64: 512 channels at 4x4, 256 at 8x8, 128 at 16x16, 64 at 32x32
    assert [channels_at(side, 32, 64) for side in (4, 8, 16, 32)] == [512, 256, 128, 64]
    # capped at 8 * width for large images
    assert channels_at(4, 256, 64) == 512
    generator = DCGANGenerator(LATENT_DIM, 32, 3, width=64)
    assert [conv.out_channels for conv in generator.upsample_convs] == [256, 128, 64]
    assert generator.project.out_features == 512 * 16


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_generator_is_conditional_on_labels(name: str) -> None:
    generator, _ = build_image_models(name, LATENT_DIM, 16, 3, width=WIDTH, num_classes=5)
    cbns = [m for m in generator.modules() if isinstance(m, ConditionalBatchNorm2d)]
    assert cbns
    for cbn in cbns:  # documented init: gain 1, bias 0 (so every class starts identical)
        assert torch.equal(cbn.class_gain.weight, torch.ones_like(cbn.class_gain.weight))
        assert torch.equal(cbn.class_bias.weight, torch.zeros_like(cbn.class_bias.weight))
        with torch.no_grad():  # emulate training having separated the classes
            cbn.class_gain.weight.normal_(1.0, 0.5)
            cbn.class_bias.weight.normal_(0.0, 0.5)
    generator.eval()
    latent = torch.randn(1, LATENT_DIM).expand(2, -1)
    images = generator(latent, torch.tensor([0, 3]))
    assert not torch.allclose(images[0], images[1], atol=1e-4)
    same = generator(latent, torch.tensor([3, 3]))
    torch.testing.assert_close(same[0], same[1])


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_missing_labels_raise_value_error(name: str) -> None:
    generator, discriminator = build_image_models(name, LATENT_DIM, 8, 3, width=WIDTH, num_classes=4)
    with pytest.raises(ValueError, match="labels"):
        generator(torch.randn(2, LATENT_DIM))
    with pytest.raises(ValueError, match="labels"):
        discriminator(torch.zeros(2, 3, 8, 8))
    with pytest.raises(ValueError, match="labels"):
        discriminator(torch.zeros(2, 3, 8, 8), torch.tensor([0.0, 1.0]))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_unconditional_models_ignore_labels(name: str) -> None:
    generator, discriminator = build_image_models(name, LATENT_DIM, 8, 3, width=WIDTH)
    generator.eval()
    discriminator.eval()  # freezes the spectral-norm power iteration between the two calls
    latent = torch.randn(2, LATENT_DIM)
    torch.testing.assert_close(generator(latent), generator(latent, torch.tensor([0, 1])))
    images = torch.rand(2, 3, 8, 8) * 2 - 1
    torch.testing.assert_close(discriminator(images), discriminator(images, torch.tensor([5, 7])))


@pytest.mark.parametrize("discriminator_class", [DCGANDiscriminator, ResNetDiscriminator])
def test_projection_discriminator_adds_label_embedding_inner_product(discriminator_class: type) -> None:
    discriminator = discriminator_class(16, 3, width=WIDTH, num_classes=3, spectral_norm=False)
    discriminator.eval()
    images = torch.rand(1, 3, 16, 16).expand(3, -1, -1, -1) * 2 - 1
    logits = discriminator(images, torch.tensor([0, 1, 2]))
    assert logits.shape == (3,)
    assert len(set(logits.tolist())) == 3  # the label changes the logit
    # the difference between two labels is <e_0 - e_1, h> with h the features fed to the head
    captured: list[torch.Tensor] = []
    hook = discriminator.head.to_logit.register_forward_hook(lambda _m, inputs, _o: captured.append(inputs[0]))
    discriminator(images[:1], torch.tensor([0]))
    hook.remove()
    embedding = discriminator.head.class_embedding.weight
    expected = (captured[0][0] * (embedding[0] - embedding[1])).sum()
    torch.testing.assert_close(logits[0] - logits[1], expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("discriminator_class", [DCGANDiscriminator, ResNetDiscriminator])
def test_spectral_norm_parametrizes_every_layer(discriminator_class: type) -> None:
    with_sn = discriminator_class(16, 3, width=WIDTH, num_classes=3, spectral_norm=True)
    layers = _weight_layers(with_sn) + [with_sn.head.class_embedding]
    assert len(layers) >= 3
    assert all(parametrize.is_parametrized(layer, "weight") for layer in layers)
    without_sn = discriminator_class(16, 3, width=WIDTH, num_classes=3, spectral_norm=False)
    assert not any(parametrize.is_parametrized(m) for m in without_sn.modules())


@pytest.mark.parametrize("discriminator_class", [DCGANDiscriminator, ResNetDiscriminator])
def test_spectral_norm_bounds_largest_singular_value(discriminator_class: type) -> None:
    discriminator = discriminator_class(16, 3, width=WIDTH, num_classes=3, spectral_norm=True).train()
    images = torch.rand(4, 3, 16, 16) * 2 - 1
    labels = torch.tensor([0, 1, 2, 0])
    for _ in range(10):  # each train-mode forward runs one power iteration
        discriminator(images, labels)
    for layer in _weight_layers(discriminator) + [discriminator.head.class_embedding]:
        weight = layer.weight
        largest = torch.linalg.matrix_norm(weight.reshape(weight.shape[0], -1), ord=2)
        assert largest.item() == pytest.approx(1.0, abs=0.02), type(layer).__name__
    # the raw (unnormalised) weights are not already of norm 1, so the check above is not vacuous
    raw = discriminator.head.to_logit.parametrizations.weight.original
    assert torch.linalg.matrix_norm(raw, ord=2).item() != pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("num_classes", [0, 4])
@pytest.mark.parametrize("spectral_norm", [True, False])
def test_gradients_reach_every_parameter(name: str, num_classes: int, spectral_norm: bool) -> None:
    generator, discriminator = build_image_models(
        name, LATENT_DIM, 16, 3, width=WIDTH, num_classes=num_classes, spectral_norm=spectral_norm
    )
    labels = torch.tensor([0, 1, 2, 3]) if num_classes else None
    if num_classes:  # give each class its own gain so the conditional parameters matter
        for module in generator.modules():
            if isinstance(module, ConditionalBatchNorm2d):
                with torch.no_grad():
                    module.class_gain.weight.normal_(1.0, 0.3)
    # float64 so that a gradient that is zero in exact arithmetic (e.g. a bias cancelled by a following batch
    # norm, ~1e-10 in float32) shows up as ~1e-19 and fails the threshold below
    generator.double()
    discriminator.double()
    latent = torch.randn(4, LATENT_DIM, dtype=torch.float64)
    loss = discriminator(generator(latent, labels), labels).square().mean()
    loss.backward()
    for network in (generator, discriminator):
        for parameter_name, parameter in network.named_parameters():
            assert parameter.grad is not None, parameter_name
            assert parameter.grad.abs().max() > 1e-12, parameter_name


def test_dcgan_init_is_normal_002_and_resnet_is_not() -> None:
    generator = DCGANGenerator(LATENT_DIM, 32, 3, width=32)
    weights = torch.cat([layer.weight.flatten() for layer in _weight_layers(generator)])
    assert weights.mean().item() == pytest.approx(0.0, abs=1e-3)
    assert weights.std().item() == pytest.approx(0.02, rel=0.02)
    resnet = ResNetGenerator(LATENT_DIM, 32, 3, width=32)
    # xavier-uniform with gain sqrt(2): |w| <= sqrt(2) * sqrt(6 / (fan_in + fan_out))
    conv = resnet.blocks[0].conv1
    fan_in, fan_out = conv.in_channels * 9, conv.out_channels * 9
    bound = 2**0.5 * (6 / (fan_in + fan_out)) ** 0.5
    assert conv.weight.abs().max().item() <= bound
    assert conv.weight.abs().max().item() > 0.95 * bound


def test_registry_names_and_errors() -> None:
    assert IMAGE_MODELS.names() == ["dcgan", "resnet"]
    assert IMAGE_MODELS.get("dcgan").generator is DCGANGenerator
    assert IMAGE_MODELS.get("resnet").discriminator is ResNetDiscriminator
    with pytest.raises(PolemosError, match="dcgan, resnet"):
        build_image_models("stylegan", LATENT_DIM, 32, 3)
    for bad_resolution in (4, 24, 512, 33):
        with pytest.raises(PolemosError, match="8, 16, 32, 64, 128, 256"):
            build_image_models("dcgan", LATENT_DIM, bad_resolution, 3)
    with pytest.raises(PolemosError, match="channels"):
        build_image_models("resnet", LATENT_DIM, 32, 0)
    with pytest.raises(PolemosError, match="8, 16"):
        DCGANGenerator(LATENT_DIM, 48, 3)
    with pytest.raises(PolemosError, match="channels"):
        ResNetDiscriminator(32, 0)


def test_wrong_input_shapes_raise() -> None:
    generator, discriminator = build_image_models("dcgan", LATENT_DIM, 8, 3, width=WIDTH)
    with pytest.raises(ValueError, match="latent"):
        generator(torch.randn(2, LATENT_DIM + 1))
    with pytest.raises(ValueError, match=r"\(N, 3, 8, 8\)"):
        discriminator(torch.zeros(2, 3, 16, 16))


@pytest.mark.parametrize("name", ["dcgan", "resnet"])
def test_packed_discriminator_judges_groups_of_consecutive_images(name: str) -> None:
    torch.manual_seed(0)
    _, discriminator = build_image_models(name, latent_dim=8, resolution=8, channels=3, width=8, pack=2)
    assert isinstance(discriminator, PackedDiscriminator)
    discriminator.eval()  # no power-iteration update between the calls compared
    images = torch.randn(6, 3, 8, 8)
    logits = discriminator(images)
    assert logits.shape == (6,)
    assert torch.equal(logits[0::2], logits[1::2])  # one logit per pair, shared by both members
    # the pair (0, 1) is the inner D's 6-channel image [x0, x1]
    pair = torch.cat([images[0], images[1]])[None]
    assert torch.allclose(logits[0], discriminator.discriminator(pair, None)[0])
    swapped = discriminator(images[[1, 0, 2, 3, 4, 5]])
    assert not torch.allclose(swapped[0], logits[0])  # order within a pair is part of the input
    assert torch.equal(swapped[2:], logits[2:])
    with pytest.raises(ValueError, match="not divisible"):
        discriminator(images[:5])


def test_packing_needs_an_unconditional_model() -> None:
    with pytest.raises(PolemosError, match="model.pack needs an unconditional model"):
        build_image_models("dcgan", latent_dim=8, resolution=8, channels=1, width=8, num_classes=3, pack=2)
    _, discriminator = build_image_models("dcgan", latent_dim=8, resolution=8, channels=1, width=8, pack=1)
    assert not isinstance(discriminator, PackedDiscriminator)


def test_minibatch_std_appends_the_group_spread_computed_by_hand() -> None:
    features = torch.randn(6, 2, 3, 3)
    out = MinibatchStd(3)(features)
    assert out.shape == (6, 3, 3, 3)
    assert torch.equal(out[:, :2], features)
    # groups are samples {0, 2, 4} and {1, 3, 5} (member-major reshape); spread = mean over C, H, W of the std
    for group in ([0, 2, 4], [1, 3, 5]):
        expected = (features[group].var(dim=0, unbiased=False) + 1e-8).sqrt().mean()
        for member in group:
            assert torch.allclose(out[member, 2], expected.expand(3, 3))
    identical = MinibatchStd(2)(torch.ones(4, 1, 2, 2))
    assert torch.allclose(identical[:, 1], torch.full((4, 2, 2), 1e-4))  # no spread: sqrt(eps)


def test_minibatch_std_uses_the_largest_group_that_divides_the_batch() -> None:
    features = torch.randn(5, 1, 1, 1)
    out = MinibatchStd(4)(features)  # 5 is prime: groups of 1, zero spread
    assert torch.allclose(out[:, 1], torch.full((5, 1, 1), 1e-4))
    out = MinibatchStd(4)(torch.randn(6, 1, 1, 1))  # groups of 3
    assert out[0, 1].item() == out[2, 1].item() == out[4, 1].item()
    with pytest.raises(PolemosError, match=">= 2"):
        MinibatchStd(1)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_minibatch_std_discriminator_sees_the_rest_of_its_group(name: str) -> None:
    torch.manual_seed(0)
    _, discriminator = build_image_models(name, LATENT_DIM, 8, 3, width=WIDTH, minibatch_std=2)
    discriminator.eval()  # no power-iteration update between the calls compared
    images = torch.randn(4, 3, 8, 8)
    logits = discriminator(images)
    assert logits.shape == (4,)
    changed = images.clone()
    changed[2] = torch.randn(3, 8, 8)  # sample 2 shares a group with sample 0 (groups {0, 2} and {1, 3})
    other = discriminator(changed)
    assert not torch.allclose(other[0], logits[0])
    assert torch.allclose(other[[1, 3]], logits[[1, 3]])
    _, plain = build_image_models(name, LATENT_DIM, 8, 3, width=WIDTH)
    assert sum(p.numel() for p in discriminator.parameters()) > sum(p.numel() for p in plain.parameters())
