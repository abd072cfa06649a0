"""One-line checks of user input shared by the ``series`` and ``tabular`` commands and the benchmarks.

Options given as text (``-o KEY=VALUE``, read as YAML) are checked against the annotation of the field or parameter
they set, so a wrong type or an impossible value fails with the option's name before any work starts. Output paths
are checked before training, so a run never fails when it saves, and a saved model of one kind is never mixed
with, or silently replaced by, another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import math
import os
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from polemos.errors import PolemosError

__all__ = [
    "MAX_SEED",
    "check_input_file",
    "check_memory",
    "check_model_folder",
    "check_not_tabular_or_series",
    "check_option",
    "check_options",
    "check_output_file",
    "check_save_folder",
    "check_seed",
    "check_time_budget",
    "check_writable_folder",
    "folder_path",
    "read_model_json",
    "saved_model_kind",
]


# The largest seed accepted anywhere: NumPy and Lightning take 32-bit seeds, and seeds derived from it (seed + rank,
# seed * 1_000_003 + batch for torch generators) must stay within 64 bits.
MAX_SEED = 2**31 - 1

# numbers YAML 1.1 (PyYAML, which reads -o values) leaves as text: an exponent without a decimal point
_YAML_TEXT_NUMBER = re.compile(r"[-+]?\d+[eE][-+]?\d+")


def _bound_text(bound: str | None) -> str:
    return f" {bound}" if bound else ""


def _within(value: float, bound: str | None) -> bool:
    if bound is None:
        return True
    operator, limit = bound.split()
    return value >= float(limit) if operator == ">=" else value > float(limit)


def _describe(annotation: Any, bound: str | None) -> str:
    """Words for the values ``annotation`` (and ``bound``, e.g. ``">= 1"``) allows."""
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        named = [_describe(argument, bound) for argument in arguments if argument is not type(None)]
        return " or ".join(named) + (" or null" if type(None) in arguments else "")
    if origin is tuple:
        plural = {int: "integers", float: "numbers", bool: "booleans", str: "texts"}.get(arguments[0], "values")
        count = "" if len(arguments) == 2 and arguments[1] is Ellipsis else f"{len(arguments)} "
        return f"a list of {count}{plural}{_bound_text(bound)}"
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a text"}
    return names.get(annotation, str(annotation)) + (_bound_text(bound) if annotation in (int, float) else "")


def _coerce(annotation: Any, value: Any, bound: str | None) -> Any:
    """``value`` as ``annotation`` asks, or raises ``ValueError`` when it does not fit."""
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        for argument in arguments:
            if argument is type(None):
                continue
            try:
                return _coerce(argument, value, bound)
            except ValueError:
                continue
        raise ValueError
    if origin is tuple:
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return tuple(_coerce(arguments[0], item, bound) for item in items)
        if len(items) != len(arguments):
            raise ValueError
        return tuple(_coerce(argument, item, bound) for argument, item in zip(arguments, items, strict=True))
    if annotation is bool:
        if not isinstance(value, bool):
            raise ValueError
        return value
    if annotation is int:
        # a whole float (1000.0, YAML "1e3" written as 1.0e3) is an integer; text and bools are not
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not _within(value, bound):
            raise ValueError
        return value
    if annotation is float:
        if isinstance(value, str) and _YAML_TEXT_NUMBER.fullmatch(value.strip()):  # -o lr=5e-4: YAML 1.1 text
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError
        if not _within(float(value), bound):
            raise ValueError
        return float(value)
    if annotation is str:
        if isinstance(value, datetime.date):  # -o train_end=2015-12-31: YAML reads a date; the option takes its text
            return value.isoformat()
        if not isinstance(value, str):
            raise ValueError
        return value
    return value  # Any, or a type these checks do not cover: checked where it is used


def check_option(
    name: str, value: Any, annotation: Any, bound: str | None = None, example: Any = None, label: str | None = None
) -> Any:
    """Returns ``value`` converted to ``annotation`` (lists to tuples, integers to floats).

    Args:
        name: The option's name, as the user wrote it.
        value: The value given (a YAML-parsed ``-o`` value or a Python argument).
        annotation: The type the value must have, e.g. ``int``, ``float | None``, ``tuple[int, ...]``.
        bound: ``">= 1"``, ``"> 0"``, ... for numbers (each element of a list); None: any value of the type.
        example: A valid value shown in the message (usually the default).
        label: How the message names the option (default ``option NAME``), e.g. ``--budget``.

    Raises:
        PolemosError: Naming the option, the value and what it must be.
    """
    try:
        return _coerce(annotation, value, bound)
    except ValueError:
        shown = example if isinstance(example, str) else json.dumps(example, default=list)
        hint = f"; e.g. {name}={shown} (the default)" if example is not None else ""
        label = label or f"option {name}"
        raise PolemosError(f"{label} must be {_describe(annotation, bound)}, got {value!r}{hint}") from None


def check_options(
    config_type: type, values: Mapping[str, Any], bounds: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Checks and converts ``values`` for fields of the dataclass ``config_type`` against their annotations.

    Args:
        config_type: A dataclass whose fields the values set (e.g. ``SeriesGANConfig``).
        values: Field name to value; names must be fields (unknown names are the caller's error to raise).
        bounds: Field name to its bound, e.g. ``{"hidden": ">= 1"}``.

    Returns:
        The values converted to their fields' types.

    Raises:
        PolemosError: On the first value that does not fit, naming the option and an example (its default).
    """
    hints = typing.get_type_hints(config_type)
    fields = config_type.__dataclass_fields__  # type: ignore[attr-defined]
    checked: dict[str, Any] = {}
    for name, value in values.items():
        default = fields[name].default
        example = None if default is dataclasses.MISSING else default
        checked[name] = check_option(name, value, hints[name], (bounds or {}).get(name), example)
    return checked


def check_seed(seed: Any, flag: str = "--seed") -> int:
    """Returns ``seed`` if it is an integer in [0, MAX_SEED] (NumPy seeds are 32-bit, never negative), else raises."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise PolemosError(f"{flag} must be a non-negative integer, got {seed!r}; e.g. {flag} 0")
    if seed > MAX_SEED:
        raise PolemosError(f"{flag} {seed} is too large; pass a seed between 0 and {MAX_SEED}")
    return seed


def _physical_memory() -> int | None:
    """This machine's RAM in bytes, or None where the OS does not say (then nothing is refused)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(values: int, what: str, fix: str, copies: float = 3.0) -> None:
    """Fails with one line when ``values`` float64 numbers (times ``copies`` in flight) exceed this machine's RAM.

    Args:
        values: Numbers the result holds.
        what: What is asked for, e.g. ``"1,000 sequences x 1,000,000 steps x 1 feature"``.
        fix: What to do instead, e.g. ``"sample fewer or shorter sequences"``.
        copies: Float64-sized copies alive at the peak (the result and its intermediates).
    """
    memory = _physical_memory()
    needed = values * 8 * copies
    if memory is not None and needed > memory:
        raise PolemosError(
            f"{what} need about {needed / 2**30:,.0f} GiB, more than this machine's {memory / 2**30:,.0f} GiB; {fix}"
        )


def check_time_budget(seconds: Any, flag: str = "--time-budget") -> None:
    """Fails with one line unless ``seconds`` is None (no limit) or a finite number > 0 (nan or inf never stop)."""
    if seconds is None:
        return
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < math.inf:
        raise PolemosError(f"{flag} must be a positive number of seconds, got {seconds!r}; e.g. 300")


def check_input_file(path: Path, flag: str, expected: str) -> None:
    """Fails with one line when ``path`` is a folder or does not exist (``expected``: e.g. ``"a CSV file"``)."""
    if path.is_dir():
        raise PolemosError(f"{flag} {path} is a folder, not a file; pass {expected}")
    if not path.is_file():
        raise PolemosError(f"{flag} {path} not found; pass {expected}")


def folder_path(text: str) -> Path:
    """``--out`` text as a path; an empty one (an unset shell variable) is refused, not read as the working folder.

    Raises:
        PolemosError: For empty or blank text.
    """
    if not text.strip():
        raise PolemosError("--out is empty (an unset variable?); give the folder to write, e.g. --out runs/model")
    return Path(text)


def check_writable_folder(folder: Path, flag: str, fix: str = "choose a writable location") -> None:
    """Fails with one line unless ``folder`` (or the folders it would be created in) can be written.

    Creates missing folders for a probe file and removes them again, so a check that passes leaves nothing behind.

    Args:
        folder: The folder to write into.
        flag: What the user called it (``--out``), for the message.
        fix: What to do about a folder that cannot be written, in the command's own terms.
    """
    existing = next(parent for parent in (folder, *folder.parents) if parent.exists() or parent == parent.parent)
    if existing.exists() and not existing.is_dir():
        if existing == folder:
            raise PolemosError(f"{flag} {folder} is an existing file, not a folder; choose a new {flag} folder")
        raise PolemosError(f"cannot create {flag} {folder}: {existing} is a file, not a folder; choose another path")
    created: list[Path] = []
    try:
        for parent in reversed([folder, *folder.parents][: [folder, *folder.parents].index(existing)]):
            try:
                parent.mkdir()
            except FileExistsError:  # made meanwhile by another process (the ranks of a run): not ours to remove
                if not parent.is_dir():
                    raise
                continue
            created.append(parent)
        probe = folder / f".polemos-write-check-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise PolemosError(f"cannot write to {flag} {folder} ({reason}); {fix}") from None
    finally:
        for parent in reversed(created):
            with contextlib.suppress(OSError):  # something else was put there meanwhile: keep it
                parent.rmdir()


def saved_model_kind(folder: Path) -> str | None:
    """What ``folder`` holds: ``"series model"``, ``"tabular model"``, ``"training run"`` or None (no model)."""

    def record(name: str) -> dict[str, Any]:
        try:
            content = json.loads((folder / name).read_text())
        except (OSError, ValueError):
            return {}
        return content if isinstance(content, dict) else {}

    if not folder.is_dir():
        return None
    if "transformer" in record("model.json"):
        return "tabular model"
    if "meta" in record("config.json") and not (folder / "model.json").exists():
        return "series model"
    markers = ("generator.safetensors", "model.json", "config.json", "checkpoints/last.pt")
    if any((folder / marker).exists() for marker in markers):
        return "training run"
    return None


def check_save_folder(folder: Path, kind: str) -> None:
    """Fails with one line when ``folder`` holds a model of another kind: ``save`` replaces only its own kind.

    Args:
        folder: Where a model is about to be saved.
        kind: ``"series model"`` or ``"tabular model"``.

    Raises:
        PolemosError: If ``folder`` holds a model or training run of another kind (their files would mix, and the
            folder would load as neither).
    """
    found = saved_model_kind(Path(folder))
    if found is not None and found != kind:
        raise PolemosError(
            f"{str(folder)!r} holds a {found}; save the {kind} to another folder (their files would mix)"
        )


def check_not_tabular_or_series(folder: Path, action: str) -> None:
    """Fails with one line when ``folder`` holds a tabular or series model, which the image commands cannot read.

    Args:
        folder: The run folder given to an image command.
        action: The command's verb, ``"sample"`` or ``"eval"``: the message names the matching command.
    """
    kind = saved_model_kind(folder)
    if kind in ("tabular model", "series model"):
        command = f"polemos {kind.split()[0]} {action}"
        raise PolemosError(f"{str(folder)!r} holds a {kind}, not an image training run; use `{command}` for it")


def read_model_json(path: Path) -> Any:
    """The JSON in a saved model's ``path``; a damaged file (not UTF-8, not JSON) is one line saying what to do."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise PolemosError(f"{path} is corrupt ({error}); restore the folder or fit the model again") from None


def check_model_folder(out: Path, kind: str, overwrite: bool) -> bool:
    """Checks a ``fit --out`` folder before training; returns True when a model of the same kind is replaced.

    Args:
        out: The folder the model will be saved to.
        kind: ``"series model"`` or ``"tabular model"``.
        overwrite: The user's ``--overwrite``: a model of the same kind may be replaced (never another kind).

    Raises:
        PolemosError: If ``out`` is a file, cannot be written, or already holds a model it may not replace.
    """
    check_writable_folder(out, "--out")
    found = saved_model_kind(out)
    if found is None:
        return False
    if found != kind:
        raise PolemosError(f"--out {out} already holds a {found}; choose a new --out folder")
    if not overwrite:
        raise PolemosError(f"--out {out} already holds a {kind}; choose a new --out folder or pass --overwrite")
    return True


def check_output_file(out: Path, suffixes: tuple[str, ...], overwrite: bool) -> None:
    """Checks a ``sample --out`` file before sampling: its extension, not a folder, writable, not replaced by accident.

    Raises:
        PolemosError: If ``out`` is a folder, has another extension, exists without ``overwrite``, or cannot be
            written.
    """
    names = " or ".join(suffixes)
    if out.is_dir():
        raise PolemosError(f"--out {out} is a folder; give a file name ending in {names}")
    if out.suffix.lower() not in suffixes:
        raise PolemosError(f"unsupported output {out.name}; use a file name ending in {names}")
    if out.exists() and not overwrite:
        raise PolemosError(f"--out {out} exists; choose another --out or pass --overwrite to replace it")
    check_writable_folder(out.parent, "the --out folder")
