"""``polemos report RUN``: write the run's self-contained HTML report (imports stay light until it runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report_command(
    run: Annotated[Path, typer.Argument(help="run folder (the --out of `polemos train`)")],
    open_browser: Annotated[bool, typer.Option("--open", help="open the report in the default web browser")] = False,
) -> None:
    """Write RUN/report.html: one self-contained page with samples, curves, alarms and evaluations."""
    from polemos.checks import check_writable_folder
    from polemos.report import write_report

    if run.is_dir():  # write_report says what a missing or wrong folder is
        # report.html is written there; the command has no other place to write it
        check_writable_folder(run, "the run folder", "copy the run folder somewhere writable and report on the copy")
    path = write_report(run)
    print(path)
    if open_browser:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())


def report_after_fit(folder: Path) -> None:
    """Writes ``folder/report.html`` after a ``tabular fit`` or ``series fit`` and says where it is.

    The model is saved before: a report that cannot be built is a note naming the command to retry, not an error
    that would hide the saved model.
    """
    from polemos.errors import PolemosError
    from polemos.report import write_report

    try:
        path = write_report(folder)
    except (PolemosError, OSError, ValueError, RuntimeError) as error:
        first_line = (str(error).splitlines() or [""])[0]
        typer.echo(f"note: the report was not written ({first_line}); retry with polemos report {folder}", err=True)
        return
    typer.echo(f"report: {path}")
