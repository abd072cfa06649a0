"""Registry of benchmarks runnable as ``polemos bench NAME``.

A benchmark is a function ``run(seeds: int, quick: bool) -> dict`` registered with :data:`BENCHMARKS`; it returns
its results together with the protocol that produced them. Modules that define benchmarks are imported lazily
so ``polemos`` starts fast.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import sys
import typing
from collections.abc import Callable
from typing import Any

from polemos.checks import check_option
from polemos.errors import PolemosError
from polemos.registry import Registry

BenchmarkFn = Callable[..., dict[str, Any]]

# options that `polemos bench` passes by name from its own flags (the rest come from -o KEY=VALUE)
_CLI_FLAGS = {"dataset": "--dataset", "budget": "--budget"}
# options holding seconds of training
_BUDGETS = ("budget", "time_budget")


def check_arguments(name: str, run: BenchmarkFn, options: dict[str, Any]) -> dict[str, Any]:
    """Checks the options of one benchmark run before it starts; returns them with converted values.

    A benchmark that takes ``**options`` checks unknown names itself, but ``--dataset`` and ``--budget`` are
    accepted only by benchmarks that name them; option values must fit the parameter's annotation (also the
    annotation of ``**options``, e.g. ``**settings: int``), and budgets must be positive.

    Raises:
        PolemosError: Naming the benchmark and the flags it accepts, or the option and the value it needs.
    """
    parameters = inspect.signature(run).parameters
    named = [key for key, parameter in parameters.items() if parameter.kind is not inspect.Parameter.VAR_KEYWORD]
    rest = next((p for p in parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD), None)
    for key, flag in _CLI_FLAGS.items():
        if key in options and key not in named:
            flags = ["--seeds", "--quick", *(_CLI_FLAGS[k] for k in _CLI_FLAGS if k in named)]
            keys = [k for k in named if k not in ("seeds", "quick", *_CLI_FLAGS)]
            more = f", and the {rest.name} it documents" if rest is not None else ""
            raise PolemosError(
                f"benchmark {name!r} takes no {flag}; it accepts {', '.join(flags)} and -o KEY=VALUE "
                f"({', '.join(keys)}{more})"
            )
    try:
        hints = typing.get_type_hints(run)
    except (NameError, TypeError):  # an annotation this module cannot resolve: the benchmark checks its own
        hints = {}
    checked = dict(options)
    for key, value in options.items():
        annotation = hints.get(key) if key in named else hints.get(rest.name) if rest is not None else None
        if annotation is not None:
            checked[key] = check_option(key, value, annotation, label=_CLI_FLAGS.get(key, f"-o {key}"))
        if key in _BUDGETS and value is not None:
            seconds, label = checked[key], _CLI_FLAGS.get(key, f"-o {key}")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
                raise PolemosError(f"{label} must be a number of seconds, got {value!r}")
            if seconds <= 0:
                raise PolemosError(f"{label} must be positive, got {value}; give seconds > 0")
    return checked


class _BenchmarkRegistry(Registry[BenchmarkFn]):
    """The registry of benchmarks; each entry checks its options (:func:`check_arguments`) before it runs."""

    def add(self, name: str, obj: BenchmarkFn, description: str = "") -> None:
        """Registers ``obj`` under ``name``, wrapped so bad options fail before any progress output."""

        @functools.wraps(obj)
        def checked(*args: Any, **options: Any) -> dict[str, Any]:
            return obj(*args, **check_arguments(name, obj, options))

        super().add(name, checked, description)


BENCHMARKS: Registry[BenchmarkFn] = _BenchmarkRegistry("benchmark")

# Modules that register benchmarks; a module that does not exist yet is simply skipped.
_BENCHMARK_MODULES = (
    "polemos.images.bench",
    "polemos.metrics.bench",
    "polemos.tabular.bench",
    "polemos.series.bench",
)


def progress_note(benchmark: str, message: str) -> None:
    """One progress line on stderr, so long benchmarks are not silent and stdout keeps only the results."""
    print(f"{benchmark}: {message}", file=sys.stderr, flush=True)


def load_benchmarks() -> Registry[BenchmarkFn]:
    """Imports every benchmark module and returns the filled registry."""
    for module_name in _BENCHMARK_MODULES:
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
    return BENCHMARKS
