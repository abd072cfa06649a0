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
        check_writable_folder(run, "the run folder")  # report.html is written there
    path = write_report(run)
    print(path)
    if open_browser:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
