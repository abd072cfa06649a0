"""Plugins: modules that register their own losses, penalties, models or datasets before a command runs.

A plugin is any importable module that adds entries to the registries (``LOSSES.add(...)``,
``IMAGE_MODELS.add(...)``, ``@IMAGE_DATASETS.register(...)``...) when imported. polemos imports, before every
command and in :func:`polemos.load`:

* the modules named in the environment variable ``POLEMOS_PLUGINS`` (comma-separated, e.g. ``mylab.gan``);
* the entry points of the group ``polemos.plugins`` of installed packages
  (``[project.entry-points."polemos.plugins"] mylab = "mylab.gan"`` in their ``pyproject.toml``).

So a run trained with a plugin's model samples, resumes and loads with the stock commands as long as the plugin is
named the same way.
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points

from polemos.errors import PolemosError

__all__ = ["ENTRY_POINT_GROUP", "PLUGINS_ENV", "load_plugins"]

PLUGINS_ENV = "POLEMOS_PLUGINS"
ENTRY_POINT_GROUP = "polemos.plugins"


def load_plugins() -> list[str]:
    """Imports every plugin module (``$POLEMOS_PLUGINS``, then installed entry points); returns their names.

    Importing a module twice is free (Python caches it), so calling this again registers nothing twice.

    Raises:
        PolemosError: If a named module cannot be imported, naming it and where it was named.
    """
    loaded = []
    for name in [part.strip() for part in os.environ.get(PLUGINS_ENV, "").split(",") if part.strip()]:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise PolemosError(
                f"{PLUGINS_ENV} names the module {name!r}, which cannot be imported ({error}); put it on "
                "PYTHONPATH or install its package"
            ) from None
        loaded.append(name)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()
        except ImportError as error:
            raise PolemosError(
                f"the installed plugin {entry.name!r} ({entry.value}) cannot be imported ({error}); reinstall or "
                "uninstall its package"
            ) from None
        loaded.append(entry.value)
    return loaded
