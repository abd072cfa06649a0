"""Tests for polemos.images.augment (DiffAugment): geometry, colour statistics, gradients, reproducibility."""

from __future__ import annotations

import pytest
import torch

from polemos.errors import PolemosError
from polemos.images.augment import (
    AUGMENTATIONS,
    DiffAugment,
    random_brightness,
    random_contrast,
    random_cutout,
    random_saturation,
    random_translation,
)

POLICIES = ["color", "translation", "cutout"]


def _distinct_positive_images(batch: int, channels: int, size: int, dtype: torch.dtype = torch.float32):
    """Images whose pixels are all different and > 0, so zeros can only come from padding or cutout."""
    count = batch * channels * size * size
    return (torch.arange(count, dtype=dtype) + 1).reshape(batch, channels, size, size) / count


def _shift_reference(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """out[i, j] = in[i - dy, j - dx] with zero fill, written with slices (independent of the gather code)."""
    height, width = image.shape[-2:]
    out = torch.zeros_like(image)
    out[..., max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = image[
        ..., max(-dy, 0) : height - max(dy, 0), max(-dx, 0) : width - max(dx, 0)
    ]
    return out


def _interval(mask_1d: torch.Tensor) -> tuple[int, int]:
    """(first, length) of the True entries, asserting they are contiguous."""
    positions = mask_1d.nonzero().flatten().tolist()
    assert positions, "empty interval"
    assert positions == list(range(positions[0], positions[-1] + 1)), f"not contiguous: {positions}"
    return positions[0], len(positions)


def test_registry_names() -> None:
    assert AUGMENTATIONS.names() == ["color", "cutout", "translation"]


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_dtype_device_preserved(channels: int, dtype: torch.dtype) -> None:
    images = torch.rand(4, channels, 16, 16, dtype=dtype) * 2 - 1
    augmented = DiffAugment()(images)
    assert augmented.shape == images.shape
    assert augmented.dtype == dtype
    assert augmented.device == images.device
    assert not torch.equal(augmented, images)


@pytest.mark.parametrize("policy", ["", "none", " ", []])
def test_empty_policy_is_exact_identity(policy: str | list[str]) -> None:
    images = torch.rand(3, 3, 8, 8)
    augment = DiffAugment(policy)
    assert augment.policy == ()
    assert augment(images) is images


def test_policy_parsing_and_unknown_names() -> None:
    assert DiffAugment("color, cutout").policy == ("color", "cutout")
    assert DiffAugment(["translation", "color"]).policy == ("translation", "color")
    with pytest.raises(PolemosError, match="color, cutout, translation"):
        DiffAugment("color,flip")
    with pytest.raises(PolemosError, match="flip"):
        DiffAugment(["flip"])


def test_state_dict_is_empty_and_round_trips() -> None:
    augment = DiffAugment()
    state = augment.state_dict()
    assert state == {}
    augment.load_state_dict(state)
    assert augment.policy == ("color", "translation", "cutout")


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("channels", [1, 3])
def test_gradients_flow_through_each_policy(policy: str, channels: int) -> None:
    images = _distinct_positive_images(4, channels, 16).requires_grad_()
    augmented = DiffAugment(policy)(images)
    augmented.sum().backward()
    assert images.grad is not None
    assert torch.isfinite(images.grad).all()
    assert images.grad.abs().sum() > 0
    if policy == "cutout":  # d(sum of x * mask)/dx = mask, and the mask is where the output kept x
        torch.testing.assert_close(images.grad, (augmented != 0).to(images.dtype))
    if policy == "translation":  # every output pixel copies one input pixel once, so gradients count copies
        assert set(images.grad.unique().tolist()) <= {0.0, 1.0}
        assert images.grad.sum().item() == (augmented != 0).sum().item()


@pytest.mark.parametrize("channels", [1, 3])
def test_translation_is_an_integer_shift_with_zero_padding(channels: int) -> None:
    size, batch = 16, 200
    max_shift = 2  # 16 / 8
    images = _distinct_positive_images(batch, channels, size)
    translated = random_translation(images)
    shifts = []
    for sample in range(batch):
        matches = [
            (dy, dx)
            for dy in range(-max_shift, max_shift + 1)
            for dx in range(-max_shift, max_shift + 1)
            if torch.equal(translated[sample], _shift_reference(images[sample], dy, dx))
        ]
        assert len(matches) == 1, f"sample {sample} is not a shift within +-{max_shift} pixels"
        shifts.append(matches[0])
    # every shift in [-2, 2] occurs in each direction (catches off-by-one ranges), and most samples moved
    assert {dy for dy, _ in shifts} == set(range(-max_shift, max_shift + 1))
    assert {dx for _, dx in shifts} == set(range(-max_shift, max_shift + 1))
    moved = [shift for shift in shifts if shift != (0, 0)]
    assert len(moved) > batch // 2
    dy, dx = moved[0]
    sample = shifts.index(moved[0])
    assert not torch.equal(translated[sample], images[sample])
    padded_rows = slice(0, dy) if dy > 0 else slice(size + dy, size)
    padded_cols = slice(0, dx) if dx > 0 else slice(size + dx, size)
    assert translated[sample][:, padded_rows, :].eq(0).all()
    assert translated[sample][:, :, padded_cols].eq(0).all()


@pytest.mark.parametrize("channels", [1, 3])
def test_cutout_zeroes_one_half_size_square_clipped_at_borders(channels: int) -> None:
    size, cut, batch = 8, 4, 300
    images = _distinct_positive_images(batch, channels, size)
    cut_images = random_cutout(images)
    zeroed = cut_images == 0
    # the same square in every channel, and the kept pixels are untouched
    assert (zeroed == zeroed[:, :1]).all()
    torch.testing.assert_close(cut_images[~zeroed], images[~zeroed], rtol=0, atol=0)
    heights, full_squares, clipped = set(), 0, 0
    for sample in range(batch):
        mask = zeroed[sample, 0]
        top, height = _interval(mask.any(dim=1))
        left, width = _interval(mask.any(dim=0))
        # the zero set is exactly the rectangle rows x cols
        rectangle = torch.zeros(size, size, dtype=torch.bool)
        rectangle[top : top + height, left : left + width] = True
        assert torch.equal(mask, rectangle)
        for start, length in ((top, height), (left, width)):
            assert 1 <= length <= cut
            if length < cut:  # only a square touching a border can be smaller
                assert start == 0 or start + length == size
        heights.add(height)
        if height == width == cut:
            full_squares += 1
        else:
            clipped += 1
    assert full_squares > 0 and clipped > 0
    # centre uniform over rows 0..7: rows c-2..c+1 clipped to [0, 8) give 2 (c = 0), 3 (c = 1, 7) or 4 pixels
    assert heights == {2, 3, 4}


def test_cutout_and_translation_on_non_square_images() -> None:
    images = torch.rand(5, 3, 8, 16) + 0.1
    assert random_translation(images).shape == (5, 3, 8, 16)
    zeroed = random_cutout(images)[:, 0] == 0
    assert (zeroed.sum(dim=(1, 2)) <= 4 * 8).all()
    assert (zeroed.sum(dim=(1, 2)) > 0).all()


def test_brightness_on_a_constant_image_adds_one_offset_per_sample() -> None:
    # a gray image: saturation and contrast are no-ops, so colour = x + b with b ~ U(-0.5, 0.5) per sample
    images = torch.full((500, 3, 4, 4), 0.25)
    colored = DiffAugment("color")(images)
    offsets = colored - 0.25
    per_sample = offsets[:, :1, :1, :1]
    torch.testing.assert_close(offsets, per_sample.expand_as(offsets))
    assert per_sample.min() >= -0.5 and per_sample.max() <= 0.5
    assert per_sample.min() < -0.45 and per_sample.max() > 0.45  # spans the range
    assert per_sample.mean().abs() < 0.05  # U(-0.5, 0.5) has mean 0 and std 0.29; 500 samples -> se 0.013

    textured = torch.rand(50, 3, 4, 4) * 2 - 1
    shift = random_brightness(textured) - textured  # one offset per sample, whatever the content
    torch.testing.assert_close(shift, shift[:, :1, :1, :1].expand_as(shift))
    assert shift.abs().max() <= 0.5


def test_saturation_scales_deviation_from_channel_mean() -> None:
    images = torch.rand(200, 3, 5, 5) * 2 - 1
    saturated = random_saturation(images)
    channel_mean = images.mean(dim=1, keepdim=True)
    torch.testing.assert_close(saturated.mean(dim=1, keepdim=True), channel_mean)  # mean is preserved
    deviation = images - channel_mean
    factor = (saturated - channel_mean).flatten(1).norm(dim=1) / deviation.flatten(1).norm(dim=1)
    torch.testing.assert_close(saturated - channel_mean, factor[:, None, None, None] * deviation)
    assert factor.min() >= 0 and factor.max() <= 2
    assert factor.min() < 0.1 and factor.max() > 1.9
    gray = torch.rand(4, 1, 5, 5)
    torch.testing.assert_close(random_saturation(gray), gray)  # one channel: no-op


def test_contrast_scales_deviation_from_image_mean() -> None:
    images = torch.rand(200, 3, 5, 5) * 2 - 1
    contrasted = random_contrast(images)
    image_mean = images.mean(dim=(1, 2, 3), keepdim=True)
    torch.testing.assert_close(contrasted.mean(dim=(1, 2, 3), keepdim=True), image_mean)
    deviation = images - image_mean
    factor = (contrasted - image_mean).flatten(1).norm(dim=1) / deviation.flatten(1).norm(dim=1)
    torch.testing.assert_close(contrasted - image_mean, factor[:, None, None, None] * deviation)
    assert factor.min() >= 0.5 and factor.max() <= 1.5
    assert factor.min() < 0.6 and factor.max() > 1.4


def test_same_seed_and_restored_rng_state_reproduce_the_output() -> None:
    images = torch.rand(8, 3, 16, 16) * 2 - 1
    augment = DiffAugment()
    torch.manual_seed(123)
    first = augment(images)
    torch.manual_seed(123)
    second = augment(images)
    torch.testing.assert_close(first, second, rtol=0, atol=0)
    state = torch.get_rng_state()
    third = augment(images)
    torch.set_rng_state(state)
    fourth = augment(images)
    torch.testing.assert_close(third, fourth, rtol=0, atol=0)
    assert not torch.equal(first, third)  # and the RNG does advance between calls


def test_samples_are_augmented_independently() -> None:
    images = torch.rand(1, 3, 16, 16).expand(64, -1, -1, -1).contiguous()
    for policy in POLICIES:
        augmented = DiffAugment(policy)(images)
        distinct = {tuple(sample.flatten().tolist()) for sample in augmented}
        assert len(distinct) > 10, policy


def test_rejects_non_image_input() -> None:
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        DiffAugment()(torch.rand(3, 16, 16))
