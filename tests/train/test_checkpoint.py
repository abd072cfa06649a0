"""Atomic, safe checkpoints and RNG capture."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from polemos.errors import PolemosError
from polemos.train import checkpoint as ckpt


def test_round_trip_with_weights_only(tmp_path) -> None:
    path = tmp_path / "checkpoints" / "last.pt"
    state = {"step": 3, "weights": {"w": torch.arange(4.0)}, "nested": [1, 2.5, "x", None]}
    ckpt.save_checkpoint(path, state)
    loaded = torch.load(path, weights_only=True)  # no code is unpickled
    assert loaded["step"] == 3 and torch.equal(loaded["weights"]["w"], torch.arange(4.0))
    assert ckpt.load_checkpoint(path)["nested"] == [1, 2.5, "x", None]


def test_a_crash_during_save_keeps_the_previous_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "last.pt"
    ckpt.save_checkpoint(path, {"step": 1})

    def crash(obj, file, *args, **kwargs):
        with open(file, "wb") as handle:
            handle.write(b"partial")
        raise KeyboardInterrupt  # a kill in the middle of the write

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save_checkpoint(path, {"step": 2})
    monkeypatch.undo()
    assert ckpt.load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]  # no temporary left behind


def test_corrupt_and_missing_checkpoints_are_one_line_errors(tmp_path) -> None:
    corrupt = tmp_path / "last.pt"
    corrupt.write_bytes(b"\x00garbage")
    with pytest.raises(PolemosError, match="corrupt") as error:
        ckpt.load_checkpoint(corrupt)
    assert "\n" not in str(error.value)
    with pytest.raises(PolemosError, match="no checkpoint"):
        ckpt.load_checkpoint(tmp_path / "absent.pt")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.ones(1)}, foreign)
    with pytest.raises(PolemosError, match="not a polemos checkpoint"):
        ckpt.load_checkpoint(foreign)


def test_corrupt_checkpoint_reasons_end_at_a_word_or_sentence(tmp_path, monkeypatch) -> None:
    garbage = tmp_path / "last.pt"
    garbage.write_bytes(b"garbage\n")  # torch's weights-only refusal: its first line is a long advice, cut mid-word
    with pytest.raises(PolemosError) as error:
        ckpt.load_checkpoint(garbage)
    message = str(error.value)
    assert "(weights-only load refused it: Unsupported operand 103); delete it" in message
    assert "weights_only" not in message  # torch's advice to unpickle the file's code is not repeated

    def load_failing_with(text: str):
        def load(*args, **kwargs):
            raise RuntimeError(text)

        return load

    monkeypatch.setattr(ckpt.torch, "load", load_failing_with("a long explanation " * 12 + "\nsecond line"))
    with pytest.raises(PolemosError) as error:
        ckpt.load_checkpoint(garbage)
    reason = str(error.value).split(" checkpoint (", 1)[1].split("); delete it", 1)[0]
    assert reason.endswith(" …") and len(reason) <= 122
    assert ("a long explanation " * 12).startswith(reason[:-2] + " ")  # whole words only
    monkeypatch.setattr(ckpt.torch, "load", load_failing_with("First. " * 30))  # whole sentences when there are some
    with pytest.raises(PolemosError, match=r"checkpoint \((First\. )+First\.\); delete it"):
        ckpt.load_checkpoint(garbage)


def test_rng_state_round_trip_through_a_file(tmp_path) -> None:
    torch.manual_seed(5)
    np.random.seed(5)
    random.seed(5)
    state = ckpt.capture_rng_state()
    ckpt.save_checkpoint(tmp_path / "rng.pt", {"rng": state})
    expected = (torch.rand(3), np.random.rand(3), random.random())
    ckpt.restore_rng_state(ckpt.load_checkpoint(tmp_path / "rng.pt")["rng"])
    assert torch.equal(torch.rand(3), expected[0])
    assert np.array_equal(np.random.rand(3), expected[1])
    assert random.random() == expected[2]


def test_generator_export_round_trip(tmp_path) -> None:
    weights = {"layer.weight": torch.randn(2, 3)}
    ckpt.export_generator(tmp_path, weights, {"latent_dim": 3})
    loaded, metadata = ckpt.read_generator(tmp_path)
    assert torch.equal(loaded["layer.weight"], weights["layer.weight"]) and metadata == {"latent_dim": 3}
    (tmp_path / "empty").mkdir()
    with pytest.raises(PolemosError, match="no trained generator"):
        ckpt.read_generator(tmp_path / "empty")
    with pytest.raises(PolemosError, match="does not exist"):
        ckpt.read_generator(tmp_path / "absent")


def test_reading_a_generator_from_a_file_says_it_is_not_a_folder(tmp_path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    with pytest.raises(PolemosError, match="is a file, not a run folder"):
        ckpt.read_generator(a_file)


@pytest.mark.parametrize(
    ("files", "kind", "command"),
    [
        ({"model.json": {"format_version": 1, "transformer": {}}}, "tabular model", "polemos tabular sample"),
        ({"config.json": {"config": {}, "meta": {}}}, "series model", "polemos series sample"),
    ],
)
def test_reading_a_tabular_or_series_model_names_its_own_command(tmp_path, files, kind, command) -> None:
    # a tabular model.json has no image metadata: polemos sample failed with KeyError 'architecture'
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(1)}, str(tmp_path / "generator.safetensors"))
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content))
    with pytest.raises(PolemosError, match=f"holds a {kind}, not an image training run; use `{command}`"):
        ckpt.read_generator(tmp_path)
