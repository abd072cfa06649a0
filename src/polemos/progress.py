"""A progress bar on stderr for long loops (image loading, series training), shared so they look alike."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(total: int, description: str, enabled: bool) -> Iterator[Callable[[], None]]:
    """Yields an ``advance()`` callable; draws a transient rich bar on stderr when ``enabled``.

    The bar is drawn only when stderr is a terminal: elsewhere (a pipe, a log file) rich would leave a blank line
    where the transient bar was, e.g. above an error message.

    Args:
        total: Expected number of ``advance()`` calls (the loop may stop earlier, e.g. at a time budget).
        description: Text left of the bar.
        enabled: False yields a no-op, so callers need no branch.
    """
    from rich.console import Console

    console = Console(stderr=True) if enabled else None
    if console is None or not console.is_terminal:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
