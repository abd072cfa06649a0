"""Plugins: modules named in POLEMOS_PLUGINS (or installed entry points) register entries before a command runs."""

from __future__ import annotations

import sys
import textwrap

import pytest

from polemos.errors import PolemosError
from polemos.game.losses import LOSSES
from polemos.plugins import PLUGINS_ENV, load_plugins

PLUGIN = textwrap.dedent(
    '''
    """A researcher's loss, registered on import."""
    from polemos.game.losses import LOSSES, AdversarialLoss, hinge_discriminator_loss, hinge_generator_loss

    LOSSES.add(
        "test-plugin-hinge",
        AdversarialLoss("test-plugin-hinge", hinge_discriminator_loss, hinge_generator_loss, False, "https://example.org"),
    )
    '''
)


@pytest.fixture
def plugin_module(tmp_path, monkeypatch):
    """A plugin module on the path, and registries that forget its entries after the test."""
    (tmp_path / "labplugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(LOSSES, "_entries", dict(LOSSES._entries))
    monkeypatch.setattr(LOSSES, "_descriptions", dict(LOSSES._descriptions))
    yield "labplugin"
    sys.modules.pop("labplugin", None)


def test_modules_named_in_the_environment_register_their_entries(plugin_module, monkeypatch, capsys) -> None:
    monkeypatch.setenv(PLUGINS_ENV, f" {plugin_module} ,")
    assert "test-plugin-hinge" not in LOSSES
    assert load_plugins()[:1] == [plugin_module]
    assert "test-plugin-hinge" in LOSSES
    assert load_plugins()[:1] == [plugin_module]  # a second call imports nothing twice (add would refuse it)
    from polemos.cli import main

    with pytest.raises(SystemExit):
        main(["list"])  # the CLI loads them before any command: the loss is listed with the built-in ones
    assert "test-plugin-hinge" in capsys.readouterr().out


def test_a_plugin_that_cannot_be_imported_is_one_line_naming_it(monkeypatch, capsys) -> None:
    monkeypatch.setenv(PLUGINS_ENV, "no_such_lab_module")
    with pytest.raises(PolemosError, match="POLEMOS_PLUGINS names the module 'no_such_lab_module', which cannot be"):
        load_plugins()
    from polemos.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["list"])
    assert exit_info.value.code == 2 and capsys.readouterr().err.startswith("error: POLEMOS_PLUGINS names")
