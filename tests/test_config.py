"""Config layering, presets, overrides and their one-line errors."""

from __future__ import annotations

import re

import pytest

from polemos.config import PRESETS, GameConfig, RunConfig, parse_override, resolve_config, valid_keys
from polemos.errors import PolemosError


def test_defaults_come_from_the_dataclasses() -> None:
    config = resolve_config()
    assert config == RunConfig()
    assert config.game.n_critic == GameConfig.model_fields["n_critic"].default


def test_layers_apply_in_order(tmp_path) -> None:
    file = tmp_path / "run.yaml"
    file.write_text("game:\n  loss: wasserstein\n  n_critic: 3\ntrain:\n  steps: 7\n")
    config = resolve_config(
        preset="wgan-gp",
        config_file=file,
        flags={"train.steps": 9, "train.seed": None},
        overrides=["game.n_critic=4"],
    )
    assert config.preset == "wgan-gp"
    assert config.game.penalty == "wgan-gp"  # from the preset
    assert config.game.loss == "wasserstein"  # from the file
    assert config.train.steps == 9  # flag beats file
    assert config.game.n_critic == 4  # override beats file
    assert config.train.seed == 0  # None flags are ignored


def test_override_values_are_typed() -> None:
    config = resolve_config(overrides=["game.clip_grad_norm=1.5", "model.spectral_norm=false", "game.augment="])
    assert config.game.clip_grad_norm == 1.5
    assert config.model.spectral_norm is False
    assert config.game.augment == ""


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("game.n_critic=0", "game.n_critic"),
        ("train.batch_size=-3", "train.batch_size"),
        ("game.lr_generator=abc", "game.lr_generator"),
        ("game.ncritic=5", "unknown config key 'game.ncritic'"),
        ("n_critic", "section.key=value"),
        ("train.precision=fp8", "train.precision"),
    ],
)
def test_bad_overrides_give_one_line_errors(override: str, fragment: str) -> None:
    with pytest.raises(PolemosError) as error:
        resolve_config(overrides=[override])
    assert fragment in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("game.n_critc=2", "unknown config key 'game.n_critc'; did you mean game.n_critic?"),
        ("gamez.n_critic=2", "did you mean game.n_critic?"),
        ("game.zzz=1", "unknown config key 'game.zzz'; valid keys of game: loss, penalty,"),
    ],
)
def test_unknown_override_suggests_a_close_key(override: str, expected: str) -> None:
    with pytest.raises(PolemosError) as error:
        resolve_config(overrides=[override])
    assert expected in str(error.value)
    assert "train.num_threads" not in str(error.value)  # not all 60 keys


def test_unknown_section_in_a_config_file_suggests_one(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("gamez:\n  n_critic: 2\n")
    with pytest.raises(PolemosError, match="unknown config section 'gamez'; did you mean game"):
        resolve_config(config_file=path)


def test_skip_unreadable_is_off_by_default() -> None:
    assert resolve_config().data.skip_unreadable is False
    assert resolve_config(overrides=["data.skip_unreadable=true"]).data.skip_unreadable is True


def test_unknown_preset_lists_choices() -> None:
    with pytest.raises(PolemosError, match="valid choices: .*dcgan-classic"):
        resolve_config(preset="nope")


def test_missing_config_file(tmp_path) -> None:
    with pytest.raises(PolemosError, match="does not exist"):
        resolve_config(config_file=tmp_path / "absent.yaml")


def test_16_mixed_on_cpu_is_refused() -> None:
    with pytest.raises(PolemosError, match="16-mixed needs a GPU"):
        resolve_config(overrides=["train.accelerator=cpu", "train.precision=16-mixed"])


def test_presets_only_hold_valid_keys() -> None:
    for name in PRESETS.names():
        resolve_config(preset=name)  # raises on an invalid preset


def test_parse_override_and_valid_keys() -> None:
    assert parse_override("train.steps=12") == (["train", "steps"], 12)
    assert "game.n_critic" in valid_keys()
    assert valid_keys("model")[0].startswith("model.")


def test_json_round_trip() -> None:
    config = resolve_config(preset="dcgan-classic")
    assert RunConfig.model_validate_json(config.to_json()) == config


def test_parse_key_value_reads_yaml_values_and_names_the_form() -> None:
    from polemos.config import parse_key_value
    from polemos.errors import PolemosError

    assert parse_key_value(" steps =12000") == ("steps", 12000)
    assert parse_key_value("lags=[1, 2]") == ("lags", [1, 2])
    assert parse_key_value("flag=true") == ("flag", True)
    assert parse_key_value("loss=hinge") == ("loss", "hinge")
    assert parse_key_value("text=a: b: c") == ("text", "a: b: c")  # not valid YAML: kept as written
    with pytest.raises(PolemosError, match=r"'steps' is not of the form --option key=value, e\.g\. steps=100"):
        parse_key_value("steps", "--option key=value", "steps=100")
    with pytest.raises(PolemosError, match="not of the form"):
        parse_key_value("=3")


def test_yaml_merge_keys_may_be_overridden_in_a_config_file(tmp_path) -> None:
    file = tmp_path / "run.yaml"
    file.write_text("game: &shared\n  loss: hinge\n  n_critic: 5\n  <<: {n_critic: 3}\n")
    assert resolve_config(config_file=file).game.n_critic == 5


def test_a_preset_override_is_refused_instead_of_naming_a_recipe_that_did_not_run() -> None:
    with pytest.raises(PolemosError, match="chosen with --preset NAME"):
        resolve_config(overrides=["preset=wgan-gp"])


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\xff\xfe\x00binary", "is not UTF-8 text"),
        (b"preset: [1]\n", "preset must be a name, got [1]"),
        (b"game:\n  n_critic: [5\n", "is not valid YAML/JSON"),
        # a second section or key replaced the first without a word (YAML keeps the last)
        (b"train:\n  steps: 10\ngame:\n  loss: hinge\ntrain:\n  batch_size: 8\n", "gives 'train' twice (line 5)"),
        (b"game:\n  loss: hinge\n  loss: wasserstein\n", "gives 'loss' twice (line 3); only the last would count"),
        (b'{"game": {"loss": "hinge"}, "game": {}}', "gives 'game' twice (line 1)"),
    ],
)
def test_bad_config_files_are_one_line_errors(tmp_path, content, fragment) -> None:
    file = tmp_path / "run.yaml"
    file.write_bytes(content)
    with pytest.raises(PolemosError, match=re.escape(fragment)) as error:
        resolve_config(config_file=file)
    assert "\n" not in str(error.value)
    with pytest.raises(PolemosError, match="is a folder"):
        resolve_config(config_file=tmp_path)


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("data.resolution=12", "12 is not a power of two"),  # refused by a dry run too, not only when images load
        ("train.out=", "train.out: String should have at least 1 character"),  # "" would be the working folder
        ("data.source=", "data.source: String should have at least 1 character"),
        ("train.seed=4294967296", "train.seed: Input should be less than or equal to 2147483647"),
        # one message, without pydantic's "Value error, " or one line per member of int | "auto"
        ("train.devices=0", r"train.devices: devices must be a whole number of processes >= 1, or auto \(got 0\);"),
        ("train.devices=-1", "train.devices: devices must be a whole number"),
        ("train.devices=two", "train.devices: devices must be a whole number"),
        ("train.devices=true", "train.devices: devices must be a whole number"),
    ],
)
def test_impossible_values_fail_when_the_config_resolves(override, fragment) -> None:
    with pytest.raises(PolemosError, match=fragment):
        resolve_config(overrides=[override])


@pytest.mark.parametrize("override", ["game.penalty_weight=inf", "game.ema_half_life=.nan", "train.max_time=nan"])
def test_nan_and_infinite_numbers_are_refused(override: str) -> None:
    # inf penalty weights diverged mid-run with advice that did not apply; nan limits never stopped anything
    with pytest.raises(PolemosError, match="should be a finite number"):
        resolve_config(overrides=[override])


@pytest.mark.parametrize(("override", "devices"), [("train.devices=3", 3), ("train.devices=auto", "auto")])
def test_good_device_counts_resolve(override: str, devices: int | str) -> None:
    assert resolve_config(overrides=[override]).train.devices == devices
