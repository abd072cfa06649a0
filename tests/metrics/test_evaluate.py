"""evaluate_run on a tiny trained digits run: plumbing against hand-built features, caching, records, errors."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

import polemos
from polemos.errors import PolemosError
from polemos.images.data import load_images, to_model_range
from polemos.metrics.distances import fid_from_features
from polemos.metrics.evaluate import AUTO_EXTRACTOR_FILE, evaluate_run
from polemos.metrics.extractors import DomainClassifier

# pixel features of the 8x8 digits have constant (always blank) border pixels: their covariance is singular
pytestmark = pytest.mark.filterwarnings("ignore:Matrix is singular:scipy.linalg.LinAlgWarning")


@pytest.fixture
def run_copy(digits_run, tmp_path):
    """A fresh copy of the trained run, so each test starts without caches or eval records."""
    return shutil.copytree(digits_run, tmp_path / "run")


def eval_rows(run) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [row for row in map(json.loads, lines) if row.get("kind") == "eval"]


def test_pixel_features_match_hand_built_features(run_copy) -> None:
    records = evaluate_run(
        run_copy, metrics=("fid", "kid"), n=70, extractor="pixels", seed=3, batch_size=32, progress=False
    )
    # the reference is every training digit as pixels in [-1, 1]; generated batches use seeds 3 * 1_000_003 + i
    real = to_model_range(load_images("digits", progress=False).images).reshape(1797, -1)
    sampler = polemos.load(run_copy)
    fake = torch.cat(
        [
            sampler.sample(count, seed=3 * 1_000_003 + index).reshape(count, -1)
            for index, count in enumerate((32, 32, 6))
        ]
    )
    by_name = {record.metric: record for record in records}
    assert by_name["fid"].value == pytest.approx(fid_from_features(real, fake), rel=1e-5)
    assert set(by_name["kid"].extra) == {"kid_std", "subsets", "subset_size"} and by_name["kid"].extra["kid_std"] > 0
    assert by_name["kid"].extra["subset_size"] == 70  # clipped to the 70 generated samples, and recorded
    record = by_name["fid"]
    assert (record.n_generated, record.n_reference, record.seed, record.step) == (70, 1797, 3, 3)
    assert record.extractor_id == "pixels" and record.reference_split == "train:digits"


def test_records_appended_as_eval_lines_and_reference_cached(run_copy, monkeypatch) -> None:
    evaluate_run(run_copy, metrics="fid,prdc", n=40, extractor="pixels", progress=False)
    rows = eval_rows(run_copy)
    assert [row["metric"] for row in rows] == ["fid", "precision", "recall", "density", "coverage"]
    assert all(row["n_generated"] == 40 and row["extractor_hash"] for row in rows)
    caches = list((run_copy / "cache").glob("reference-*.pt"))
    assert len(caches) == 1

    import polemos.metrics.evaluate as evaluate_module

    def no_reference_extraction(*args, **kwargs):
        raise AssertionError("the reference features should come from the cache")

    monkeypatch.setattr(evaluate_module, "_features_in_batches", no_reference_extraction)
    evaluate_run(run_copy, metrics=("fid",), n=40, extractor="pixels", progress=False)
    assert len(eval_rows(run_copy)) == 6
    # another reference size is another cache entry: it must be computed, so it hits the patched function
    with pytest.raises(AssertionError, match="cache"):
        evaluate_run(run_copy, metrics=("fid",), n=40, extractor="pixels", progress=False, n_reference=500)


def test_auto_extractor_is_trained_once_and_cached_with_its_hash(run_copy, monkeypatch) -> None:
    import polemos.metrics.evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "AUTO_EXTRACTOR_EPOCHS", 4)  # 10 by default; 4 keeps the test quick
    records = evaluate_run(run_copy, metrics=("fid",), n=64, progress=False)
    path = run_copy / "extractor" / AUTO_EXTRACTOR_FILE
    info = json.loads(path.with_suffix(".json").read_text())
    classifier = DomainClassifier.load(path)
    assert info["hash"] == classifier.hash == records[0].extractor_hash
    assert info["validation_accuracy"] > 0.8 and info["epochs"] == 4  # digits are easy even in a few epochs
    assert records[0].extractor_id == "domain-cnn-1x8x8-10classes"
    modified = path.stat().st_mtime_ns
    again = evaluate_run(run_copy, metrics=("fid",), n=64, progress=False)
    assert path.stat().st_mtime_ns == modified
    assert again[0].value == pytest.approx(records[0].value)  # same seed, same extractor: same number


def test_bad_inputs_raise_polemos_errors(run_copy, tmp_path) -> None:
    with pytest.raises(PolemosError, match="does not exist"):
        evaluate_run(tmp_path / "nowhere", extractor="pixels")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PolemosError, match="not a trained run folder"):
        evaluate_run(tmp_path / "empty", extractor="pixels")
    with pytest.raises(PolemosError, match="fid"):  # the message lists the valid metric names
        evaluate_run(run_copy, metrics=("fdi",), extractor="pixels")
    for bad_n in (0, -5):
        with pytest.raises(PolemosError, match="positive"):
            evaluate_run(run_copy, n=bad_n, extractor="pixels")
    with pytest.raises(PolemosError, match="neither a built-in name"):
        evaluate_run(run_copy, n=10, extractor=str(tmp_path / "missing.safetensors"))
    with pytest.raises(PolemosError, match="not found"):
        evaluate_run(run_copy, n=10, extractor="domain:" + str(tmp_path / "missing.safetensors"))
    assert not (run_copy / "metrics.jsonl").read_text().count('"kind": "eval"')


def test_a_tabular_model_folder_names_tabular_eval(tmp_path) -> None:
    # it said "not a trained run folder (missing config.json)", as if the run were unfinished
    (tmp_path / "model.json").write_text(json.dumps({"format_version": 1, "transformer": {}}))
    (tmp_path / "generator.safetensors").write_bytes(b"")
    with pytest.raises(
        PolemosError, match="holds a tabular model, not an image training run; use `polemos tabular eval`"
    ):
        evaluate_run(tmp_path, extractor="pixels")


def test_seeds_torch_cannot_take_are_refused_before_any_work(run_copy) -> None:
    for seed in (-1, 2**40):
        with pytest.raises(PolemosError, match="seed \\(--seed\\)"):
            evaluate_run(run_copy, metrics=("kid",), n=20, extractor="pixels", seed=seed)


def test_records_after_a_line_cut_short_are_not_lost(run_copy) -> None:
    path = run_copy / "metrics.jsonl"
    path.write_text(path.read_text() + '{"step": 9, "Loss/D"')  # a training process killed mid-write
    evaluate_run(run_copy, metrics=("kid",), n=20, extractor="pixels", progress=False)
    assert [row["metric"] for row in eval_rows_skipping_damage(run_copy)] == ["kid"]


def eval_rows_skipping_damage(run) -> list[dict]:
    rows = []
    for line in (run / "metrics.jsonl").read_text().splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if row.get("kind") == "eval":
            rows.append(row)
    return rows


def test_a_reference_set_too_small_for_a_metric_names_its_size(tmp_path, tiny_digits_trainer) -> None:
    import numpy as np

    np.save(tmp_path / "eight.npy", np.random.default_rng(0).integers(0, 255, (8, 8, 8), dtype=np.uint8))
    run = tiny_digits_trainer(tmp_path / "run", 1, 4, ["model.latent_dim=8", f"data.source={tmp_path / 'eight.npy'}"])
    # "kid needs at least 10 samples in each set (got 50 generated, 8 reference); use more samples": --n cannot help
    with pytest.raises(PolemosError) as error:
        evaluate_run(run, metrics="prdc,kid", n=50, extractor="pixels", progress=False)
    assert str(error.value) == (
        f"the reference set ({tmp_path / 'eight.npy'}) has 8 images; kid needs at least 10; evaluate with "
        "--metrics prdc (reference= in the Python API takes another set)"
    )
    assert not (run / "cache").exists()  # refused before any features were computed
