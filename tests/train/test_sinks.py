"""Sinks: JSONL always, CSV rewritten when columns appear."""

from __future__ import annotations

import csv
import json

from polemos.train.sinks import CsvSink, JsonlSink, open_sinks


def test_jsonl_appends_rows(tmp_path) -> None:
    sink = JsonlSink(tmp_path / "metrics.jsonl")
    sink.write(1, {"a": 1.0})
    sink.write(2, {"a": float("nan")})
    sink.close()
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows == [{"step": 1, "a": 1.0}, {"step": 2, "a": "nan"}]


def test_csv_grows_columns_and_survives_reopen(tmp_path) -> None:
    path = tmp_path / "metrics.csv"
    sink = CsvSink(path)
    sink.write(1, {"a": 1.0})
    sink.write(2, {"a": 2.0, "b": 3.0})
    reopened = CsvSink(path)
    reopened.write(3, {"a": 4.0})
    rows = list(csv.DictReader(path.open()))
    assert [row["step"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["b"] == "" and rows[1]["b"] == "3.0"


def test_open_sinks_skips_uninstalled_and_always_has_jsonl(tmp_path) -> None:
    sinks = open_sinks(tmp_path, ["csv"], {})
    assert [type(sink).__name__ for sink in sinks] == ["JsonlSink", "CsvSink"]
    for sink in sinks:
        sink.close()


def test_wandb_sink_runs_offline_without_login(tmp_path, monkeypatch) -> None:
    import pytest

    pytest.importorskip("wandb")
    from polemos.train.sinks import WandbSink

    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("WANDB_MODE", "offline")
    sink = WandbSink(tmp_path, {"game": {"loss": "hinge"}})
    sink.write(1, {"Loss/D": 1.0, "kind": "eval"})
    sink.close()
    offline_runs = list((tmp_path / "wandb").glob("offline-run-*"))
    assert offline_runs, list(tmp_path.rglob("*"))[:10]


def test_rows_appended_after_a_line_cut_short_stay_whole(tmp_path) -> None:
    from polemos.train.health import EventLog, HealthEvent

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "a": 1.0}\n{"step": 2, "a"')  # a crash in the middle of a write
    sink = JsonlSink(path)
    sink.write(3, {"a": 3.0})
    sink.close()
    assert path.read_text().splitlines()[-1] == '{"step": 3, "a": 3.0}'
    events = tmp_path / "events.jsonl"
    events.write_text('{"step": 1, "ki')
    EventLog(events).write([HealthEvent(5, "nan", "x")])
    assert json.loads(events.read_text().splitlines()[-1])["step"] == 5


def test_a_damaged_csv_is_one_line_and_left_as_it_is(tmp_path) -> None:
    import pytest

    from polemos.errors import PolemosError

    path = tmp_path / "metrics.csv"
    path.write_bytes(b"step,a\n1,2\n\xff\xfe\x00garbage")
    with pytest.raises(PolemosError, match="is damaged \\(not CSV text\\); move it aside"):
        CsvSink(path)
    assert path.read_bytes() == b"step,a\n1,2\n\xff\xfe\x00garbage"
