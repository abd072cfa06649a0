"""Package attributes imported on first use (PEP 562), so that a package's CLI starts without loading torch."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, exports: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose public names live in submodules.

    Args:
        package: The package's name, for the error of an unknown attribute.
        exports: Public name -> the module that defines it, imported when the name is first read.
        namespace: The package's ``globals()``, whose names ``dir()`` lists with the exports.

    Returns:
        ``(__getattr__, __dir__)``, to assign at the package's top level.
    """

    def get_attribute(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def list_attributes() -> list[str]:
        return sorted({*namespace, *exports})

    return get_attribute, list_attributes
