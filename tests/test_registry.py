from dataclasses import dataclass

from polemos.registry import Registry


@dataclass(frozen=True)
class Spec:
    """A named thing (the class's docstring: it describes every entry alike)."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class Bare:
    """A spec without a description field."""

    name: str


def helper() -> None:
    """Does one thing.

    More text.
    """


def test_descriptions_come_from_the_entry_not_its_class() -> None:
    registry: Registry[object] = Registry("thing")
    registry.add("own", Spec("own", "MLP G/D (mine)"))  # listed as the class docstring before
    registry.add("bare", Bare("bare"))
    registry.add("function", helper)
    registry.add("given", Spec("given", "ignored"), "the caller's words")
    assert registry.describe("own") == "MLP G/D (mine)"
    assert registry.describe("bare") == ""
    assert registry.describe("function") == "Does one thing."
    assert registry.describe("given") == "the caller's words"
