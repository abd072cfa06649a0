"""Named registries of pluggable things (losses, models, datasets, metrics) so the CLI can list valid choices."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from polemos.errors import PolemosError

T = TypeVar("T")


class Registry(Generic[T]):
    """A mapping from names to objects that reports the valid names when a lookup fails.

    Args:
        kind: What the registry holds, used in error messages (e.g. ``"loss"``).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._descriptions: dict[str, str] = {}

    def register(self, name: str, description: str = "") -> Callable[[T], T]:
        """Decorator that registers ``obj`` under ``name``."""

        def decorator(obj: T) -> T:
            self.add(name, obj, description)
            return obj

        return decorator

    def add(self, name: str, obj: T, description: str = "") -> None:
        """Registers ``obj`` under ``name``; a name may be registered once."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = obj
        own = getattr(obj, "description", None)  # a spec's own description field, if it has one
        if not description and isinstance(own, str):
            description = own
        elif not description and (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
            # a function's or class's docstring; an instance's would be its class's, describing every entry alike
            description = (getattr(obj, "__doc__", None) or "").strip().split("\n")[0]
        self._descriptions[name] = description

    def get(self, name: str) -> T:
        """Returns the entry for ``name`` or raises a one-line error listing the valid names."""
        try:
            return self._entries[name]
        except KeyError:
            raise PolemosError(f"unknown {self.kind} {name!r}; valid choices: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._entries)

    def describe(self, name: str) -> str:
        """A one-line description of ``name``."""
        return self._descriptions.get(name, "")

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)
