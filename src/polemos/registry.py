"""Named registries of pluggable things (losses, models, datasets, metrics) so the CLI can list valid choices."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from polemos.errors import PolemosError

T = TypeVar("T")


def check_callable(function: Any, what: str, *arguments: str, keywords: Sequence[str] = ()) -> None:
    """Raises when ``function`` cannot be called with the named positional ``arguments`` and ``keywords``.

    Registered entries are called by the training loop long after they are added; a plugin's wrong signature
    then fails at step 1 with a traceback. This check makes it one line when the plugin is imported.
    """
    if not callable(function):
        raise PolemosError(f"{what} is not callable; give a function or class")
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: nothing to check
        return
    try:
        signature.bind(*arguments, **dict.fromkeys(keywords))
    except TypeError:
        shown = ", ".join([*arguments, *(f"{name}=..." for name in keywords)])
        raise PolemosError(f"{what} must accept ({shown}); its signature is {signature}") from None


def check_entry(kind: str, name: str, entry: Any, expected: type, own_name: str | None) -> None:
    """Raises unless ``entry`` is an ``expected`` instance registered under its own ``name``."""
    if not isinstance(entry, expected):
        raise PolemosError(f"{kind} {name!r} must be a {expected.__name__}, got {type(entry).__name__}")
    if own_name is not None and own_name != name:
        raise PolemosError(f"{kind} registered as {name!r} is named {own_name!r}; register it under its own name")


class Registry(Generic[T]):
    """A mapping from names to objects that reports the valid names when a lookup fails.

    Args:
        kind: What the registry holds, used in error messages (e.g. ``"loss"``).
    """

    def __init__(self, kind: str, check: Callable[[str, T], None] | None = None) -> None:
        self.kind = kind
        self._check = check  # raises PolemosError on an entry that would fail only once training runs
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
        if self._check is not None:
            self._check(name, obj)
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
            import difflib

            close = difflib.get_close_matches(str(name), self.names(), n=1)
            # a name like no built-in one may be a plugin's: saved runs and models keep the names they used
            plugin = "; if it is a plugin's, name its module in POLEMOS_PLUGINS"
            hint = f"; did you mean {close[0]}?" if close else plugin
            valid = ", ".join(self.names())
            raise PolemosError(f"unknown {self.kind} {name!r}; valid choices: {valid}{hint}") from None

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
