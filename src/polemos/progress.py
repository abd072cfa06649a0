"""A progress bar on stderr for long loops (image loading, series training), shared so they look alike."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(total: int, description: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """Yields an ``advance()`` callable; draws a transient rich bar on stderr when ``enabled``.

    Args:
        total: Expected number of ``advance()`` calls (the loop may stop earlier, e.g. at a time budget).
        description: Text left of the bar.
        enabled: False yields a no-op, so callers need no branch.
    """
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
