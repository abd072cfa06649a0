"""Tests of polemos.series.model.SeriesGAN: fitting, sampling, conditioning, masks, save/load, bad input."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series import data
from polemos.series import model as model_module
from polemos.series.model import SeriesGAN
from polemos.series.networks import ConvDiscriminator, RecurrentGenerator

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}


def _prices(length: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    returns = 0.01 * rng.standard_t(4, size=(length, 2))
    prices = 100.0 * np.exp(np.cumsum(returns, axis=0))
    dates = pd.date_range("2020-01-01", periods=length, freq="D").astype(str)
    return pd.DataFrame({"date": dates, "a": prices[:, 0], "b": prices[:, 1]})


def test_networks_shapes_and_long_paths() -> None:
    generator = RecurrentGenerator(3, hidden=8, layers=2, noise_dim=2, num_labels=2, output="linear", context=True)
    context = torch.randn(4, 5, 3)
    out = generator(4, 7, labels=torch.tensor([0, 1, 0, 1]), context=context)
    assert out.shape == (4, 7, 3)
    long = RecurrentGenerator(1, hidden=8, layers=1, noise_dim=2, output="sigmoid")(2, 4000)
    assert long.shape == (2, 4000, 1) and bool(((long > 0) & (long < 1)).all())
    discriminator = ConvDiscriminator(3, window=24, channels=8, num_labels=2, masked=True)
    mask = torch.ones(4, 24, dtype=torch.bool)
    logits = discriminator(torch.randn(4, 24, 3), mask, torch.tensor([0, 1, 1, 0]))
    assert logits.shape == (4,)


def test_discriminator_ignores_masked_steps() -> None:
    discriminator = ConvDiscriminator(2, window=10, channels=8, masked=True)
    windows = torch.randn(3, 10, 2)
    mask = torch.arange(10)[None, :] < torch.tensor([[4], [10], [7]])
    changed = windows.clone()
    changed[0, 4:] = 100.0  # values after the end of sequence 0 must not matter
    # receptive field spills over the boundary only through zeroed inputs, so the logits are identical
    torch.testing.assert_close(discriminator(windows, mask), discriminator(changed, mask))


def test_fit_sample_save_load_round_trip(tmp_path) -> None:
    windows = data.sine_windows(n=64, length=12, features=2, seed=0)
    gan = SeriesGAN(seed=0, **TINY).fit(windows, steps=6)
    assert gan.summary is not None and gan.summary.steps == 6 and gan.summary.windows == 64
    samples = gan.sample(10, seed=3)
    assert samples.shape == (10, 12, 2) and np.isfinite(samples).all()
    # the sigmoid output maps back inside the data range
    assert samples.min() >= windows.min() - 1e-6 and samples.max() <= windows.max() + 1e-6
    gan.save(tmp_path / "model")
    loaded = SeriesGAN.load(tmp_path / "model")
    np.testing.assert_allclose(loaded.sample(10, seed=3), samples, rtol=1e-6, atol=1e-7)
    with pytest.raises(PolemosError, match="does not hold a saved SeriesGAN"):
        SeriesGAN.load(tmp_path / "missing")


def test_time_budget_stops_training() -> None:
    windows = data.sine_windows(n=64, length=12, features=2, seed=0)
    gan = SeriesGAN(seed=0, **TINY).fit(windows, steps=100_000, time_budget=0.5)
    assert gan.summary is not None and gan.summary.steps < 100_000


def test_progress_bar_advances_once_per_training_step(monkeypatch) -> None:
    bars: list[dict] = []

    @contextlib.contextmanager
    def recording_bar(total, description, enabled):
        bar = {"total": total, "enabled": enabled, "advanced": 0}
        bars.append(bar)
        yield lambda: bar.update(advanced=bar["advanced"] + 1)

    monkeypatch.setattr(model_module, "progress_bar", recording_bar)
    windows = data.sine_windows(n=64, length=12, features=2, seed=0)
    SeriesGAN(seed=0, **TINY).fit(windows, steps=5, progress=True)
    SeriesGAN(seed=0, **TINY).fit(windows, steps=3)  # quiet by default in the library
    assert bars == [{"total": 5, "enabled": True, "advanced": 5}, {"total": 3, "enabled": False, "advanced": 3}]


def test_context_conditioning_and_labels() -> None:
    windows = data.sine_windows(n=64, length=12, features=2, seed=0)
    gan = SeriesGAN(seed=0, **TINY).fit(windows, context_length=8, steps=3)
    continuation = gan.sample(5, context=windows[0, :8], seed=0)
    assert continuation.shape == (5, 4, 2)
    with pytest.raises(PolemosError, match="context"):
        gan.sample(5, context=np.zeros((8, 3)))
    # a longer history: only its last 8 steps are continued, as the encoder was trained on
    history = np.concatenate([np.full((30, 2), 9.0), windows[0, :8]])
    np.testing.assert_array_equal(gan.sample(5, context=history, seed=0), continuation)
    with pytest.raises(PolemosError, match="the context has 7 steps and this model continues 8"):
        gan.sample(5, context=windows[0, :7])
    labels = np.arange(64) % 3
    conditional = SeriesGAN(seed=0, **TINY).fit(windows, labels=labels, steps=3)
    assert conditional.sample(6, labels=[0, 1, 2, 0, 1, 2]).shape == (6, 12, 2)
    with pytest.raises(PolemosError, match="pass labels"):
        conditional.sample(6)
    with pytest.raises(PolemosError, match="without context"):
        conditional.sample(2, labels=[0, 1], context=windows[0, :8])


def test_variable_length_sequences_are_masked() -> None:
    rng = np.random.default_rng(0)
    sequences = [rng.uniform(size=(length, 2)) for length in (5, 8, 8, 10) * 8]
    gan = SeriesGAN(seed=0, **TINY).fit(sequences, steps=3)
    samples = gan.sample(200, seed=0)
    lengths = (~np.isnan(samples).any(axis=2)).sum(axis=1)
    assert set(np.unique(lengths)) <= {5, 8, 10}  # drawn from the training lengths only
    assert samples.shape == (200, 10, 2)
    inner_gap = np.full((4, 6, 1), 0.5)
    inner_gap[0, 2] = np.nan
    with pytest.raises(PolemosError, match="trailing padding"):
        SeriesGAN(**TINY).fit(inner_gap, steps=1)


def test_returns_mode_produces_returns_and_prices() -> None:
    frame = _prices()
    gan = SeriesGAN(seed=0, **TINY).fit(frame, window=20, returns=True, steps=3)
    returns = gan.sample(4, length=50, seed=0)
    assert returns.shape == (4, 50, 2) and np.isfinite(returns).all()
    prices = gan.sample(4, length=50, seed=0, as_prices=True)
    assert prices.shape == (4, 51, 2)
    # starts at the last observed price and compounds the same log returns
    np.testing.assert_allclose(prices[:, 0], np.broadcast_to(frame[["a", "b"]].to_numpy()[-1], (4, 2)))
    np.testing.assert_allclose(np.diff(np.log(prices), axis=1), returns, atol=1e-10)


def test_bad_input_errors() -> None:
    with pytest.raises(PolemosError, match="shorter than the window"):
        SeriesGAN(**TINY).fit(np.zeros((10, 2)), window=24, steps=1)
    frame = pd.DataFrame({"a": np.arange(40.0), "name": ["x"] * 40})
    with pytest.raises(PolemosError, match="non-numeric"):
        SeriesGAN(**TINY).fit(frame, window=8, steps=1)
    with pytest.raises(PolemosError, match="unknown SeriesGAN option"):
        SeriesGAN(hiden=3)
    with pytest.raises(PolemosError, match="not fitted"):
        SeriesGAN().sample(3)
    with pytest.raises(PolemosError, match="unknown loss"):
        SeriesGAN(loss="nope")


def test_nan_gaps_drop_windows_and_are_reported() -> None:
    values = np.sin(np.arange(100.0) / 5)[:, None] + 2.0
    values[50] = np.nan
    gan = SeriesGAN(seed=0, **TINY).fit(values, window=10, steps=1)
    assert gan.summary is not None
    assert gan.summary.windows == 91 - 10  # the 10 windows covering step 50 are dropped
    assert any("NaN" in note for note in gan.summary.notes)


@pytest.mark.slow
def test_panel_of_returns_keeps_cross_correlation() -> None:
    """Needs real training (minutes on a loaded CPU), hence marked slow; 150 steps are not enough."""
    rng = np.random.default_rng(0)
    common = rng.standard_normal((1500, 1))
    # two assets with correlation 0.8 and a third independent one, as log returns in percent / 100
    panel = 0.01 * np.hstack(
        [common, 0.8 * common + 0.6 * rng.standard_normal((1500, 1)), rng.standard_normal((1500, 1))]
    )
    options = {**TINY, "hidden": 16, "batch_size": 32}
    gan = SeriesGAN(seed=0, **options).fit(panel, window=16, returns=True, returns_input="log-returns", steps=1500)
    samples = gan.sample(200, seed=0)
    generated = np.corrcoef(samples.reshape(-1, 3), rowvar=False)
    assert generated[0, 1] > 0.5  # the strong pair stays strongly correlated
    assert abs(generated[0, 2]) < 0.3 and abs(generated[1, 2]) < 0.3


def test_option_values_are_checked_against_the_config_fields() -> None:
    with pytest.raises(PolemosError, match=r"option hidden must be an integer >= 1, got 'abc'; e\.g\. hidden=64"):
        SeriesGAN(hidden="abc")
    with pytest.raises(PolemosError, match="option generator_lr must be a number > 0"):
        SeriesGAN(generator_lr=0)
    with pytest.raises(PolemosError, match=r"option betas must be two numbers in \[0, 1\)"):
        SeriesGAN(betas=(0.5, 1.5))
    with pytest.raises(PolemosError, match=r"seed \(--seed\) must be a non-negative integer"):
        SeriesGAN(seed=-1)
    gan = SeriesGAN(generator_lr="5e-4", slow_noise_timescales=10, critic_statistics_lags=[1, 5])  # 5e-4: YAML text
    assert gan.config.generator_lr == 5e-4 and gan.config.slow_noise_timescales == (10.0,)
    assert gan.config.critic_statistics_lags == (1, 5)


def test_fit_and_sample_limits_name_the_flags() -> None:
    windows = data.sine_windows(n=16, length=8, features=1, seed=0)
    with pytest.raises(PolemosError, match=r"steps must be at least 1, got 0; pass --steps N \(steps=N\)"):
        SeriesGAN(**TINY).fit(windows, steps=0)
    with pytest.raises(
        PolemosError, match=r"time_budget \(--time-budget\) must be a positive number of seconds, got -5"
    ):
        SeriesGAN(**TINY).fit(windows, time_budget=-5)
    gan = SeriesGAN(**TINY).fit(windows, steps=1)
    with pytest.raises(PolemosError, match=r"length must be at least 1 step, got 0; pass --length N"):
        gan.sample(2, length=0)
    with pytest.raises(PolemosError, match="seed"):
        gan.sample(2, seed=-1)


def test_constant_returns_column_is_named() -> None:
    frame = _prices(60)
    frame["b"] = 5.0
    with pytest.raises(PolemosError, match=r"the returns of column\(s\) b are constant"):
        SeriesGAN(**TINY).fit(frame, window=8, returns=True, steps=1)


def test_load_names_a_weights_file_of_another_model(tmp_path) -> None:
    windows = data.sine_windows(n=16, length=8, features=1, seed=0)
    SeriesGAN(**TINY).fit(windows, steps=1).save(tmp_path / "small")
    SeriesGAN(**{**TINY, "hidden": 12}).fit(windows, steps=1).save(tmp_path / "large")
    (tmp_path / "small" / "generator.safetensors").write_bytes(
        (tmp_path / "large" / "generator.safetensors").read_bytes()
    )
    with pytest.raises(PolemosError, match="does not match the SeriesGAN in"):
        SeriesGAN.load(tmp_path / "small")


@pytest.mark.parametrize(
    ("config_text", "message"),
    [
        ("{damaged", "config.json is corrupt"),
        ('{"data": {}, "model": {}, "game": {}, "train": {}}', "holds no SeriesGAN"),  # an image run's config
        ("[1, 2]", "holds no SeriesGAN"),
    ],
)
def test_load_names_a_damaged_or_foreign_config(tmp_path, config_text: str, message: str) -> None:
    windows = data.sine_windows(n=16, length=8, features=1, seed=0)
    SeriesGAN(**TINY).fit(windows, steps=1).save(tmp_path / "model")
    (tmp_path / "model" / "config.json").write_text(config_text)
    with pytest.raises(PolemosError, match=message):
        SeriesGAN.load(tmp_path / "model")


def test_sample_refuses_more_than_the_machine_can_hold_before_generating() -> None:
    windows = data.sine_windows(n=16, length=8, features=1, seed=0)
    gan = SeriesGAN(**TINY).fit(windows, steps=1)
    # 10^6 x 10^9 steps would have run for hours, then been killed for memory, without a word
    with pytest.raises(PolemosError, match=r"1,000,000 sequences x 1,000,000,000 steps x 1 feature\(s\) need about"):
        gan.sample(10**6, length=10**9)


def test_fit_and_sample_leave_the_callers_random_stream_alone_and_seed_none_is_fresh() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    gan = SeriesGAN(seed=0, **TINY).fit(_prices(), window=24, returns=True, steps=2)
    gan.sample(2, seed=5)
    gan.sample(2)
    assert torch.equal(torch.rand(3), expected)  # fit and sample reseeded the global stream before
    assert not np.array_equal(gan.sample(2), gan.sample(2))  # None: fresh noise each call, as TabularGAN's
    assert np.array_equal(gan.sample(2, seed=5), gan.sample(2, seed=5))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n": True}, "n must be a whole number, got True"),
        ({"n": 2.0}, "n must be a whole number, got 2.0"),
        ({"n": 2, "length": 3.5}, "length must be a whole number"),
        ({"n": 2, "batch_size": 0}, "batch_size must be at least 1"),
    ],
)
def test_sample_refuses_counts_that_are_not_whole_numbers(arguments, message) -> None:
    gan = SeriesGAN(seed=0, **TINY).fit(_prices(), window=24, returns=True, steps=1)
    with pytest.raises(PolemosError, match=message):
        gan.sample(**arguments)


def test_a_loaded_model_samples_bit_for_bit_what_the_fitted_one_did(tmp_path) -> None:
    gan = SeriesGAN(seed=0, hidden=16, discriminator_channels=16).fit(_prices(), window=24, returns=True, steps=3)
    loaded = SeriesGAN.load(gan.save(tmp_path / "model"))
    for count in (3, 50):  # small batches took another GRU kernel while the loaded weights required gradients
        assert np.array_equal(gan.sample(count, seed=1), loaded.sample(count, seed=1)), count
