"""Reads a run folder, picks the modality's extra sections, renders the page and writes it atomically."""

from __future__ import annotations

from pathlib import Path

from polemos.files import atomic_write
from polemos.report.page import SectionBuilder, output_path, render_report
from polemos.report.run import RunContents, read_run


def modality_builders(run: RunContents) -> list[SectionBuilder]:
    """Extra sections for tabular and series runs (images get interpolations from the generic page)."""
    if run.modality == "tabular":
        from polemos.report.tabular import tabular_sections

        return [tabular_sections]
    if run.modality == "series":
        from polemos.report.series import series_sections

        return [series_sections]
    return []


def write_text_atomically(path: Path, text: str) -> None:
    """Writes next to ``path`` then renames over it, so a browser never opens a half-written report."""
    atomic_write(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def write_report(run_dir: Path) -> Path:
    """See :func:`polemos.report.write_report`."""
    run = read_run(run_dir)
    page = render_report(run, modality_builders(run))
    path = output_path(run.run_dir)
    write_text_atomically(path, page)
    return path
