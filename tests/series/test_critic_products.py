"""Tests of SeriesGAN's critic_products: the critic reads the product of every pair of series at each step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series.model import SeriesGAN
from polemos.series.networks import ConvDiscriminator

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def first_layer_inputs(discriminator: ConvDiscriminator, windows: torch.Tensor) -> torch.Tensor:
    """What the first convolution reads, ``(N, C, T)``."""
    seen: list[torch.Tensor] = []
    handle = discriminator.body[0].register_forward_hook(lambda module, args, output: seen.append(args[0]))
    with torch.no_grad():
        discriminator(windows)
    handle.remove()
    return seen[0]


def test_product_channels_hold_every_pair_in_order() -> None:
    torch.manual_seed(0)
    windows = torch.randn(2, 16, 3)
    inputs = first_layer_inputs(ConvDiscriminator(3, 16, 8, magnitude=True, products=True), windows)
    x = windows.transpose(1, 2)  # (N, F, T)
    assert inputs.shape == (2, 3 + 3 + 3, 16)  # values, magnitudes, the pairs (0, 1), (0, 2), (1, 2)
    assert torch.equal(inputs[:, :3], x)
    expected = torch.stack([x[:, 0] * x[:, 1], x[:, 0] * x[:, 2], x[:, 1] * x[:, 2]], dim=1)
    assert torch.allclose(inputs[:, 6:], expected)


def test_product_map_is_applied_before_the_products() -> None:
    torch.manual_seed(0)
    windows = torch.randn(2, 16, 2)
    doubled = first_layer_inputs(ConvDiscriminator(2, 16, 8, products=True, product_map=lambda w: 2 * w), windows)
    plain = first_layer_inputs(ConvDiscriminator(2, 16, 8, products=True), windows)
    assert torch.equal(doubled[:, :2], plain[:, :2])  # the values themselves are unchanged
    assert torch.allclose(doubled[:, 2], 4 * plain[:, 2])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"features": 2, "product_map": torch.abs}, "products=True"),
        ({"features": 1, "products": True}, "2 features"),
        ({"features": 2, "batch_products": True}, "batch_products averages"),
        ({"features": 2, "products": True, "batch_products": True, "masked": True}, "without masks"),
    ],
)
def test_discriminator_product_options_are_validated(arguments, message) -> None:
    with pytest.raises(ValueError, match=message):
        ConvDiscriminator(window=16, channels=8, **arguments)


def two_factor_returns(length: int = 400) -> pd.DataFrame:
    """Two correlated Student-t(4) return series (fractions), as a factor panel is given."""
    rng = np.random.default_rng(0)
    common = rng.standard_t(4, size=length)
    return pd.DataFrame({"a": 0.01 * common, "b": 0.01 * (0.6 * common + 0.8 * rng.standard_t(4, size=length)) + 0.002})


def test_critic_reads_products_of_the_standardised_real_returns(monkeypatch) -> None:
    seen: list[torch.Tensor] = []
    forward = ConvDiscriminator.forward

    def recording(self, windows, mask=None, labels=None):
        handle = self.body[0].register_forward_hook(lambda module, args, output: seen.append(args[0].detach()))
        try:
            return forward(self, windows, mask, labels)
        finally:
            handle.remove()

    monkeypatch.setattr(ConvDiscriminator, "forward", recording)
    table = two_factor_returns()
    gan = SeriesGAN(seed=0, critic_products=True, **TINY)
    gan.fit(table, window=16, returns=True, returns_input="log-returns", steps=1)
    real = seen[0]  # the first call judges the real batch: channels a, b (model space), then a x b
    assert real.shape[1] == 3
    scaling = gan.meta["scaling"]
    standardised = (table.to_numpy() - np.asarray(scaling["mean"])) / np.asarray(scaling["std"])
    products = standardised[:, 0] * standardised[:, 1]
    # every product the critic reads is the product of one day's two standardised returns (float32 round trip)
    read = real[:, 2].numpy().ravel()
    nearest = np.abs(read[:, None] - products[None, :]).min(axis=1) / np.maximum(np.abs(read), 1.0)
    assert nearest.max() < 1e-3
    # in data units: the Student-t tails reach further than the Lambert-W-shrunk model-space values do
    assert np.abs(read).max() > (real[:, 0] * real[:, 1]).abs().max().item() + 0.1


def test_critic_products_needs_two_series(prices) -> None:
    gan = SeriesGAN(critic_products=True, **TINY)
    with pytest.raises(PolemosError, match="one column"):
        gan.fit(prices(200), window=16, returns=True, steps=1)


def logit_inputs(discriminator: ConvDiscriminator, windows: torch.Tensor) -> torch.Tensor:
    """What the logit layer reads, ``(N, D)``."""
    seen: list[torch.Tensor] = []
    handle = discriminator.logit.register_forward_hook(lambda module, args, output: seen.append(args[0]))
    with torch.no_grad():
        discriminator(windows)
    handle.remove()
    return seen[0]


def test_batch_products_give_every_window_the_batch_mean_product_of_each_pair() -> None:
    torch.manual_seed(0)
    windows = torch.randn(4, 16, 3)
    discriminator = ConvDiscriminator(3, 16, 8, products=True, batch_products=True, product_map=lambda w: 2 * w)
    read = logit_inputs(discriminator, windows)
    assert read.shape == (4, 2 * 8 + 3)  # mean and spread of 8 channels, then the 3 pairs
    mapped = 2 * windows
    expected = torch.stack([(mapped[..., i] * mapped[..., j]).mean() for i, j in [(0, 1), (0, 2), (1, 2)]])
    for row in read[:, -3:]:  # the same batch statistic for every window
        torch.testing.assert_close(row, expected)
    # one batch's statistic depends on every window in it: changing window 3 moves window 0's input
    changed = windows.clone()
    changed[3] = -changed[3] * 3
    assert not torch.allclose(logit_inputs(discriminator, changed)[0, -3:], expected)
    # and the generator gets a gradient through it: d logit / d window 3 reaches window 0's logit
    batch = windows.clone().requires_grad_(True)
    discriminator(batch)[0].backward()
    assert batch.grad[3].abs().sum() > 0
    plain = ConvDiscriminator(3, 16, 8, products=True)
    batch.grad = None
    plain(batch)[0].backward()
    assert batch.grad[3].abs().sum() == 0  # without it each logit reads its own window only


@pytest.mark.parametrize("option", ["critic_batch_products", "critic_batch_model_products"])
def test_critic_batch_statistics_train_and_are_validated(option) -> None:
    gan = SeriesGAN(seed=0, critic_products=True, **{option: True}, **TINY)
    gan.fit(two_factor_returns(), window=16, returns=True, returns_input="log-returns", steps=2)
    assert gan.sample(3, length=20).shape == (3, 20, 2)
    with pytest.raises(PolemosError, match=f"{option} averages the critic's product channels"):
        SeriesGAN(**{option: True})
    lengths = [np.full((length, 2), 0.5) + 0.01 * np.arange(length)[:, None] for length in (12, 16, 9)]
    masked = SeriesGAN(critic_products=True, **{option: True}, **TINY)
    with pytest.raises(PolemosError, match=f"{option} needs full-length windows") as error:
        masked.fit(lengths, steps=1)
    assert "\n" not in str(error.value)


def test_batch_model_products_read_the_unmapped_windows_after_the_data_unit_ones() -> None:
    torch.manual_seed(0)
    windows = torch.randn(4, 16, 3)
    discriminator = ConvDiscriminator(
        3, 16, 8, products=True, batch_products=True, batch_model_products=True, product_map=lambda w: 2 * w
    )
    read = logit_inputs(discriminator, windows)
    assert read.shape == (4, 2 * 8 + 3 + 3)  # mean and spread, the mapped batch products, the unmapped ones
    pairs = [(0, 1), (0, 2), (1, 2)]
    mapped = torch.stack([(4 * windows[..., i] * windows[..., j]).mean() for i, j in pairs])
    unmapped = torch.stack([(windows[..., i] * windows[..., j]).mean() for i, j in pairs])
    for row in read:
        torch.testing.assert_close(row[-6:-3], mapped)
        torch.testing.assert_close(row[-3:], unmapped)  # the product map is not applied to these
    alone = ConvDiscriminator(3, 16, 8, products=True, batch_model_products=True, product_map=lambda w: 2 * w)
    torch.testing.assert_close(logit_inputs(alone, windows)[:, -3:], unmapped.expand(4, -1))
    with pytest.raises(ValueError, match="batch_products averages"):
        ConvDiscriminator(3, 16, 8, batch_model_products=True)
