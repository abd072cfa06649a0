"""Registry of benchmarks runnable as ``polemos bench NAME``.

A benchmark is a function ``run(seeds: int, quick: bool) -> dict`` registered with :data:`BENCHMARKS`; it returns
its results together with the protocol that produced them. Modules that define benchmarks are imported lazily
so ``polemos`` starts fast.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

from polemos.registry import Registry

BenchmarkFn = Callable[..., dict[str, Any]]
BENCHMARKS: Registry[BenchmarkFn] = Registry("benchmark")

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
