"""polemos.load reads every kind of saved model; the top-level namespace is just that and the version."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import polemos
from polemos.errors import PolemosError


def test_namespace() -> None:
    assert polemos.__all__ == ["__version__", "load"] and isinstance(polemos.__version__, str)


def test_load_returns_the_tabular_and_series_models_too(tmp_path) -> None:
    from polemos.series import SeriesGAN
    from polemos.tabular import TabularGAN

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "kind": rng.choice(["a", "b"], 60)})
    tiny_table = {"generator_hidden": (16,), "discriminator_hidden": (16,), "batch_size": 20, "verbose": False}
    TabularGAN(**tiny_table).fit(frame, epochs=1).save(tmp_path / "table")
    prices = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal((80, 1)), axis=0))
    SeriesGAN(seed=0, hidden=4, layers=1, discriminator_channels=4, batch_size=8).fit(
        prices, window=8, returns=True, steps=1
    ).save(tmp_path / "series")
    table_model, series_model = polemos.load(tmp_path / "table"), polemos.load(tmp_path / "series")
    # each is its modality's own class, with sample(n, ...); they were refused with a pointer to the CLI
    assert isinstance(table_model, TabularGAN) and len(table_model.sample(5, seed=0)) == 5
    assert repr(table_model) == "TabularGAN(fitted: 2 columns [x, kind], seed=0)"
    assert isinstance(series_model, SeriesGAN) and series_model.sample(2, seed=0).shape == (2, 8, 1)
    with pytest.raises(PolemosError):
        polemos.load(tmp_path / "nothing")


def test_metrics_are_reachable_from_the_package_and_read_only_arrays_do_not_warn() -> None:
    import warnings

    import polemos.metrics as metrics

    rng = np.random.default_rng(0)
    real, fake = pd.DataFrame(rng.normal(size=(40, 3))), pd.DataFrame(rng.normal(size=(40, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warned that a DataFrame's values are not writable
        assert metrics.fid_from_features(real, fake) >= 0.0
    assert set(metrics.prdc(real, fake)) == {"precision", "recall", "density", "coverage"}
    with pytest.raises(AttributeError):
        metrics.no_such_metric  # noqa: B018


def test_models_say_what_they_are_in_a_notebook(tmp_path) -> None:
    from polemos.series import SeriesGAN
    from polemos.tabular import TabularConfig, TabularGAN

    assert repr(SeriesGAN(seed=3)) == "SeriesGAN(not fitted, seed=3)"
    prices = pd.DataFrame({"spx": 100 * np.exp(np.cumsum(0.01 * np.random.default_rng(0).standard_normal(80)))})
    series = SeriesGAN(seed=0, hidden=4, layers=1, discriminator_channels=4, batch_size=8)
    series.fit(prices, window=8, returns=True, steps=1)
    assert repr(series) == "SeriesGAN(fitted: 1 feature(s) [spx], window 8, log returns, seed=0)"
    # a TabularConfig is accepted in the first place, as SeriesGAN takes its config (it was read as constraints)
    table = TabularGAN(TabularConfig(seed=3, target="kind"), verbose=False)
    assert repr(table) == "TabularGAN(not fitted, target='kind', seed=3)" and table.bounds == {}


def test_load_builds_on_the_cpu_whatever_the_default_device(tmp_path, tiny_digits_trainer) -> None:
    import torch

    run = tiny_digits_trainer(tmp_path / "run", 2, 16, ["model.latent_dim=8"])
    torch.set_default_device("meta")  # a caller's setting: modules built under it hold no data
    try:
        generator = polemos.load(run)
    finally:
        torch.set_default_device("cpu")
    images = generator.sample(4, seed=0)
    assert images.device.type == "cpu" and images.shape == (4, 1, 8, 8) and torch.isfinite(images).all()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"resolution": "8px"}, r"model.json's 'resolution' is '8px', not a whole number; restore"),
        ({"latent_dim": None}, r"model.json's 'latent_dim' is missing; restore"),
        ({"architecture": 3}, r"model.json's 'architecture' is 3, not a model name"),
        ({"class_names": "a,b"}, r"model.json's 'class_names' is 'a,b', not a list"),
    ],
)
def test_a_hand_edited_model_json_is_one_line(tmp_path, tiny_digits_trainer, edit, message) -> None:
    import json

    run = tiny_digits_trainer(tmp_path / "run", 2, 16, ["model.latent_dim=8"])
    metadata = json.loads((run / "model.json").read_text())
    metadata.update(edit)
    (run / "model.json").write_text(json.dumps({key: value for key, value in metadata.items() if value is not None}))
    # a ValueError or KeyError traceback before
    with pytest.raises(PolemosError, match=message):
        polemos.load(run)


def test_a_model_is_never_saved_over_a_model_of_another_kind(tmp_path, tiny_digits_trainer) -> None:
    from polemos.series import SeriesGAN
    from polemos.tabular import TabularGAN

    rng = np.random.default_rng(0)
    table = TabularGAN(generator_hidden=(8,), discriminator_hidden=(8,), batch_size=20, verbose=False)
    table.fit(pd.DataFrame({"x": rng.normal(size=60), "kind": rng.choice(["a", "b"], 60)}), epochs=1)
    prices = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal((80, 1)), axis=0))
    series = SeriesGAN(seed=0, hidden=4, layers=1, discriminator_channels=4, batch_size=8)
    series.fit(prices, window=8, returns=True, steps=1)
    table.save(tmp_path / "table")
    series.save(tmp_path / "series")
    image_run = tiny_digits_trainer(tmp_path / "images", 2, 16, ["model.latent_dim=8"])
    # the files mixed: the folder then loaded as the wrong kind and failed as "damaged"
    with pytest.raises(PolemosError, match="holds a tabular model; save the series model to another folder"):
        series.save(tmp_path / "table")
    with pytest.raises(PolemosError, match="holds a series model; save the tabular model to another folder"):
        table.save(tmp_path / "series")
    with pytest.raises(PolemosError, match="holds a training run; save the tabular model"):
        table.save(image_run)
    assert isinstance(polemos.load(tmp_path / "table"), TabularGAN)
    assert isinstance(polemos.load(tmp_path / "series"), SeriesGAN)
    table.save(tmp_path / "table")  # its own kind is replaced, as before
