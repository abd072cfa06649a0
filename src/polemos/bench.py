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
import re
import sys
import typing
from collections.abc import Callable, Sequence
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


# ----------------------------------------------------------------------------------------------------
# A readable summary of a record (`polemos bench NAME` without --json)


def _is_score(value: Any) -> bool:
    """A per-seed score summary: ``{"mean", "std", "values"}``."""
    return isinstance(value, dict) and {"mean", "std"} <= set(value) and isinstance(value["mean"], int | float)


def _number(value: Any) -> str:
    """Four significant digits for floats, thousands separators for counts, the rest as text."""
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple) and len(value) <= 8 and all(isinstance(v, int | float) for v in value):
        return "[" + ", ".join(_number(v) for v in value) + "]"
    return str(value)


def _score(value: dict[str, Any], seeds: bool = True) -> str:
    """``mean ± std`` (the spread to 2 significant digits), with the number of seeds unless a header gives it."""
    count = len(value.get("values", ()))
    spread = f"{value['std']:.2g}" if isinstance(value.get("std"), int | float) else "?"
    return f"{_number(value['mean'])} ± {spread}" + (f" ({count} seeds)" if seeds and count > 1 else "")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of text cells under their headers, columns aligned (plain text: readable in a log too)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def _method_table(methods: dict[str, Any]) -> list[str]:
    """One row per score, one column per method (mean ± std over seeds)."""
    names = list(methods)
    keys: list[str] = []
    for scores in methods.values():
        keys += [key for key, value in scores.items() if _is_score(value) and key not in keys]
    rows = [
        [
            key,
            *(_score(methods[name][key], seeds=False) if _is_score(methods[name].get(key)) else "–" for name in names),
        ]
        for key in keys
    ]
    counts = {len(scores[key].get("values", ())) for scores in methods.values() for key in keys if key in scores}
    over = f", {counts.pop()} seeds" if len(counts) == 1 else ""
    return _table([f"score (mean ± std{over})", *names], rows)


def summary_lines(record: dict[str, Any]) -> list[str]:
    """A readable summary of a benchmark record: scores as mean ± std, methods side by side, checks as lines.

    The full record (protocol, per-seed values, every digit) is what ``--json`` prints.
    """
    protocol = record.get("protocol", {})
    head = str(record.get("benchmark", "benchmark"))
    if isinstance(protocol, dict) and protocol.get("reduced"):
        head += " (reduced protocol: a smoke result, not the benchmark)"
    lines = [head]

    def walk(value: Any, label: str) -> None:
        if _is_score(value):
            lines.append(f"{label}: {_score(value)}")
        elif label.endswith("methods") and isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            lines.extend(["", *_method_table(value), ""])
        elif label.endswith("checks") and isinstance(value, dict):
            lines.extend(f"{'met    ' if passed else 'NOT met'}  {name}" for name, passed in value.items())
        elif isinstance(value, dict) and any(f"{key}_std" in value for key in value):
            # a flat summary with "<score>" and "<score>_std" side by side (the image and mixture benchmarks)
            for key, item in value.items():
                if not key.endswith("_std") or key[: -len("_std")] not in value:
                    spread = f" ± {value[key + '_std']:.2g}" if isinstance(value.get(f"{key}_std"), float) else ""
                    lines.append(f"{key}: {_number(item)}{spread}")
        elif isinstance(value, dict) and value and all(not isinstance(v, dict | list) for v in value.values()):
            lines.append(f"{label}: " + ", ".join(f"{key} {_number(item)}" for key, item in value.items()))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{label} / {key}" if label else str(key))
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            keys = [key for key in value[0] if not isinstance(value[0][key], dict | list)]
            lines.extend([f"{label}:", *_table(keys, [[_number(item.get(key)) for key in keys] for item in value])])
        else:
            lines.append(f"{label}: {_number(value)}")

    # series and tabular records keep their scores under "results"; image and mixture records under "summary"
    # (means, with "<score>_std") and "per_seed"
    body = record.get("results") or {key: record[key] for key in ("summary", "per_seed") if key in record}
    walk(body, "")
    lines.append("(the full record, with its protocol and per-seed values: --json)")
    return lines


def option_lines(name: str, run: BenchmarkFn) -> list[str]:
    """``-o KEY=VALUE`` options of one benchmark, with their defaults and the comment beside each in its code."""
    function = inspect.unwrap(run)
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):  # no source (a compiled or interactive function): names and defaults only
        source = ""
    lines = [f"{name}: {BENCHMARKS.describe(name)}" if name in BENCHMARKS else name]
    lines.append(f"options (polemos bench {name} --seeds N --quick -o KEY=VALUE ...):")
    for key, parameter in inspect.signature(function).parameters.items():
        if key in ("seeds", "quick"):
            continue
        # the comment after the parameter on its line: "    budget: float | None = None,  # seconds of ..."
        found = re.search(rf"^\s*\**{re.escape(key)}\b[^#\n]*#\s*(.+)$", source, flags=re.MULTILINE)
        comment = f"  # {found.group(1).strip()}" if found else ""
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            lines.append(f"  -o KEY=VALUE ({key}){comment}")
        elif key in _CLI_FLAGS:
            lines.append(f"  {_CLI_FLAGS[key]} VALUE (default {parameter.default!r}){comment}")
        else:
            lines.append(f"  -o {key}={parameter.default!r}{comment}")
    return lines
