from __future__ import annotations

import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from polemos.errors import PolemosError
from polemos.tabular import TabularGAN
from polemos.tabular import synthesizer as synthesizer_module
from polemos.tabular.networks import Discriminator

from .conftest import TINY, make_mixed_frame


@pytest.fixture(scope="module")
def fitted() -> TabularGAN:
    """One small fitted model shared by the sampling tests (sampling does not change it)."""
    model = TabularGAN(verbose=False, fixed_combinations=[("city", "country")], **TINY)
    return model.fit(make_mixed_frame(), epochs=2)


def test_sample_has_schema_ranges_and_observed_categories(fitted: TabularGAN, mixed_frame: pd.DataFrame) -> None:
    synthetic = fitted.sample(500, seed=0)
    assert len(synthetic) == 500
    assert list(synthetic.columns) == list(mixed_frame.columns)
    assert synthetic.dtypes.equals(mixed_frame.dtypes)
    assert synthetic["age"].between(18, 90).all()
    x = synthetic["x"].dropna()
    assert x.between(mixed_frame["x"].min(), mixed_frame["x"].max()).all()
    assert set(synthetic["color"].dropna()) <= {"red", "green", "blue"}
    assert (synthetic["const"] == 7).all()
    pairs = set(zip(synthetic["city"], synthetic["country"], strict=True))
    assert pairs <= {("Paris", "FR"), ("Lyon", "FR"), ("Berlin", "DE")}
    assert synthetic["when"].between(mixed_frame["when"].min(), mixed_frame["when"].max()).all()
    assert (synthetic["when"] == synthetic["when"].dt.normalize()).all()  # days stay days


def test_same_seed_same_model_and_samples(mixed_frame: pd.DataFrame) -> None:
    first = TabularGAN(verbose=False, seed=3, **TINY).fit(mixed_frame, epochs=1)
    second = TabularGAN(verbose=False, seed=3, **TINY).fit(mixed_frame, epochs=1)
    for a, b in zip(first.generator.state_dict().values(), second.generator.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    pd.testing.assert_frame_equal(first.sample(200, seed=5), second.sample(200, seed=5))
    assert not first.sample(200, seed=5).equals(first.sample(200, seed=6))


def test_save_load_round_trip(fitted: TabularGAN, tmp_path: Path) -> None:
    fitted.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "generator.safetensors",
        "model.json",
        "real_summary.json",
    ]
    loaded = TabularGAN.load(tmp_path / "model")
    pd.testing.assert_frame_equal(loaded.sample(300, seed=1), fitted.sample(300, seed=1))
    assert all(t.device.type == "cpu" for t in loaded.generator.state_dict().values())


def test_load_rejects_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(PolemosError, match="not a saved TabularGAN"):
        TabularGAN.load(tmp_path)


def test_load_of_a_damaged_or_foreign_folder_is_one_polemos_error(fitted: TabularGAN, tmp_path: Path) -> None:
    # these raised SafetensorError, JSONDecodeError, or "has format None" for an image run's model.json
    fitted.save(tmp_path / "weights")
    (tmp_path / "weights" / "generator.safetensors").write_bytes(b"damaged")
    fitted.save(tmp_path / "config")
    (tmp_path / "config" / "model.json").write_text("{damaged")
    fitted.save(tmp_path / "image")
    (tmp_path / "image" / "model.json").write_text(json.dumps({"architecture": "dcgan", "latent_dim": 8}))
    expected = {"weights": "is damaged", "config": "model.json is corrupt", "image": "holds no TabularGAN"}
    for name, fragment in expected.items():
        with pytest.raises(PolemosError, match=fragment):
            TabularGAN.load(tmp_path / name)


def test_exact_conditions_hold(fitted: TabularGAN) -> None:
    rows = fitted.sample(200, conditions={"color": "blue", "age": (30, 40)}, seed=0)
    assert len(rows) == 200
    assert (rows["color"] == "blue").all()
    assert rows["age"].between(30, 40).all()
    rows = fitted.sample(50, conditions={"country": "FR", "flag": True}, seed=1)
    assert (rows["country"] == "FR").all() and rows["flag"].all()
    assert set(rows["city"]) <= {"Paris", "Lyon"}
    rows = fitted.sample(20, conditions={"age": 50}, seed=2)
    assert (rows["age"] == 50).all()


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"color": "purple"}, "never observed"),
        ({"age": (100, 120)}, "outside the observed range"),
        ({"age": (40, 30)}, "low 40.0 > high 30.0"),
        ({"nope": 1}, "unknown column"),
        ({"const": 8}, "impossible"),
        ({"country": "US"}, "never observed"),
    ],
)
def test_impossible_conditions_raise(fitted: TabularGAN, conditions: dict, message: str) -> None:
    with pytest.raises(PolemosError, match=message):
        fitted.sample(10, conditions=conditions)


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_row_counts_raise(fitted: TabularGAN, n: object) -> None:
    with pytest.raises(PolemosError, match="positive integer"):
        fitted.sample(n)  # type: ignore[arg-type]


def test_rare_category_beyond_the_cap_can_be_conditioned() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": [f"c{i}" for i in rng.integers(0, 2_000, 600)], "v": rng.normal(size=600)})
    model = TabularGAN(verbose=False, max_categories=20, **TINY).fit(frame, epochs=1)
    assert model.transformer.width <= 21 + 1 + 10
    rare = frame["id"].value_counts().index[-1]
    rows = model.sample(30, conditions={"id": rare}, seed=0)
    assert (rows["id"] == rare).all()
    assert set(model.sample(300, seed=1)["id"]) <= set(frame["id"])


def test_constraints_always_hold(mixed_frame: pd.DataFrame) -> None:
    model = TabularGAN(verbose=False, constraints={"x": {"min": 9.0, "max": 11.0}}, **TINY)
    synthetic = model.fit(mixed_frame, epochs=1).sample(500, seed=0)
    assert synthetic["x"].dropna().between(9.0, 11.0).all()
    with pytest.raises(PolemosError, match="min 5 > max 1"):
        TabularGAN(constraints={"x": {"min": 5, "max": 1}})


@pytest.mark.parametrize("budget", [float("nan"), float("inf")])
def test_a_time_budget_that_never_ends_is_refused(mixed_frame: pd.DataFrame, budget: float) -> None:
    # both passed the "<= 0" check; without --epochs the fit then had no limit at all
    with pytest.raises(PolemosError, match=r"time_budget \(--time-budget\) must be a positive number of seconds"):
        TabularGAN(verbose=False, **TINY).fit(mixed_frame, time_budget=budget, epochs=1)  # epochs: no hang if unfixed


def test_time_budget_stops_training(mixed_frame: pd.DataFrame) -> None:
    TabularGAN(verbose=False, **TINY).fit(mixed_frame, epochs=1)  # warm up: first-use imports are slow
    start = time.perf_counter()
    model = TabularGAN(verbose=False, **TINY).fit(mixed_frame, time_budget=3.0, epochs=10**6)
    elapsed = time.perf_counter() - start
    # a million epochs cannot finish: only the budget can have stopped training
    assert model.report.stopped_by == "time_budget"
    assert model.report.steps < 4 * 10**6
    assert elapsed < 3.0 + 20.0  # generous: the bound only catches a budget that is ignored
    assert len(model.sample(10, seed=0)) == 10


def test_missing_values_are_generated(mixed_frame: pd.DataFrame) -> None:
    model = TabularGAN(verbose=False, **TINY).fit(mixed_frame, epochs=1)
    synthetic = model.sample(2_000, seed=0)
    # untrained-ish model: only check that missing values are produced where they were observed
    assert synthetic["x"].isna().any()
    assert synthetic["color"].isna().any()
    assert not synthetic["age"].isna().any()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 15, "pac": 10}, "multiple of pac"),
        ({"loss": "nope"}, "unknown loss"),
        ({"foo": 1}, "unknown"),
        ({"lr_schedule": "linear"}, "unknown lr_schedule"),
        ({"discriminator_dropout": 1.0}, "discriminator_dropout"),
    ],
)
def test_bad_settings_raise(kwargs: dict, message: str) -> None:
    with pytest.raises(PolemosError, match=message):
        TabularGAN(**kwargs)


def test_fit_rejects_bad_arguments(mixed_frame: pd.DataFrame) -> None:
    model = TabularGAN(verbose=False, **TINY)
    with pytest.raises(PolemosError, match="does not exist"):
        model.fit(mixed_frame, discrete_columns=["missing_column"], epochs=1)
    with pytest.raises(PolemosError, match="epochs must be positive"):
        model.fit(mixed_frame, epochs=0)
    with pytest.raises(PolemosError, match="not fitted"):
        model.sample(5)


@pytest.mark.parametrize(
    ("frame", "epochs", "message"),
    [
        # these failed deep inside (OverflowError, KeyError: '0', TypeError) or trained a model sampling empty cells
        (
            pd.DataFrame({"a": [1.0, np.inf] * 20, "b": list("xy") * 20}),
            1,
            "column 'a' has 20 infinite values (the first, inf, in data row 2); replace them with finite numbers",
        ),
        (pd.DataFrame(np.random.default_rng(0).random((40, 2))), 1, "column names must be text; got 0, 1"),
        (
            pd.DataFrame(np.zeros((40, 2)), columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
            1,
            "multi-level column names",
        ),
        (pd.DataFrame({"a": [[1], [2]] * 20, "b": list("xy") * 20}), 1, "column 'a' holds list values"),
        (pd.DataFrame(np.zeros((40, 2)), columns=["a", "a"]), 1, "duplicate column name(s) 'a'"),
        (pd.DataFrame({"a": np.arange(40.0), "b": list("xy") * 20}), "3", "epochs must be a whole number"),
    ],
)
def test_fit_refuses_unusable_tables_in_one_line_before_any_work(
    frame: pd.DataFrame, epochs: object, message: str
) -> None:
    model = TabularGAN(verbose=False, **TINY)
    with pytest.raises(PolemosError) as caught:
        model.fit(frame, epochs=epochs)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert model.transformer is None  # refused up front: nothing was fitted


def test_identifier_like_columns_are_noted_without_changing_the_model() -> None:
    # a distinct value per row modelled as a category: every synthetic id was a real one, without a word
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": [f"ID{i:04d}" for i in range(100)], "x": rng.normal(size=100)})
    frame["c"] = rng.choice(["a", "b"], 100)
    with pytest.warns(synthesizer_module.IdentifierColumnWarning, match="column 'id' has 100 distinct values in 100"):
        model = TabularGAN(verbose=False, calibrate=False, **TINY).fit(frame, epochs=1)
    assert len(model.notes) == 1 and "drop it before fitting, or list it in --discrete" in model.notes[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", synthesizer_module.IdentifierColumnWarning)
        declared = TabularGAN(verbose=False, calibrate=False, **TINY).fit(frame, discrete_columns=["id", "c"], epochs=1)
    assert declared.notes == ()  # listed as discrete: kept deliberately
    assert model.sample(20, seed=0).equals(declared.sample(20, seed=0))  # the note changes nothing generated


def test_sample_refuses_more_rows_than_memory_holds(fitted: TabularGAN, monkeypatch: pytest.MonkeyPatch) -> None:
    # tabular sample --n 10000000000 ran silently while its memory grew
    monkeypatch.setattr("polemos.checks._physical_memory", lambda: 2**20)  # a 1 MiB machine
    with pytest.raises(PolemosError) as caught:
        fitted.sample(100_000, seed=0)
    assert "100,000 rows of 8 columns need about" in str(caught.value)
    assert "more than this machine's 0 GiB; sample fewer rows (a smaller --n" in str(caught.value)
    assert len(fitted.sample(10, seed=0)) == 10


def test_other_games_train(mixed_frame: pd.DataFrame) -> None:
    model = TabularGAN(verbose=False, loss="nonsaturating", penalty="r1", penalty_weight=1.0, **TINY)
    model.fit(mixed_frame, epochs=1)
    assert len(model.sample(10, seed=0)) == 10


@pytest.mark.parametrize("condition_discriminator", [True, False])
def test_critic_options_shape_the_discriminator(
    mixed_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch, condition_discriminator: bool
) -> None:
    built: list[Discriminator] = []

    class Recording(Discriminator):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(synthesizer_module, "Discriminator", Recording)
    model = TabularGAN(
        verbose=False,
        condition_discriminator=condition_discriminator,
        discriminator_dropout=0.0,
        lr_schedule="cosine",
        **TINY,
    ).fit(mixed_frame, epochs=1)
    (discriminator,) = built
    cond_dim = sum(span.width for span in model.cond_spans)
    assert cond_dim > 0
    row_width = model.transformer.width + (cond_dim if condition_discriminator else 0)
    first_layer = discriminator.body[0]
    assert first_layer.in_features == row_width * TINY["pac"]
    assert not any(isinstance(layer, torch.nn.Dropout) and layer.p > 0 for layer in discriminator.body)
    assert len(model.sample(20, seed=0)) == 20


def test_adult_small_sample_trains(shared_data: Path) -> None:
    frame = pd.read_csv(shared_data / "adult" / "adult.csv", nrows=1_000)
    model = TabularGAN(verbose=False, **TINY).fit(frame, epochs=1)
    synthetic = model.sample(100, seed=0)
    assert synthetic.dtypes.equals(frame.dtypes)
    assert set(synthetic["sex"]) <= set(frame["sex"])


def test_calibration_matches_marginals() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"v": rng.exponential(3.0, 1_000), "c": rng.choice(["a", "b", "c"], 1_000, p=[0.7, 0.2, 0.1])})
    calibrated = TabularGAN(verbose=False, **TINY).fit(frame, epochs=1)
    raw = TabularGAN(verbose=False, calibrate=False, **TINY).fit(frame, epochs=1)
    observed = frame["c"].value_counts(normalize=True)

    def errors(model: TabularGAN) -> tuple[float, float]:
        synthetic = model.sample(5_000, seed=0)
        frequency_error = (synthetic["c"].value_counts(normalize=True) - observed).abs().max()
        quantile_error = abs(synthetic["v"].quantile(0.5) - frame["v"].quantile(0.5))
        return float(frequency_error), float(quantile_error)

    calibrated_errors = errors(calibrated)
    assert calibrated_errors[0] < 0.03
    assert calibrated_errors[1] < 0.2
    raw_errors = errors(raw)
    assert calibrated_errors[0] < raw_errors[0] and calibrated_errors[1] < raw_errors[1]


def test_conditions_on_datetime_and_constant_columns(fitted: TabularGAN) -> None:
    rows = fitted.sample(30, conditions={"when": ("2020-03-01", "2020-06-30"), "const": 7}, seed=0)
    assert rows["when"].between(pd.Timestamp("2020-03-01"), pd.Timestamp("2020-06-30")).all()
    assert (rows["const"] == 7).all()


def _threshold_frame(rows: int = 2_000) -> pd.DataFrame:
    """``y`` is "hi" when ``x > 0`` (5 % of labels flipped); ``noise`` is unrelated to both."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, rows)
    label = np.where(x > 0, "hi", "lo")
    flipped = rng.random(rows) < 0.05
    label[flipped] = np.where(label[flipped] == "hi", "lo", "hi")
    return pd.DataFrame({"x": x, "noise": rng.choice(["a", "b", "c"], rows), "y": label})


@pytest.fixture(scope="module")
def targeted() -> TabularGAN:
    """A model told that ``y`` is the target, trained briefly on :func:`_threshold_frame`."""
    options = {**TINY, "generator_hidden": (64, 64), "discriminator_hidden": (64, 64)}
    return TabularGAN(verbose=False, seed=0, target="y", **options).fit(_threshold_frame(), epochs=30)


def test_target_head_ties_the_label_to_the_generated_features(targeted: TabularGAN) -> None:
    synthetic = targeted.sample(4_000, seed=1)
    agreement = float(((synthetic["x"] > 0) == (synthetic["y"] == "hi")).mean())
    # the real rule holds on 95 % of rows; the plain GAN at this budget reaches ~0.5 (labels independent of x)
    assert agreement > 0.7
    assert abs((synthetic["y"] == "hi").mean() - 0.5) < 0.06  # the calibrated marginal


def test_target_head_is_saved_and_conditions_still_hold(targeted: TabularGAN, tmp_path: Path) -> None:
    targeted.save(tmp_path / "model")
    loaded = TabularGAN.load(tmp_path / "model")
    assert loaded.generator.target_head is not None
    pd.testing.assert_frame_equal(loaded.sample(300, seed=2), targeted.sample(300, seed=2))
    rows = loaded.sample(200, conditions={"y": "lo"}, seed=3)
    assert (rows["y"] == "lo").all()
    assert (rows["x"] <= 0).mean() > 0.7  # rows asked to be "lo" look like "lo" rows


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nope", "does not exist"),
        ("x", "numeric"),
        ("const", "single value"),
        ("country", "fixed combination"),
    ],
)
def test_bad_targets_raise(mixed_frame: pd.DataFrame, target: str, message: str) -> None:
    model = TabularGAN(verbose=False, target=target, fixed_combinations=[("city", "country")], **TINY)
    with pytest.raises(PolemosError, match=message):
        model.fit(mixed_frame, epochs=1)
    assert model.generator is None  # nothing fitted half-way


def test_target_head_is_reproducible(mixed_frame: pd.DataFrame) -> None:
    first = TabularGAN(verbose=False, seed=4, target="color", **TINY).fit(mixed_frame, epochs=1)
    second = TabularGAN(verbose=False, seed=4, target="color", **TINY).fit(mixed_frame, epochs=1)
    pd.testing.assert_frame_equal(first.sample(200, seed=5), second.sample(200, seed=5))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"noise_dim": "abc"}, r"option noise_dim must be an integer >= 1, got 'abc'; e\.g\. noise_dim=128"),
        ({"generator_lr": "fast"}, "option generator_lr must be a number > 0"),
        ({"generator_hidden": [32, -1]}, "option generator_hidden must be a list of integers >= 1"),
        ({"betas": (0.5, 2.0)}, r"option betas must be two numbers in \[0, 1\)"),
        ({"seed": -1}, r"seed \(--seed\) must be a non-negative integer, got -1"),
    ],
)
def test_option_values_are_checked_against_the_config_fields(kwargs: dict, message: str) -> None:
    with pytest.raises(PolemosError, match=message):
        TabularGAN(**kwargs)


def test_fit_refuses_too_few_rows() -> None:
    one_row = pd.DataFrame({"age": [30], "income": [1.5], "sex": ["F"]})
    with pytest.raises(PolemosError, match="the table has 1 row; a TabularGAN needs at least 10 rows"):
        TabularGAN(verbose=False, **TINY).fit(one_row, epochs=1)


def test_sample_refuses_a_negative_seed(fitted: TabularGAN) -> None:
    with pytest.raises(PolemosError, match=r"seed \(--seed\) must be a non-negative integer"):
        fitted.sample(5, seed=-1)


def _decimal_table(rows: int = 400) -> pd.DataFrame:
    """``hours`` with 1 decimal (101 values), ``gain`` with 2 decimals, as read from a CSV."""
    rng = np.random.default_rng(6)
    return pd.DataFrame(
        {
            "hours": np.round(rng.integers(350, 451, rows) / 10, 1),
            "gain": [float(f"{value:.2f}") for value in rng.exponential(3_000.0, rows)],
            "sex": rng.choice(["Female", "Male"], rows),
        }
    )


def test_samples_keep_the_decimals_of_the_real_columns_and_conditions_hold(tmp_path: Path) -> None:
    # sampled rows read 62,Female,48.20305906484113,5115.906883558093 where the real data has 1 and 2 decimals
    frame = _decimal_table()
    model = TabularGAN(verbose=False, constraints={"gain": {"min": 100.005}}, **TINY).fit(frame, epochs=1)
    model.save(tmp_path / "model")
    synthetic = TabularGAN.load(tmp_path / "model").sample(300, seed=0)
    synthetic.to_csv(tmp_path / "synthetic.csv", index=False)
    written = pd.read_csv(tmp_path / "synthetic.csv", dtype=str)
    for column, decimals in [("hours", 1), ("gain", 2)]:
        assert written[column].str.split(".").str[1].str.len().max() <= decimals, written[column].head()
    assert (synthetic["gain"] >= 100.01).all()  # the bound, on the 2-decimal grid
    # an exact value of a rounded column; 40.3 / 0.1 is 402.99999999999994 in floats, once refused as impossible
    rows = model.sample(20, conditions={"hours": 40.3}, seed=1)
    assert (rows["hours"] == 40.3).all()
    rows = model.sample(50, conditions={"hours": (38.0, 39.0), "sex": "Female"}, seed=2)
    assert rows["hours"].between(38.0, 39.0).all() and (rows["sex"] == "Female").all()
    with pytest.raises(PolemosError, match=r"no value of 'hours' \(multiples of 0.1\) lies in \(40.51, 40.59\)"):
        model.sample(5, conditions={"hours": (40.51, 40.59)})


def test_models_saved_before_decimals_existed_load_and_sample_as_before(fitted: TabularGAN, tmp_path: Path) -> None:
    fitted.save(tmp_path / "model")
    state = json.loads((tmp_path / "model" / "model.json").read_text())
    for column in state["transformer"]["models"]:
        column.pop("decimals")
    (tmp_path / "model" / "model.json").write_text(json.dumps(state))
    loaded = TabularGAN.load(tmp_path / "model")
    pd.testing.assert_frame_equal(loaded.sample(300, seed=1), fitted.sample(300, seed=1))


@pytest.mark.slow  # a wall-clock check: run by `make test-slow`, not where other jobs share the cores
def test_whole_fit_stays_within_the_time_budget(mixed_frame: pd.DataFrame) -> None:
    # the budget was overrun (20.6 s for 20): training kept too little time for the calibration after it
    options = {**TINY, "generator_hidden": (256, 256), "noise_dim": 128, "batch_size": 20, "calibration_rows": 60_000}
    TabularGAN(verbose=False, **options).fit(mixed_frame, epochs=1)  # warm up: first-use imports are slow
    budget = 5.0
    start = time.perf_counter()
    model = TabularGAN(verbose=False, **options).fit(mixed_frame, time_budget=budget)
    elapsed = time.perf_counter() - start
    assert model.report.stopped_by == "time_budget"
    assert elapsed < budget * 1.1 + 0.5, f"fit took {elapsed:.2f} s for a {budget} s budget ({model.report})"
    assert len(model.sample(10, seed=0)) == 10


def test_a_budget_that_leaves_no_training_time_is_an_error(mixed_frame: pd.DataFrame, monkeypatch) -> None:
    # the calibration reserve can take the whole budget (a slow machine, a tiny budget): no untrained model is saved
    monkeypatch.setattr(TabularGAN, "_calibration_seconds", lambda self, generator: 1e6)
    no_time = r"time_budget=5 s \(--time-budget\) left no time to train after preprocessing \("
    with pytest.raises(PolemosError, match=no_time):
        TabularGAN(verbose=False, **TINY).fit(mixed_frame, time_budget=5.0)
    with pytest.raises(PolemosError, match=r"or calibrate=False \(-o calibrate=false\)"):
        TabularGAN(verbose=False, **TINY).fit(mixed_frame, time_budget=5.0)
    model = TabularGAN(verbose=False, **TINY, calibrate=False).fit(mixed_frame, time_budget=1.0)
    assert model.report.steps > 0  # nothing to reserve without calibration


@pytest.mark.parametrize(("time_budget", "epochs", "expected_steps"), [(None, None, 300 * 4), (60.0, None, math.inf)])
def test_epochs_default_to_300_without_a_budget_and_unlimited_with_one(
    mixed_frame: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
    time_budget: float | None,
    epochs: int | None,
    expected_steps: float,
) -> None:
    from typer.main import get_command

    from polemos.tabular.cli import app

    planned: list[float] = []
    train = TabularGAN._train

    def one_step(self: TabularGAN, encoded, sampler, total_steps, deadline, progress, task):  # noqa: ANN001, ANN202
        planned.append(total_steps)
        return train(self, encoded, sampler, 1, deadline, progress, task)

    monkeypatch.setattr(TabularGAN, "_train", one_step)
    TabularGAN(verbose=False, calibrate=False, **TINY).fit(mixed_frame, time_budget=time_budget, epochs=epochs)
    assert planned == [expected_steps]  # 400 rows in batches of 100: 4 steps per epoch
    # --help says what the code does
    epochs_option = next(p for p in get_command(app).commands["fit"].params if p.name == "epochs")
    assert "default: 300 without --time-budget, unlimited with it" in epochs_option.help


def test_calibration_skips_bias_rounds_past_the_deadline(mixed_frame: pd.DataFrame) -> None:
    # the safety net of the time budget: when the machine slowed down, calibration still ends near the deadline
    model = TabularGAN(verbose=False, calibrate=False, **TINY).fit(mixed_frame, epochs=1)
    targets = synthesizer_module._calibration_targets(
        model.transformer, mixed_frame, model.transformer.transform(mixed_frame)
    )
    bias = model.generator.head.bias.detach().clone()
    model._calibrate(targets, deadline=time.perf_counter())  # already past: only the numeric pass runs
    assert torch.equal(model.generator.head.bias, bias)
    assert model.transformer.model("x").calibration_generated  # numeric quantile maps are still fitted
    model._calibrate(targets)  # no deadline: every round moves the biases
    assert not torch.equal(model.generator.head.bias, bias)
