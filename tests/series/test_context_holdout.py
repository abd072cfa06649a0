"""Tests of SeriesGAN's held-out context selection (context_holdout): the windows it drops and its energy score."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.series.model import SeriesGAN, SeriesGANConfig, _ContextSelector
from polemos.series.networks import RecurrentGenerator

TINY = {"hidden": 8, "layers": 1, "noise_dim": 2, "discriminator_channels": 8, "batch_size": 16}
HOLDOUT = {"context_holdout": 0.25, "select_every": 2, "select_paths": 6}
FIT = {"window": 10, "context_length": 6, "returns": True, "returns_input": "log-returns"}


def returns_series(length: int = 200, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((length, 1)) * 0.01


def test_context_holdout_is_off_by_default() -> None:
    assert SeriesGANConfig().context_holdout == 0.0


def test_held_out_steps_are_not_trained_on_and_the_best_held_out_state_is_kept() -> None:
    series = returns_series()
    gan = SeriesGAN(seed=0, **TINY, **HOLDOUT).fit(series, steps=6, **FIT)
    summary = gan.summary
    assert summary is not None
    # 200 returns, the last 50 held out: windows of 10 steps that end by step 150 start at 0..140
    assert summary.windows == 141
    assert [step for step, _ in summary.selection] == [2, 4, 6]
    scores = [score for _, score in summary.selection]
    assert summary.selected_step == summary.selection[int(np.argmin(scores))][0]
    # the kept generator is the selected one: re-scoring it gives the best score
    selector = _ContextSelector(series, 150, 6, 4, gan.config, gan._to_model_space)
    assert selector.check(0, gan.generator, gan._to_data_space) == pytest.approx(min(scores), abs=1e-4)
    # without the holdout every window is trained on
    plain = SeriesGAN(seed=0, **TINY).fit(series, steps=2, **FIT)
    assert plain.summary is not None and plain.summary.windows == 191


def test_a_model_trained_with_a_holdout_saves_and_loads(tmp_path) -> None:
    gan = SeriesGAN(seed=0, **TINY, **HOLDOUT).fit(returns_series(), steps=4, **FIT)
    gan.save(tmp_path / "model")  # the summary's window count was a numpy integer, which JSON cannot write
    loaded = SeriesGAN.load(tmp_path / "model")
    assert loaded.summary is not None and loaded.summary.windows == 141
    assert loaded.summary.selected_step == gan.summary.selected_step


def test_context_selector_scores_the_mean_energy_of_fixed_noise_scenarios_on_disjoint_origins() -> None:
    series = returns_series(60, seed=1)
    config = SeriesGANConfig(select_paths=5)
    generator = RecurrentGenerator(1, hidden=8, layers=1, noise_dim=2, output="volatility", context=True)
    selector = _ContextSelector(series, 40, 6, 4, config, lambda values: values / 0.01)
    score = selector.check(3, generator, lambda values: values * 0.01)
    # by hand: origins 40, 44, ..., 56 (targets end by step 60), 5 scenarios each from the same seeded noise
    origins = [40, 44, 48, 52, 56]
    contexts = torch.from_numpy(np.stack([series[t - 6 : t] / 0.01 for t in origins]).astype(np.float32))
    torch.manual_seed(0)
    generator.eval()
    with torch.no_grad():
        paths = generator(25, 4, None, contexts.repeat_interleave(5, dim=0)).double().numpy() * 0.01
    energies = []
    for index, origin in enumerate(origins):
        members = paths[index * 5 : (index + 1) * 5].reshape(5, -1)
        target = series[origin : origin + 4].reshape(-1)
        error = np.mean([np.linalg.norm(member - target) for member in members])
        spread = np.mean([np.linalg.norm(a - b) for a in members for b in members])
        energies.append(error - spread / 2)
    assert score == pytest.approx(float(np.mean(energies)), rel=1e-6)
    assert selector.best_step == 3 and selector.history == [(3, round(score, 5))]


def test_a_too_wide_generator_scores_worse_on_held_out_contexts() -> None:
    series = returns_series(120, seed=2)
    config = SeriesGANConfig(select_paths=20)
    selector = _ContextSelector(series, 60, 6, 4, config, lambda values: values / 0.01)
    generator = RecurrentGenerator(1, hidden=8, layers=1, noise_dim=2, output="volatility", context=True)
    calibrated = selector.check(1, generator, lambda values: values / values.std() * 0.01)
    too_wide = selector.check(2, generator, lambda values: values / values.std() * 0.05)
    assert calibrated < too_wide and selector.best_step == 1


@pytest.mark.parametrize("value", [-0.1, 1.0, 1.5, "0.2", True])
def test_context_holdout_must_be_a_fraction(value) -> None:
    with pytest.raises(PolemosError, match="context_holdout must be a fraction"):
        SeriesGAN(context_holdout=value)


@pytest.mark.parametrize(
    ("options", "fit"),
    [
        ({"select_every": 0}, {}),
        ({}, {"context_length": 0}),
        ({}, {"returns": False}),
    ],
    ids=["no selection", "no context", "levels"],
)
def test_context_holdout_needs_a_context_model_on_returns_with_selection(options, fit) -> None:
    gan = SeriesGAN(**{**TINY, **HOLDOUT, **options})
    with pytest.raises(PolemosError, match="context_holdout scores held-out scenarios") as error:
        gan.fit(np.abs(returns_series()) + 1.0, steps=2, **{**FIT, "returns_input": "log-returns", **fit})
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("holdout", [0.01, 0.97], ids=["shorter than a target", "no training window left"])
def test_context_holdout_that_leaves_no_target_or_no_window_is_refused(holdout) -> None:
    gan = SeriesGAN(**{**TINY, **HOLDOUT, "context_holdout": holdout})
    with pytest.raises(PolemosError, match="training windows and .* held-out steps"):
        gan.fit(returns_series(), steps=2, **FIT)


def test_select_patience_stops_once_the_selection_stops_improving() -> None:
    series = returns_series()
    full = SeriesGAN(seed=0, **TINY, **HOLDOUT).fit(series, steps=40, **FIT).summary
    assert full is not None
    # the first check that comes 4 steps or more after the best check so far (checks every 2 steps)
    best_step, best_score, expected_stop = 0, np.inf, None
    for step, score in full.selection:
        if score < best_score:
            best_step, best_score = step, score
        if step - best_step >= 4:
            expected_stop = step
            break
    assert expected_stop is not None and expected_stop < 40  # the case exercises the stop
    patient = SeriesGAN(seed=0, select_patience=4, **TINY, **HOLDOUT).fit(series, steps=40, **FIT).summary
    assert patient is not None
    assert patient.steps == expected_stop
    # the same checks up to the stop, and the best of them kept
    assert list(patient.selection) == [check for check in full.selection if check[0] <= expected_stop]
    assert patient.selected_step == best_step


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"select_patience": -1}, "select_patience must be a whole number"),
        ({"select_patience": 1.5, "select_every": 2}, "select_patience must be a whole number"),
    ],
)
def test_select_patience_is_validated(options, message) -> None:
    with pytest.raises(PolemosError, match=message):
        SeriesGAN(**options)


def test_select_patience_without_selection_trains_every_step() -> None:
    summary = SeriesGAN(seed=0, select_patience=2, **TINY).fit(returns_series(), steps=8, **FIT).summary
    assert summary is not None and summary.steps == 8 and summary.selection == ()
