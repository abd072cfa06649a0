"""Metric records carry their protocol."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from polemos.errors import PolemosError
from polemos.metrics.distances import fid_from_features, kid_from_features, prdc
from polemos.metrics.extractors import PixelExtractor
from polemos.metrics.protocol import MetricRecord, evaluate

RECORD_FIELDS = {
    "metric",
    "value",
    "extractor_id",
    "extractor_hash",
    "n_generated",
    "n_reference",
    "reference_split",
    "seed",
    "step",
    "wall_time",
    "extra",
}


def test_evaluate_records_every_value_with_its_protocol() -> None:
    real, fake = torch.randn(400, 6), torch.randn(300, 6) + 0.2
    extractor = PixelExtractor()
    records = evaluate(real, fake, ["fid", "kid", "prdc", "1nn"], extractor, "digits/test", seed=3, step=1200)
    assert [record.metric for record in records] == [
        "fid",
        "kid",
        "precision",
        "recall",
        "density",
        "coverage",
        "1nn",
    ]
    by_name = {record.metric: record for record in records}
    assert by_name["fid"].value == fid_from_features(real, fake)
    kid_mean, kid_std = kid_from_features(real, fake, seed=3)
    assert by_name["kid"].value == kid_mean
    # the settings behind each value are recorded with it: KID's subsets, PRDC's k, 1-NN's set size
    assert by_name["kid"].extra == {"kid_std": kid_std, "subsets": 100.0, "subset_size": 300.0}
    assert by_name["density"].extra == {"k": 5.0} and by_name["1nn"].extra == {"samples_per_set": 300.0}
    assert by_name["density"].value == prdc(real, fake, k=5)["density"]
    assert by_name["precision"].wall_time == by_name["coverage"].wall_time  # computed together
    for record in records:
        assert (record.n_reference, record.n_generated) == (400, 300)
        assert (record.reference_split, record.seed, record.step) == ("digits/test", 3, 1200)
        assert (record.extractor_id, record.extractor_hash) == ("pixels", extractor.hash)
        assert record.wall_time >= 0.0


def test_record_is_frozen_and_serialises_all_fields() -> None:
    record = MetricRecord(
        metric="kid",
        value=0.01,
        extractor_id="pixels",
        extractor_hash="0" * 64,
        n_generated=10,
        n_reference=20,
        reference_split="test",
        seed=0,
        step=None,
        wall_time=0.5,
        extra={"kid_std": 0.001},
    )
    as_dict = record.to_dict()
    assert set(as_dict) == RECORD_FIELDS == {field.name for field in dataclasses.fields(MetricRecord)}
    assert as_dict["extra"] == {"kid_std": 0.001} and as_dict["step"] is None
    assert json.loads(json.dumps(as_dict)) == as_dict
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.value = 1.0  # type: ignore[misc]


def test_unknown_metric_fails_before_any_work() -> None:
    with pytest.raises(PolemosError, match="valid choices: 1nn, fid, kid, prdc"):
        evaluate(torch.randn(5, 2), torch.randn(5, 2), ["fid", "fdi"], PixelExtractor(), "test", seed=0, step=None)


def test_evaluate_refuses_sets_smaller_than_a_metric_needs() -> None:
    real, fake = torch.randn(50, 3), torch.randn(4, 3)
    with pytest.raises(PolemosError, match=r"kid needs at least 10 samples in each set \(got 4 generated"):
        evaluate(real, fake, ["kid"], PixelExtractor(), "test", seed=0, step=None)
    with pytest.raises(PolemosError, match="prdc needs at least 6"):
        evaluate(real, fake[:5], ["prdc"], PixelExtractor(), "test", seed=0, step=None)
